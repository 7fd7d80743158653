"""Run many solves of one mission: in this process, on a local process pool, or on Dask.

A sweep is a list of cases and a task that sets the model up once per worker (build it, hand
it to HiGHS as arrays) and evaluates a case on it (change bounds or costs, re-solve from the
last basis, put the numbers back). Cases travel in chunks, so a worker builds the model once
per chunk rather than once per solve, and results come back in the order of the cases
whichever way they were computed.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from planner.analyze.distribute import (
    DEADLINE,
    KEPT,
    Dask,
    Feed,
    Place,
    Pool,
    feed,
    forget,
    pool_context,
    where_kept,
)
from planner.analyze.keep import Keeper, fingerprint, round_trip
from planner.errors import ClusterError, InputError, Problem
from planner.formulation.model import PlanningModel, build_model
from planner.results.summary import Summarizer, Summary
from planner.scenario.instance import Instance, concerns_only
from planner.solving.algorithm import DEVEX
from planner.solving.gap import WITH_PLAN
from planner.solving.highs import INF, HighsModel, Result
from planner.solving.quiet import solver_output
from planner.solving.solve import in_name_order

Record = dict[str, Any]


class Task(Protocol):
    """What a sweep runs: picklable, so that it can travel to another process or machine."""

    def prepare(self, instance: Instance) -> Any: ...

    def evaluate(self, state: Any, case: Any) -> Record: ...


POOL_WORTH = 3.0  # seconds of work in this process below which workers cost more than they save
PROBE = 8  # cases solved in this process to estimate the rest
FLUSH = 1.0  # seconds between writes of finished cases to the analysis folder, in this process
SHOW = 0.1  # seconds between placings of finished cases otherwise (the progress bar's pace)


@dataclass(frozen=True)
class Execution:
    """Where a sweep runs: ``workers`` local processes (1: this process), or the Dask
    cluster whose scheduler is at ``scheduler``. By default (None) the first cases run in
    this process, and the rest go to one worker per CPU when they would take more than
    POOL_WORTH seconds here (starting workers and building the model in each costs about a
    second). ``keep``: where finished chunks are written as they arrive (and read back
    when resuming); ``deadline``: the seconds a chunk may run on a worker, and the wait
    for a worker to join, before the sweep stops with a ClusterError."""

    workers: int | None = None
    scheduler: Any = None  # an address like tcp://10.0.0.5:8786, or a dask Client
    progress: bool = True
    keep: Keeper | None = None
    deadline: float = DEADLINE


@dataclass
class SweepRun:
    """The records of a sweep in case order, and how it ran."""

    records: list[Record]
    seconds: float
    where: str
    solves: int = field(default=0)
    timing: dict[str, float] = field(default_factory=dict)  # work on workers, chunks sent


def sweep(instance: Instance, task: Task, cases: Sequence[Any], label: str,
          execution: Execution = Execution()) -> SweepRun:
    """Evaluate every case; records carry a ``solves`` count, summed into the run's. With
    ``execution.keep``, cases an earlier run finished are read back, not solved again, and
    each chunk is written as it finishes."""
    started = time.perf_counter()
    keeper = execution.keep
    key = fingerprint([type(task).__name__, label, list(cases)]) if keeper else ""
    records: list[Record | None] = [None] * len(cases)
    for i, record in (keeper.done(key).items() if keeper else ()):
        if 0 <= i < len(cases):
            records[i] = record
    todo = [i for i, r in enumerate(records) if r is None]
    with progress_bar(label, len(cases), execution.progress) as advance:
        advance(len(cases) - len(todo))

        def place(positions: list[int], found: list[Record], text: str | None = None
                  ) -> None:
            if keeper is not None:
                if text is None:  # solved here: as they would read back, and their JSON
                    found, text = round_trip(found)
                keeper.add(key, positions, found, text)
            for i, record in zip(positions, found, strict=True):
                records[i] = record
            advance(len(positions))

        where, timing = run_cases(instance, task, cases, todo, place, execution)
    if len(todo) < len(cases):
        where += f"; {len(cases) - len(todo):,} cases read back from an earlier run"
    done = [r for r in records if r is not None]
    solves = sum(int(r.pop("solves", 1)) for r in done)
    return SweepRun(done, time.perf_counter() - started, where, solves, timing)


def run_cases(instance: Instance, task: Task, cases: Sequence[Any], todo: list[int],
              place: Place, execution: Execution) -> tuple[str, dict[str, float]]:
    """The cases at positions ``todo``, wherever ``execution`` says; how it ran."""
    cpus = os.cpu_count() or 1
    workers = execution.workers
    if not todo:
        return "nowhere: every case was finished before", {}
    if execution.scheduler is not None:
        return on_dask(instance, task, cases, todo, place, execution)
    if workers is not None and workers > 1 and len(todo) > 1:
        return on_pool(instance, task, cases, todo, place, min(workers, len(todo)), execution)
    if workers == 1 or len(todo) <= PROBE or cpus == 1:
        in_process(task.prepare(instance), task, cases, todo, place, execution.keep)
        return "this process", {}
    return probed(instance, task, cases, todo, place, execution, cpus)


def probed(instance: Instance, task: Task, cases: Sequence[Any], todo: list[int],
           place: Place, execution: Execution, cpus: int) -> tuple[str, dict[str, float]]:
    """The first cases in this process; the rest here too when they are quick, else on a
    pool of one worker per CPU."""
    state = task.prepare(instance)
    begun = time.perf_counter()
    in_process(state, task, cases, todo[:PROBE], place, execution.keep)
    rest = todo[PROBE:]
    if (time.perf_counter() - begun) / PROBE * len(rest) < POOL_WORTH:
        in_process(state, task, cases, rest, place, execution.keep)
        return "this process", {}
    workers = min(cpus, len(rest))
    _, timing = on_pool(instance, task, cases, rest, place, workers, execution)
    return f"this process ({PROBE} cases) and {workers} local processes", timing


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


def in_process(state: Any, task: Task, cases: Sequence[Any], todo: list[int], place: Place,
               keeper: Keeper | None = None) -> None:
    """The cases in this process, placed every SHOW seconds (every FLUSH seconds when they
    are kept in a folder, so that the writes cost little): placing each case alone would
    cost a tenth of a small model's solve."""
    positions: list[int] = []
    found: list[Record] = []
    last = time.perf_counter()
    every = SHOW if keeper is None else FLUSH
    with solver_output():  # once for the sweep, not once per solve
        for i in todo:
            positions.append(i)
            found.append(task.evaluate(state, cases[i]))
            if time.perf_counter() - last >= every:
                place(positions, found)
                positions, found, last = [], [], time.perf_counter()
    place(positions, found)


