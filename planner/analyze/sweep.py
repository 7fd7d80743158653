"""Run many solves of one mission: in this process, on a local process pool, or on Dask.

A sweep is a list of cases and a task that sets the model up once per worker (build it, hand
it to HiGHS as arrays) and evaluates a case on it (change bounds or costs, re-solve from the
last basis, put the numbers back). Cases travel in chunks, so a worker builds the model once
per chunk rather than once per solve, and results come back in the order of the cases
whichever way they were computed.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from planner.errors import InputError, Problem, SolverError
from planner.formulation.model import PlanningModel, build_model
from planner.scenario.instance import Instance, concerns_only
from planner.solving.gap import WITH_PLAN
from planner.solving.highs import INF, HighsModel, Result
from planner.solving.solve import in_name_order

Record = dict[str, Any]


class Task(Protocol):
    """What a sweep runs: picklable, so that it can travel to another process or machine."""

    def prepare(self, instance: Instance) -> Any: ...

    def evaluate(self, state: Any, case: Any) -> Record: ...


PREPARED = threading.local()  # per worker thread: (key, state) of the last task set up


def run_chunk(instance: Instance, task: Task, cases: Sequence[Any]) -> list[Record]:
    """One worker's share: evaluate each case on the task's model, set up once per worker
    (a worker given several chunks of one sweep builds the model for the first only)."""
    key = (instance.digest, pickle.dumps(task))
    cached = getattr(PREPARED, "last", None)
    if cached is None or cached[0] != key:
        cached = PREPARED.last = (key, task.prepare(instance))
    return [task.evaluate(cached[1], case) for case in cases]


POOL_WORTH = 3.0  # seconds of work in this process below which workers cost more than they save
PROBE = 8  # cases solved in this process to estimate the rest


@dataclass(frozen=True)
class Execution:
    """Where a sweep runs: ``workers`` local processes (1: this process), or the Dask
    cluster whose scheduler is at ``scheduler``. By default (None) the first cases run in
    this process, and the rest go to one worker per CPU when they would take more than
    POOL_WORTH seconds here (starting workers and building the model in each costs about a
    second)."""

    workers: int | None = None
    scheduler: Any = None  # an address like tcp://10.0.0.5:8786, or a dask Client
    progress: bool = True


@dataclass
class SweepRun:
    """The records of a sweep in case order, and how it ran."""

    records: list[Record]
    seconds: float
    where: str
    solves: int = field(default=0)


def sweep(instance: Instance, task: Task, cases: Sequence[Any], label: str,
          execution: Execution = Execution()) -> SweepRun:
    """Evaluate every case; records carry a ``solves`` count, summed into the run's."""
    started = time.perf_counter()
    cpus = os.cpu_count() or 1
    if execution.scheduler is not None:
        records, where = on_dask(instance, task, cases, label, execution)
    elif execution.workers is not None and execution.workers > 1 and len(cases) > 1:
        records, where = on_pool(instance, task, cases, label,
                                 min(execution.workers, len(cases)), execution.progress)
    elif execution.workers == 1 or len(cases) <= PROBE or cpus == 1:
        with progress_bar(label, len(cases), execution.progress) as advance:
            records = in_process(task.prepare(instance), task, cases, advance)
        where = "this process"
    else:
        records, where = probed(instance, task, cases, label, execution.progress, cpus)
    solves = sum(int(r.pop("solves", 1)) for r in records)
    return SweepRun(records, time.perf_counter() - started, where, solves)


def probed(instance: Instance, task: Task, cases: Sequence[Any], label: str, shown: bool,
           cpus: int) -> tuple[list[Record], str]:
    """The first cases in this process; the rest here too when they are quick, else on a
    pool of one worker per CPU."""
    with progress_bar(label, len(cases), shown) as advance:
        state = task.prepare(instance)
        begun = time.perf_counter()
        records = in_process(state, task, cases[:PROBE], advance)
        rest = cases[PROBE:]
        if (time.perf_counter() - begun) / PROBE * len(rest) < POOL_WORTH:
            return records + in_process(state, task, rest, advance), "this process"
    workers = min(cpus, len(rest))
    more, _ = on_pool(instance, task, rest, label, workers, shown)
    return records + more, f"this process ({PROBE} cases) and {workers} local processes"


def chunks(cases: Sequence[Any], count: int) -> list[list[int]]:
    """Case positions cut into ``count`` nearly equal runs (fewer when there are few cases)."""
    count = max(1, min(count, len(cases)))
    return [list(part) for part in np.array_split(np.arange(len(cases)), count) if len(part)]


