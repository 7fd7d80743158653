"""Hand a sweep's cases to workers in chunks, and see every chunk through or say why not.

One loop serves local processes and Dask alike. It keeps as many chunks in flight as the
workers have threads, sizes each new chunk from the time a case has taken so far (about
``TARGET`` seconds of work, so that sending a chunk and its results costs a few percent of
it, and smaller towards the end so that no worker is left waiting for the last), writes each
finished chunk to the analysis folder (``planner.analyze.keep``), and watches the workers:

- a worker lost mid-chunk: Dask runs its chunks again on the others (same results: every
  case starts from the same basis), and the loop gives them a fresh deadline;
- no worker at all: a note on standard error at once, and a ``ClusterError`` when none has
  joined within the deadline;
- a finished chunk whose records cannot be fetched within the deadline (its worker stopped
  answering just after finishing it): sent again, like a chunk lost with its worker;
- a chunk running past the deadline (a worker that stopped answering), a lost scheduler,
  or local processes that died: a ``ClusterError`` that says how many cases finished and
  where they are kept.

Workers prepare the model once per thread and keep it for every later chunk of the same
sweep (``run_chunk``), so a chunk costs only its solves.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import pickle
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from planner.errors import ClusterError
from planner.solving.quiet import solver_output

Record = dict[str, Any]
TARGET = 1.0  # seconds of work in a chunk, once the time of a case is known
LEAST = 0.05  # seconds of work a chunk has at least, once the time of a case is known
FIRST = 2  # cases in a worker's first chunk, before any time is known
TICK = 0.25  # seconds between looks at the finished chunks while waiting
LOOK = 1.0  # seconds between asking the cluster how many threads it has (a round trip to
# Dask's scheduler: after every finished chunk, it was 40-60 round trips a 4 s sweep)
DEADLINE = 300.0  # default seconds a chunk may run, and the wait for a worker to join
RETRIES = 3  # times a chunk lost with its worker is sent again


class Stopped(Exception):
    """Why the workers cannot go on (the feeding loop adds what finished and where it is)."""


class Task(Protocol):
    def prepare(self, instance: Any) -> Any: ...

    def evaluate(self, state: Any, case: Any) -> Record: ...


# Per worker process: the states prepared for the last sweep, one per thread that ran it.
PREPARED: dict[tuple[str, bytes], list[Any]] = {}
PREPARED_LOCK = threading.Lock()


@dataclass
class Done:
    """A finished chunk as a worker returns it."""

    records: list[Record]
    seconds: float  # evaluating the cases, preparing excluded
    prepared: float  # seconds spent preparing the model (0 when it was cached)
    worker: str
    cpu: float = 0.0  # CPU seconds of the worker's thread evaluating the cases
    text: str | None = None  # the records as JSON, in their place when sent (``encoded``)

    def encoded(self) -> Done:
        """The chunk as a worker sends it: its records as the JSON text that the analysis
        folder keeps. The process feeding the workers then decodes it once and writes it
        as it is: encoding there was 0.18 of its 0.32 CPU-seconds in a 20,000-draw sweep
        on 2 Dask workers, CPU taken from the workers where they share the machine, and the
        one part of a sweep that does not grow with the workers. A string also pickles
        faster than the records it holds."""
        from planner.analyze.keep import records_text

        return Done([], self.seconds, self.prepared, self.worker, self.cpu,
                    records_text(self.records))

    def decoded(self) -> tuple[list[Record], str | None]:
        """The records as they read back from an analysis folder, and their JSON text (None
        when the chunk came as records: run in this process)."""
        from planner.analyze.keep import records_of

        if self.text is None:
            return self.records, None
        return records_of(self.text), self.text


def run_chunk(instance: Any, task: Task, cases: Sequence[Any],
              key: tuple[str, bytes] | None = None) -> Done:
    """One chunk on a worker, on a model prepared once per worker thread: a worker given
    many chunks of one sweep prepares it for the first only. ``key``: the sweep's (input
    digest, pickled task), worked out once by the sender rather than once per chunk."""
    key = key or sweep_key(instance, task)
    with PREPARED_LOCK:
        if key not in PREPARED:
            PREPARED.clear()  # another sweep: the models of the last one are not needed
            PREPARED[key] = []
        idle = PREPARED[key]
        state = idle.pop() if idle else None
    begun = time.perf_counter()
    if state is None:
        state = task.prepare(instance)
    prepared = time.perf_counter() - begun
    cpu = time.thread_time()
    with solver_output():  # once for the chunk, not once per solve
        records = [task.evaluate(state, case) for case in cases]
    cpu = time.thread_time() - cpu
    seconds = time.perf_counter() - begun - prepared
    with PREPARED_LOCK:
        PREPARED.setdefault(key, []).append(state)
    return Done(records, seconds, prepared, worker_name(), cpu)


def run_packed(instance: Any, task: Task, packed: bytes, key: tuple[str, bytes]) -> Done:
    """``run_chunk`` of cases the sender pickled into one blob. Given as they are, Dask
    pickles each of a chunk's arrays out of band into a frame of its own (501 frames for
    500 Monte Carlo draws), which the client, the scheduler and the worker each handle: one
    blob is one frame. On 2 CPUs, a 20,000-draw sweep on 2 Dask workers took 4.3-4.65 s
    instead of 4.8-4.95 s."""
    return run_chunk(instance, task, pickle.loads(packed), key).encoded()


def sweep_key(instance: Any, task: Task) -> tuple[str, bytes]:
    """What a prepared model is kept under on a worker: the inputs and the task."""
    return instance.digest, pickle.dumps(task)


# Per local worker process: the mission and task of the last sweep, unpickled once.
SHIPPED: dict[tuple[str, bytes], tuple[Any, Task]] = {}


def run_shipped(key: tuple[str, bytes], shipped: bytes, cases: Sequence[Any]) -> Done:
    """One chunk on a local worker process. The mission and task travel with every chunk
    as bytes pickled once by the sender (a copy, where pickling the mission for each chunk
    cost the parent a millisecond and the worker three), and are unpickled on the first
    chunk of a sweep only."""
    with PREPARED_LOCK:
        found = SHIPPED.get(key)
    if found is None:
        found = pickle.loads(shipped)
        with PREPARED_LOCK:
            SHIPPED.clear()  # another sweep: the last one's mission is not needed
            SHIPPED[key] = found
    instance, task = found
    return run_chunk(instance, task, cases, key).encoded()


def worker_name() -> str:
    """The Dask worker's address, or the local process. Dask is looked up only where it is
    already imported (on a Dask worker): importing it in a local worker process cost
    about 0.4 s of CPU in each worker's first chunk of every sweep."""
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        with contextlib.suppress(ValueError):  # not a Dask worker
            return str(distributed.get_worker().address)
    import os

    return f"process {os.getpid()}"