def on_pool(instance: Instance, task: Task, cases: Sequence[Any], todo: list[int],
            place: Place, workers: int, execution: Execution
            ) -> tuple[str, dict[str, float]]:
    """The cases on local worker processes. Workers that cannot start or die (no memory, a
    process limit, a killed worker) stop the sweep with a ClusterError (exit 3) that says
    what finished and where it is kept, not a traceback or the shortfall code."""
    where = f"{workers} local processes"
    job = Feed(cases, todo, place, execution.deadline, lambda: kept_where(execution))
    from concurrent.futures.process import BrokenProcessPool

    try:
        # the command's pool (local_workers), also when fewer cases are left than it has
        kept = KEPT.get(execution.workers) if execution.workers else None
        pool = Pool(instance, task, workers, pool_context(), kept)
    except (OSError, BrokenProcessPool) as exc:
        raise ClusterError(f"the {workers} local worker processes could not start "
                           f"({exc.__class__.__name__}: {exc}) - run with --workers 1 to "
                           "solve in this process, or free memory") from None
    try:
        timing = feed(pool, job)
    except ClusterError as exc:
        raise ClusterError(f"{exc} (or run with --workers 1 to solve in this process)"
                           ) from None
    finally:
        pool.close()
        if pool.broken and kept is not None:
            forget(kept)  # the next sweep starts new ones
    return where, timing


def kept_where(execution: Execution) -> str:
    return where_kept(execution.keep.folder if execution.keep else None)


def on_dask(instance: Instance, task: Task, cases: Sequence[Any], todo: list[int],
            place: Place, execution: Execution) -> tuple[str, dict[str, float]]:
    begun = time.perf_counter()
    try:
        from distributed import Client
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
        job = Feed(cases, todo, place, execution.deadline, lambda: kept_where(execution))
        timing = feed(Dask(client, instance, task, execution.deadline), job)
        took = time.perf_counter() - begun  # importing Dask and connecting included, as in
        # the sweep's own time
        if timing["work_seconds"] + timing["prepare_seconds"] < min(took / 2, CLUSTER_WORTH):
            job.note(f"note: the {len(todo):,} cases took {timing['work_seconds']:.2f} s of "
                     f"solving on the workers and {took:.2f} s in all: without --scheduler "
                     "they would be solved here, faster")
        return f"Dask at {client.scheduler.address} ({workers} workers at the start)", timing
    finally:
        if client is not given:
            with contextlib.suppress(Exception):  # a lost scheduler: nothing to close
                client.close(timeout=2)


