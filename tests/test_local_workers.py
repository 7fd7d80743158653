"""Local worker processes as a command uses them: started before its first sweep and kept
for every sweep of the command, the mission unpickled once per worker and sweep, no Dask
import in a local worker, and a worker that dies in a kept pool."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import pytest

from planner.analyze import distribute, sweep
from planner.analyze.distribute import local_workers
from planner.analyze.sweep import Execution
from planner.errors import ClusterError

from .conftest import REPO

LOADS: list[str] = []  # the digests of the missions unpickled in this process


@dataclass(frozen=True)
class Mission:
    """The least a sweep's instance needs: a digest naming it. Counts its unpickling."""

    digest: str

    def __setstate__(self, state: dict[str, Any]) -> None:
        LOADS.append(state["digest"])
        self.__dict__.update(state)


class Whose:
    """A task whose record says which process evaluated the case; the case "die" ends
    that process, as a worker killed or out of memory would end."""

    def prepare(self, instance: Mission) -> str:
        return instance.digest

    def evaluate(self, state: str, case: Any) -> dict[str, Any]:
        if case == "die":
            os._exit(1)
        return {"case": case, "mission": state, "pid": os.getpid()}


def pids(run: sweep.SweepRun) -> set[int]:
    return {r["pid"] for r in run.records}


def started(executor: Any, count: int) -> set[int]:
    """The pool's processes once ``count`` have started (within a minute)."""
    waited = time.monotonic() + 60
    while len(executor._processes) < count and time.monotonic() < waited:
        time.sleep(0.05)
    return set(executor._processes)


def ended(processes: set[int]) -> bool:
    """Whether every one of the processes has ended (within half a minute)."""
    waited = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{p}") for p in processes):
        if time.monotonic() > waited:
            return False
        time.sleep(0.05)
    return True


def run(mission: str, cases: list[Any]) -> sweep.SweepRun:
    return sweep.sweep(Mission(mission), Whose(), cases, "cases",
                       Execution(workers=2, progress=False))


def test_a_local_worker_does_not_import_dask() -> None:
    """Naming the worker that ran a chunk looked Dask up by importing it: about 0.4 s of
    CPU in every local worker's first chunk of every sweep. Outside Dask the name is the
    process, and Dask stays unimported."""
    code = ("import os, sys; from planner.analyze import distribute; "
            "assert distribute.worker_name() == f'process {os.getpid()}'; "
            "print('distributed' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, check=True)
    assert done.stdout.strip() == "False"


def test_the_mission_is_unpickled_once_per_worker_and_sweep() -> None:
    """A local worker receives the mission with every chunk, as bytes pickled once; it
    unpickles them for the first chunk of a sweep only, and again for another sweep. It
    sends its records back as the JSON text an analysis folder keeps."""
    LOADS.clear()
    shipped = pickle.dumps((Mission("one"), Whose()))
    key = ("one", pickle.dumps(Whose()))
    first = distribute.run_shipped(key, shipped, [1, 2])
    second = distribute.run_shipped(key, shipped, [3])
    assert first.records == [] and first.text == json.dumps(first.decoded()[0])
    assert [r["case"] for r in first.decoded()[0] + second.decoded()[0]] == [1, 2, 3]
    assert LOADS == ["one"]
    other = distribute.run_shipped(("two", key[1]), pickle.dumps((Mission("two"), Whose())),
                                   [4])
    assert LOADS == ["one", "two"] and other.decoded()[0][0]["mission"] == "two"


def test_a_commands_workers_start_at_once_and_serve_every_sweep() -> None:
    """Inside ``local_workers`` the processes start before any sweep (while a command
    loads its tables) and both sweeps run on them; without it, each sweep starts its
    own. They are shut down when the command ends."""
    with local_workers(2):
        workers = started(distribute.KEPT[2], 2)
        assert len(workers) == 2  # no sweep has run yet
        first, second = run("a", list(range(40))), run("b", list(range(40)))
        assert pids(first) | pids(second) <= workers
        assert [r["mission"] for r in second.records] == ["b"] * 40
        assert [r["case"] for r in second.records] == list(range(40))
    assert distribute.KEPT == {}
    assert ended(workers)
    alone = run("c", list(range(40)))
    assert not pids(alone) & workers  # a sweep outside a command's scope: new processes


def test_a_worker_that_dies_in_a_kept_pool_is_replaced_for_the_next_sweep() -> None:
    """A worker of the command's pool dies mid-sweep: that sweep stops with the cluster
    error (exit 3 at the command line), the broken pool is dropped, and a later sweep of
    the same command runs on new processes to the full result."""
    with local_workers(2):
        kept = distribute.KEPT[2]
        workers = started(kept, 2)
        with pytest.raises(ClusterError, match="a worker process stopped"):
            run("a", [0, 1, "die", 3, 4, 5])
        assert distribute.KEPT.get(2) is not kept
        again = run("a", list(range(6)))
    assert [r["case"] for r in again.records] == list(range(6))
    assert len(workers) == 2 and not pids(again) & workers


class Slow(Whose):
    """Cases that take a while, so that two analyses overlap."""

    def evaluate(self, state: str, case: Any) -> dict[str, Any]:
        time.sleep(0.01)
        return super().evaluate(state, case)


def test_two_analyses_at_once_in_one_process_share_the_pool_until_both_end() -> None:
    """The Python API called from two threads with workers=2: both commands use one pool,
    and the one that ends first does not shut it down under the other (which then failed
    with 'a worker process stopped', some of its cases unfinished)."""
    import threading

    outcome: dict[str, Any] = {}

    def analysis(name: str, cases: int, wait: float) -> None:
        try:
            with local_workers(2):
                time.sleep(wait)
                outcome[name] = sweep.sweep(Mission(name), Slow(), list(range(cases)),
                                            "cases", Execution(workers=2, progress=False))
        except BaseException as exc:  # reported by the assertion below
            outcome[name] = exc

    short = threading.Thread(target=analysis, args=("short", 10, 0.0))
    long = threading.Thread(target=analysis, args=("long", 200, 0.1))
    short.start()
    long.start()
    short.join()
    long.join()
    assert [r["case"] for r in outcome["short"].records] == list(range(10))
    assert [r["case"] for r in outcome["long"].records] == list(range(200))
    assert distribute.KEPT == {} and distribute.USERS == {}


def test_a_sweep_with_fewer_cases_than_workers_runs_on_the_commands_pool() -> None:
    """Three cases left of a command with --workers 4 (a small sweep, or a resumed one)
    ran on a second pool of 3 started beside the command's idle pool of 4."""
    with local_workers(4):
        kept = started(distribute.KEPT[4], 4)
        small = sweep.sweep(Mission("m"), Whose(), [0, 1, 2], "cases",
                            Execution(workers=4, progress=False))
    assert pids(small) <= kept