class Place(Protocol):
    """Where finished cases go: their positions, records, and the records' JSON text when
    a worker sent them encoded."""

    def __call__(self, positions: list[int], found: list[Record],
                 text: str | None = None) -> None: ...


class Workers(Protocol):
    """Local processes or a Dask cluster, as the feeding loop sees them."""

    where: str
    loss: str  # why the last chunk given up for lost was (said when one is lost too often)

    def threads(self) -> int: ...  # threads of the workers connected now

    def submit(self, cases: list[Any]) -> Any: ...

    def wait(self, futures: list[Any], timeout: float) -> list[Any]: ...  # the finished

    def result(self, future: Any) -> Done | None: ...  # None: lost, to be sent again

    def cancel(self, futures: list[Any]) -> None: ...


@dataclass
class Flight:
    positions: list[int]
    since: float  # when it was sent, or when the workers last changed


@dataclass
class Feed:
    """What the feeding loop needs besides the workers."""

    cases: Sequence[Any]
    todo: list[int]  # positions still to run, in order
    place: Place  # a finished chunk's records, and their JSON text when it came encoded
    deadline: float = DEADLINE
    kept: Callable[[], str] = lambda: ""  # where finished cases are kept, for the error
    note: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True)


def feed(workers: Workers, job: Feed) -> dict[str, float]:
    """Run every case of ``job.todo`` on ``workers``; returns how the time went (seconds of
    work on the workers, of preparing, chunks sent, and the wall time of feeding them)."""
    begun = time.perf_counter()
    todo = list(job.todo)
    total = len(job.cases)
    flights: dict[Any, Flight] = {}
    tally = {"finished": total - len(todo), "work_seconds": 0.0, "prepare_seconds": 0.0,
             "cpu_seconds": 0.0, "timed": 0, "chunks": 0}
    alone_since: float | None = None
    lost: dict[int, int] = {}  # chunk (by its first case) -> times lost

    def fail(reason: str) -> ClusterError:
        workers.cancel(list(flights))
        return ClusterError(f"{workers.where} could not finish: {reason}. "
                            f"{tally['finished']:,} of {total:,} cases finished; {job.kept()}")

    def refill(threads: int, now: float) -> None:
        """Chunks sent until every thread has one running and one waiting: a thread that
        finishes starts its next chunk at once, not when this process has heard of its
        result and sent another (with one chunk waiting for all threads, each of 2 Dask
        workers on 2 CPUs idled 0.2-0.3 s at a time, 1 s in a 5 s sweep)."""
        nonlocal todo
        while todo and len(flights) < 2 * threads:
            timed = tally["timed"]
            per_case = tally["work_seconds"] / timed if timed else None
            size = chunk_size(len(todo), threads, per_case)
            part, todo = todo[:size], todo[size:]
            flights[workers.submit([job.cases[i] for i in part])] = Flight(part, now)
            tally["chunks"] += 1

    try:
        threads, looked = workers.threads(), time.monotonic()
        while todo or flights:
            now = time.monotonic()
            if threads == 0:
                if alone_since is None:
                    alone_since = now
                    job.note(f"note: no worker is connected to {workers.where}; waiting up "
                             f"to {job.deadline:g} s for one (--deadline)")
                elif now - alone_since > job.deadline:
                    raise fail(f"no worker was connected for {job.deadline:g} s")
            else:
                alone_since = None
                refill(threads, now)
            done = workers.wait(list(flights), TICK) if flights else []
            if not flights:
                time.sleep(TICK)
            finished = [(flights.pop(f), workers.result(f)) for f in done]
            for flight, out in finished:
                if out is None:  # lost with its worker or cancelled: sent again
                    todo = flight.positions + todo
                    lost[flight.positions[0]] = lost.get(flight.positions[0], 0) + 1
                    if lost[flight.positions[0]] > RETRIES:
                        raise fail(f"a chunk was lost {RETRIES + 1} times"
                                   + (f" (the last time: {workers.loss})"
                                      if workers.loss else ""))
            if finished and threads:
                refill(threads, time.monotonic())
            for flight, out in finished:
                if out is None:
                    continue
                job.place(flight.positions, *out.decoded())
                tally["finished"] += len(flight.positions)
                tally["work_seconds"] += out.seconds
                tally["prepare_seconds"] += out.prepared
                tally["cpu_seconds"] += out.cpu
                tally["timed"] += len(flight.positions)
            now = time.monotonic()
            # with no worker connected, the wait for one is what runs out (said as such)
            late = [f for f, flight in flights.items()
                    if threads and now - flight.since > job.deadline]
            if late:
                raise fail(f"a chunk of {len(flights[late[0]].positions)} cases ran past the "
                           f"deadline of {job.deadline:g} s (a worker that stopped "
                           "answering, or cases slower than the deadline allows: --deadline "
                           "sets it)")
            if threads == 0 or now - looked >= LOOK:
                seen, looked = workers.threads(), now
                if seen < threads:  # a worker left: Dask runs its chunks again elsewhere
                    for flight in flights.values():
                        flight.since = now
                threads = seen
    except Stopped as exc:
        raise fail(str(exc)) from None
    tally["feed_seconds"] = time.perf_counter() - begun
    return {k: v for k, v in tally.items() if k != "timed"}