CONNECT_SECONDS = 10  # the documented wait for a scheduler to answer
CLUSTER_WORTH = 1.0  # seconds of solving below which a cluster costs more than it saves
SCHEMES = ("tcp://", "inproc://")


def scheduler_file(path: Path) -> str:
    """The address in a scheduler file (``dask scheduler --scheduler-file``, as dask-jobqueue
    and dask-mpi write them), waiting up to CONNECT_SECONDS for the scheduler to write it."""
    waited = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            address = json.loads(path.read_text(encoding="utf-8"))["address"]
            if isinstance(address, str):
                return address
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if time.monotonic() > waited:
            raise InputError([Problem("--scheduler", f"{path} is not a Dask scheduler file "
                                      f"with an address (waited {CONNECT_SECONDS} s for one)",
                                      hint="start 'dask scheduler --scheduler-file "
                                      f"{path}', or give the address, e.g. "
                                      "tcp://10.0.0.5:8786")])
        time.sleep(0.2)


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``, or an input error within about
    CONNECT_SECONDS whatever the other end does: refuses, answers junk, never answers. The
    handshake runs in a daemon thread that is abandoned when it does not finish."""
    from distributed import Client

    if address.endswith(".json") and "://" not in address:
        address = scheduler_file(Path(address))
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
    units_at: np.ndarray  # where each units and shortfall column sits in HiGHS
    shortfalls_at: np.ndarray
    leads_at: np.ndarray  # and every column after them: a multi-year model's orders and
    # fielded units (the core's last), then leads, then stock columns
    summarizer: Summarizer  # what a solution's arrays add up to (planner.results.summary)
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
                       Summarizer.of_instance(instance, model.units, model.shortfalls))
        if start:
            # HiGHS's defaults, whatever the size: the cases start from this basis, and from
            # the tuned simplex's (planner.solving.algorithm) they took longer (the medium
            # benchmark sweep: 0.73 of warm highspy against 0.80)
            prepared.remember_start(fast.run())
        return prepared

    def remember_start(self, solved: Result) -> None:
        """From now on every ``run`` starts from the basis of this solve (cold when it has
        none: a MIP, or no optimum)."""
        self.fresh = True
        self.start = self.fast.highs.getBasis() if (
            solved.optimal and not self.fast.integer) else None
        if self.start is not None:
            # Devex pricing for the cases: each starts from this basis with the solver
            # cleared, where HiGHS's default dual steepest edge first works out its weights
            # again (6% of a case on the medium benchmark theatre, 3% on baseline). The
            # cases' optima are the same; every case is still solved the same way wherever
            # it runs.
            self.fast.highs.setOptionValue("simplex_dual_edge_weight_strategy", DEVEX)

    def run(self, full: bool = False) -> Result:
        """Solve; once a start is remembered, from that basis whatever the worker solved
        before: where several plans are equally cheap, every worker, chunking and order
        then lands on the same one (a warm start from the previous case would not). Reads
        the column values only (what ``outcome`` needs), or with ``full`` the row values
        and duals too."""
        if self.fresh:
            self.fast.highs.clearSolver()  # setBasis alone leaves state that can pick another
            if self.start is not None:
                self.fast.highs.setBasis(self.start)
        return self.fast.run(columns_only=not full)

    @property
    def countries(self) -> list[str]:
        """The tables' countries, in order."""
        return list(self.summarizer.economy.countries)

    @property
    def unit_cost(self) -> np.ndarray:
        """Each units column's cost per unit."""
        return self.summarizer.unit_cost

    def summary(self, result: Result) -> Summary | None:
        """What a solve comes to (None without a plan)."""
        if result.status not in WITH_PLAN:
            return None
        return self.summarizer.summarize(
            result.values[self.units_at], np.maximum(result.values[self.shortfalls_at], 0.0),
            result.status, result.objective)

    def outcome(self, result: Result) -> Record:
        """Objective, its two parts, each ally's employment cost and the shortfalls (the
        summary's record)."""
        summary = self.summary(result)
        if summary is None:
            return {"status": result.status, "objective": None}
        return summary.record()

    def switched_off(self, absent: set[str], aside: Collection[str] = ()
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Columns of the absent allies, and rows of policies that name one of them or
        depend on a link with one of them (and of the policies named in ``aside``): as a
        mission whose ``countries`` leaves them out."""
        model = self.model
        first = model.core.size - len(model.units) - len(model.shortfalls)  # the leads'
        leads_at = self.leads_at[first:first + len(model.leads)]
        columns = np.concatenate([
            self.units_at[model.units["country"].isin(absent).to_numpy()],
            leads_at[model.leads["country"].isin(absent).to_numpy(dtype=bool)]]
        ).astype(np.int32)
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