@contextmanager
def progress_bar(label: str, total: int, shown: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on the error stream when it is a terminal; silent otherwise."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  disable=not (shown and console.is_terminal), transient=True) as bar:
        job = bar.add_task(label, total=total)
        yield lambda done: bar.advance(job, done)


def in_process(state: Any, task: Task, cases: Sequence[Any],
               advance: Callable[[int], None]) -> list[Record]:
    records = []
    for case in cases:
        records.append(task.evaluate(state, case))
        advance(1)
    return records


def place(records: list[Record | None], part: list[int], results: list[Record],
          advance: Callable[[int], None]) -> None:
    """A finished chunk's records, put back at their cases' positions."""
    for i, record in zip(part, results, strict=True):
        records[i] = record
    advance(len(part))


def pool_context() -> multiprocessing.context.BaseContext:
    """Workers started from a server that has already imported the planner (fork server),
    where the platform has one; fresh interpreters otherwise."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["planner.analyze.sweep"])
        return context
    return multiprocessing.get_context("spawn")


def on_pool(instance: Instance, task: Task, cases: Sequence[Any], label: str, workers: int,
            shown: bool) -> tuple[list[Record], str]:
    """The cases on local worker processes. Workers that cannot start or die (no memory, a
    process limit, a killed worker) are a solver error with its own message (exit 2), not
    a traceback or the shortfall code."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pooled(instance, task, cases, label, workers, shown)
    except (BrokenProcessPool, OSError) as exc:
        raise SolverError(f"the {workers} local worker processes could not start or stopped "
                          f"({exc.__class__.__name__}: {exc}) - run with --workers 1 to solve "
                          "in this process, or free memory") from exc


def pooled(instance: Instance, task: Task, cases: Sequence[Any], label: str, workers: int,
           shown: bool) -> tuple[list[Record], str]:
    parts = chunks(cases, workers * 4)
    records: list[Record | None] = [None] * len(cases)
    with progress_bar(label, len(cases), shown) as advance, ProcessPoolExecutor(
            max_workers=workers, mp_context=pool_context()) as pool:
        pending = {pool.submit(run_chunk, instance, task, [cases[i] for i in part]): part
                   for part in parts}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                place(records, pending.pop(future), future.result(), advance)
    return [r for r in records if r is not None], f"{workers} local processes"


def on_dask(instance: Instance, task: Task, cases: Sequence[Any], label: str,
            execution: Execution) -> tuple[list[Record], str]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError([Problem("--scheduler", "Dask is not installed here",
                                  hint='pip install "dask[distributed]"')]) from None
    given = execution.scheduler
    client = given if isinstance(given, Client) else connect(str(given))
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        if not workers:
            try:
                client.wait_for_workers(1, timeout=CONNECT_SECONDS)
            except (TimeoutError, OSError):
                raise InputError([Problem("--scheduler", f"the Dask scheduler at {given} has "
                                          f"no workers (none joined within {CONNECT_SECONDS} s)",
                                          hint="start workers with 'dask worker ADDRESS', or "
                                          "run without --scheduler")]) from None
            workers = len(client.scheduler_info().get("workers", {})) or 1
        parts = chunks(cases, workers * 4)
        shared = client.scatter(instance, broadcast=True)
        futures = {client.submit(run_chunk, shared, task, [cases[i] for i in part],
                                 pure=False): part for part in parts}
        records: list[Record | None] = [None] * len(cases)
        with progress_bar(label, len(cases), execution.progress) as advance:
            for future in as_completed(futures):
                place(records, futures[future], future.result(), advance)
        return [r for r in records if r is not None], (
            f"Dask at {client.scheduler.address} ({workers} workers)")
    finally:
        if client is not given:
            client.close()


CONNECT_SECONDS = 10  # the documented wait for a scheduler to answer
SCHEMES = ("tcp://", "inproc://")


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``, or an input error within about
    CONNECT_SECONDS whatever the other end does: refuses, answers junk, never answers. The
    handshake runs in a daemon thread that is abandoned when it does not finish."""
    from distributed import Client

    hint = "check the address, e.g. tcp://10.0.0.5:8786, and that 'dask scheduler' runs there"
    scheme = address.split("://", 1)[0] + "://" if "://" in address else "tcp://"
    if scheme in ("tls://", "ucx://", "ws://", "wss://"):
        raise InputError([Problem("--scheduler", f"{scheme} addresses need a security or "
                                  "transport configuration the command line does not take",
                                  hint="use a tcp:// address, or the Python API with a "
                                  "dask Client")])
    if scheme not in SCHEMES:
        raise InputError([Problem("--scheduler", f"'{address}' is not a Dask scheduler "
                                  "address", hint=hint)])
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["client"] = Client(address, timeout=f"{CONNECT_SECONDS}s")
        except BaseException as exc:  # every failure is reported below
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, daemon=True, name="dask-connect")
    thread.start()
    thread.join(CONNECT_SECONDS + 2)
    if "client" in outcome:
        return outcome["client"]
    reason = (outcome["error"].__class__.__name__ if "error" in outcome
              else f"no answer within {CONNECT_SECONDS} s")
    raise InputError([Problem("--scheduler", f"cannot reach a Dask scheduler at {address} "
                              f"({reason})", hint=hint)])


@dataclass
class Prepared:
    """A mission's model inside HiGHS, with the positions a sweep needs to read costs and
    shortfalls and to take allies out."""

    instance: Instance
    model: PlanningModel
    fast: HighsModel
    units_at: np.ndarray  # where each units, shortfall and lead column sits in HiGHS
    shortfalls_at: np.ndarray
    leads_at: np.ndarray
    unit_cost: np.ndarray
    unit_country: np.ndarray
    penalty: np.ndarray
    countries: list[str]
    fresh: bool = False  # every solve of ``run`` starts from ``start`` (or cold without one)
    start: Any = None  # the basis every case starts from

    @classmethod
    def of(cls, instance: Instance, model: PlanningModel | None = None,
           start: bool = False) -> Prepared:
        """The model in HiGHS; with ``start``, solved once as built so that every case can
        begin from that basis (see ``run``)."""
        model = model or build_model(instance)
        fast, at = in_name_order(model)
        units, short = len(model.units), len(model.shortfalls)
        prepared = cls(instance, model, fast, at[:units], at[units:units + short],
                       at[units + short:],
                       model.units["unit_cost"].to_numpy(float),
                       model.units["country"].to_numpy(str),
                       model.shortfalls["penalty"].to_numpy(float),
                       list(instance.capabilities.countries["country"]))
        if start:
            prepared.remember_start(fast.run())
        return prepared

    def remember_start(self, solved: Result) -> None:
        """From now on every ``run`` starts from the basis of this solve (cold when it has
        none: a MIP, or no optimum)."""
        self.fresh = True
        self.start = self.fast.highs.getBasis() if (
            solved.optimal and not self.fast.integer) else None

    def run(self) -> Result:
        """Solve; once a start is remembered, from that basis whatever the worker solved
        before: where several plans are equally cheap, every worker, chunking and order
        then lands on the same one (a warm start from the previous case would not)."""
        if self.fresh:
            self.fast.highs.clearSolver()  # setBasis alone leaves state that can pick another
            if self.start is not None:
                self.fast.highs.setBasis(self.start)
        return self.fast.run()

    def outcome(self, result: Result) -> Record:
        """Objective, its two parts, each ally's employment cost and the shortfalls."""
        if result.status not in WITH_PLAN:
            return {"status": result.status, "objective": None}
        units = result.values[self.units_at]
        short = np.maximum(result.values[self.shortfalls_at], 0.0)
        spent = units * self.unit_cost
        cost = {c: float(spent[self.unit_country == c].sum()) for c in self.countries}
        penalty = float(short @ self.penalty)
        return {"status": result.status, "objective": float(result.objective or 0.0),
                "employment_cost": float(spent.sum()), "penalty": penalty,
                "cost": cost, "shortfall": short.tolist()}

    def switched_off(self, absent: set[str], aside: Collection[str] = ()
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Columns of the absent allies, and rows of policies that name one of them or
        depend on a link with one of them (and of the policies named in ``aside``): as a
        mission whose ``countries`` leaves them out."""
        model = self.model
        columns = np.concatenate([
            self.units_at[model.units["country"].isin(absent).to_numpy()],
            self.leads_at[model.leads["country"].isin(absent).to_numpy()]]).astype(np.int32)
        present = set(self.countries) - absent
        gone = {p.name for p in self.instance.links if not concerns_only(p, present)}
        policies = {p.name: p for p in self.instance.policies}
        rows = [name for name, row in model.rows.items() if row.policy in policies
                and (row.policy in aside or not concerns_only(policies[row.policy], present)
                     or gone.intersection(policies[row.policy].depends_on))]
        return columns, self.fast.rows(rows)

    @contextmanager
    def without(self, absent: set[str], aside: Collection[str] = ()) -> Iterator[None]:
        """The model as if the absent allies did not take part (their units at zero, their
        policies set aside: as a mission whose ``countries`` leaves them out), and without
        the policies named in ``aside``, for the duration of a ``with`` block."""
        columns, rows = self.switched_off(absent, aside)
        fast, arrays = self.fast, self.fast.arrays
        fast.set_column_bounds(columns, 0.0, 0.0)
        fast.set_row_bounds(rows, -INF, INF)
        try:
            yield
        finally:
            fast.set_column_bounds(columns, arrays.col_lower[columns], arrays.col_upper[columns])
            fast.set_row_bounds(rows, arrays.row_lower[rows], arrays.row_upper[rows])