def chunk_size(remaining: int, threads: int, per_case: float | None) -> int:
    """Cases in the next chunk: a few while the time of a case is unknown, then about
    TARGET seconds of them, never more than a share of what is left that keeps every
    thread busy to the end, nor fewer than LEAST seconds of them (the shares halve towards
    the end: without a floor, the last 0.3 s of a 20,000-draw sweep on 2 Dask workers went
    in about 25 chunks of 1-4 ms, each paying its messages)."""
    fair = math.ceil(remaining / (2 * max(threads, 1)))
    if per_case is None:
        return max(1, min(FIRST, fair, remaining))
    per_case = max(per_case, 1e-6)
    return max(1, min(remaining, max(min(int(TARGET / per_case), fair),
                                     int(LEAST / per_case))))


# The local worker processes of the running commands, by count (``local_workers``), and how
# many commands use each pool: in one process (the Python API called from two threads)
# commands asking for the same count share one pool, shut down when the last one ends.
KEPT: dict[int, ProcessPoolExecutor] = {}
USERS: dict[int, int] = {}  # id of a kept pool -> commands using it
KEPT_LOCK = threading.Lock()


def warm() -> None:
    """Nothing: sent to each new worker process so that it starts at once."""


@contextmanager
def local_workers(workers: int | None, scheduler: Any = None, least: int = 2
                  ) -> Iterator[None]:
    """For one command that asked for ``workers`` > 1 local processes: the processes start
    now, in the background, while the command imports its libraries and loads its tables,
    and serve every sweep of the command; they are shut down when it ends (when the last
    command sharing them ends). Starting them (a fork server that imports the planner,
    then a fork per worker: 0.35 s of wall time on an idle 2-CPU machine) otherwise came
    inside the first sweep, with any number of workers. This module imports little, so
    that a command can enter this before its own imports. A pool that cannot start here is
    left to the first sweep, which says so. ``least``: the fewest workers worth starting
    (one runs in this process, unless a benchmark asks for a pool of one)."""
    if scheduler is not None or workers is None or workers < least:
        yield
        return
    from concurrent.futures.process import BrokenProcessPool

    with KEPT_LOCK:
        executor = KEPT.get(workers)
        if executor is None:
            try:
                executor = local_processes(workers, pool_context(), together=True)
            except (OSError, BrokenProcessPool):
                executor = None
            else:
                KEPT[workers] = executor
                threading.Thread(target=start, args=(executor, workers), daemon=True,
                                 name="start-workers").start()
        if executor is not None:
            USERS[id(executor)] = USERS.get(id(executor), 0) + 1
    try:
        yield
    finally:
        if executor is not None:
            with KEPT_LOCK:
                USERS[id(executor)] -= 1
                last = not USERS[id(executor)]
                if last:
                    del USERS[id(executor)]
                    if KEPT.get(workers) is executor:
                        del KEPT[workers]
            if last:
                executor.shutdown(wait=False, cancel_futures=True)


def gather(barrier: Any) -> None:
    """In a kept pool's new process: wait (at most GATHER seconds) until every process of
    the pool has started."""
    with contextlib.suppress(Exception):  # one that cannot start: the others go on
        barrier.wait(timeout=GATHER)


GATHER = 30.0  # seconds a kept pool's process waits for the others to start


def start(executor: ProcessPoolExecutor, workers: int) -> None:
    """Each of a new pool's processes started (each waits for the fork server: not in the
    command's thread)."""
    with contextlib.suppress(Exception):  # a failure shows in the first sweep
        for _ in range(workers):
            executor.submit(warm)


def forget(executor: ProcessPoolExecutor) -> None:
    """A kept pool whose worker died is no longer handed out: the next sweep starts a new
    one (its commands still shut the broken one down when they end)."""
    with KEPT_LOCK:
        for count in [c for c, kept in KEPT.items() if kept is executor]:
            del KEPT[count]


def pool_context() -> multiprocessing.context.BaseContext:
    """Workers started from a server that has already imported the planner (fork server),
    where the platform has one; fresh interpreters otherwise."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["planner.analyze.sweep"])
        return context
    return multiprocessing.get_context("spawn")


def local_processes(count: int, context: Any, together: bool = False
                    ) -> ProcessPoolExecutor:
    """``count`` local worker processes; each starts when the first chunks are sent. With
    ``together``, each new process waits in its initializer until all have started: a
    pool starts its processes one by one, only while none is idle, so a first process
    done with its warm-up would leave the others unstarted."""
    if not together:
        return ProcessPoolExecutor(max_workers=count, mp_context=context)
    return ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=gather,
                               initargs=(context.Barrier(count),))


class Pool:
    """Local worker processes (a fork server where the platform has one): new ones, closed
    with the sweep, or ``kept`` ones that live on after it (a command's, see
    ``local_workers``)."""

    def __init__(self, instance: Any, task: Task, count: int, context: Any,
                 kept: ProcessPoolExecutor | None = None) -> None:
        self.instance, self.task, self.count = instance, task, count
        self.key = sweep_key(instance, task)
        self.shipped = pickle.dumps((instance, task), protocol=pickle.HIGHEST_PROTOCOL)
        self.kept = kept is not None
        self.executor = kept if kept is not None else local_processes(count, context)
        self.where = f"{count} local processes"
        self.broken = False
        self.loss = ""  # never: a process that dies breaks the pool (``died``)

    def threads(self) -> int:
        return 0 if self.broken else self.count

    def submit(self, cases: list[Any]) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.executor.submit(run_shipped, self.key, self.shipped, cases)
        except (BrokenProcessPool, RuntimeError) as exc:
            raise self.died(exc) from None

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        return list(wait(futures, timeout, return_when=FIRST_COMPLETED)[0])

    def result(self, future: Any) -> Done:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise self.died(exc) from None

    def died(self, exc: BaseException) -> Stopped:
        self.broken = True
        return Stopped(f"a worker process stopped or could not start "
                       f"({exc.__class__.__name__}: killed, or out of memory)")

    def cancel(self, futures: list[Any]) -> None:
        for future in futures:
            future.cancel()

    def close(self) -> None:
        """Shut new processes down; kept ones live on unless a worker died (the pool is
        broken: its owner drops it)."""
        if not self.kept or self.broken:
            self.executor.shutdown(wait=not self.broken, cancel_futures=True)


class AbandonedFetch(logging.Filter):
    """Drops asyncio's 'Task exception was never retrieved' for the fetch Dask leaves
    behind when ``Future.result`` gives up at its timeout (``AllExit``, raised later in the
    client's thread): the chunk is sent again, and a traceback would only alarm."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error.__class__.__name__ != "AllExit"


class SchedulerGone(logging.Filter):
    """Drops Dask's client's 'Failed to reconnect to scheduler ... closing client': the
    command says the same in its own error (the scheduler stopped answering), once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to reconnect to scheduler" not in record.getMessage()


def same(instance: Any) -> Any:
    """The instance as a task's result, so Dask can compute it again where it was lost."""
    return instance


class Dask:
    """A Dask cluster through a client; the instance is sent once, as a task's result."""

    def __init__(self, client: Any, instance: Any, task: Task,
                 fetch: float = DEADLINE) -> None:
        self.client, self.task, self.fetch = client, task, fetch
        self.key = sweep_key(instance, task)
        self.loss = ""  # why the last chunk was lost, for the error when one is lost too often
        self.address = client.scheduler.address
        # The instance as a task of its own, not scattered data. Dask's memory manager may
        # keep a single copy of anything (ReduceReplicas); a worker leaving with the only
        # copy of scattered data loses it for good and cancels every chunk that needs it,
        # while a task's result is computed again from the graph and the chunks wait.
        with warnings.catch_warnings():  # the graph holds the instance by design
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            self.shared = client.submit(same, instance, pure=False)
        self.where = f"the Dask cluster at {self.address}"
        for name, kind in (("asyncio", AbandonedFetch), ("distributed.client", SchedulerGone)):
            log = logging.getLogger(name)
            if not any(isinstance(f, kind) for f in log.filters):
                log.addFilter(kind())

    def threads(self) -> int:
        try:
            return int(sum(self.client.nthreads().values()))
        except Exception as exc:  # the scheduler is gone: a closed comm, a timeout, ...
            raise Stopped("the scheduler stopped answering (Dask's client lost its "
                          f"connection to it: {exc.__class__.__name__})") from None

    def submit(self, cases: list[Any]) -> Any:
        return self.client.submit(run_packed, self.shared, self.task,
                                  pickle.dumps(cases, protocol=pickle.HIGHEST_PROTOCOL),
                                  self.key, pure=False)

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        from distributed import wait

        with contextlib.suppress(Exception):  # a timeout, or futures cancelled: seen below
            wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        return [f for f in futures if f.done() or f.status in ("cancelled", "lost")]

    def result(self, future: Any) -> Done | None:
        from distributed import KilledWorker

        if future.status in ("cancelled", "lost"):
            self.loss = f"the future was {future.status}"
            return None  # every worker that held it left: the scheduler forgot it
        try:
            # A chunk's records stay on the worker that ran it until fetched: a worker that
            # stopped answering just after finishing would hold this call forever.
            return future.result(timeout=self.fetch)
        except TimeoutError:
            self.loss = f"its records could not be fetched within {self.fetch:g} s"
            self.cancel([future])
            return None  # sent again; on a worker that answers it finishes, else the deadline
        except KilledWorker:
            raise Stopped("a chunk stopped every worker that ran it (KilledWorker: a case "
                          "may need more memory than a worker has)") from None
        except Exception as exc:
            if future.status in ("cancelled", "lost") or exc.__class__.__name__ in (
                    "CancelledError", "FutureCancelledError", "FuturesCancelledError",
                    "CommClosedError"):
                self.loss = exc.__class__.__name__
                return None  # sent again; a lost scheduler shows in threads()
            raise

    def cancel(self, futures: list[Any]) -> None:
        with contextlib.suppress(Exception):  # the scheduler may be gone: nothing to do
            self.client.cancel(futures)


def where_kept(folder: Path | None) -> str:
    """The end of a ClusterError: where the finished cases are."""
    if folder is None:
        return ("they were not kept (--no-save): run again without --no-save to keep "
                "finished cases for --resume")
    return (f"they are kept in {folder} - run the same command with --resume to continue "
            "(on the cluster once it has workers, or without --scheduler to finish here)")
