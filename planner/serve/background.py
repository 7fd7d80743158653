"""Long analyses started from the page: the N-1 of the plan in play, in the background.

The analysis takes out each ally and then each pool of the position play is at and
re-solves (the ``planner analyze resilience --pools`` cases, on a model of its own, so moves
go on being played meanwhile), one case at a time so that it can report progress and stop
between two cases when cancelled. Browsers watch it through the page's analysis panel,
which polls while it runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from planner.analyze.resilience import Withhold, cases
from planner.scenario.instance import Instance

SHOWN = 10  # the most critical allies and pools listed


@dataclass
class Criticality:
    """The N-1 of one move: progress, then the rise in the objective of each case."""

    move: int
    total: int
    done: int = 0
    state: str = "running"  # running | done | cancelled | failed
    base: float | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def worst(self) -> list[dict[str, Any]]:
        rows = [r for r in self.rows if r["rise"] is not None]
        return sorted(rows, key=lambda r: -r["rise"])[:SHOWN]


class Background:
    """At most one analysis at a time for the exercise; a new one replaces a finished one."""

    def __init__(self) -> None:
        self.job: Criticality | None = None
        self.cancel = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, instance: Instance, move: int) -> Criticality:
        if self.running:
            raise RuntimeError("an analysis is running: cancel it or wait for it")
        todo = cases(instance, pools=True, links=False)
        self.job = job = Criticality(move, len(todo))
        self.cancel = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(instance, todo, job,
                                                              self.cancel),
                                       name="planner-n-1", daemon=True)
        self.thread.start()
        return job

    def stop(self) -> None:
        self.cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    @staticmethod
    def run(instance: Instance, todo: list[tuple[str, str]], job: Criticality,
            cancel: threading.Event) -> None:
        task = Withhold()
        try:
            prepared = task.prepare(instance)
            for case in todo:
                if cancel.is_set():
                    job.state = "cancelled"
                    return
                record = task.evaluate(prepared, case)
                objective = record.get("objective")
                if case[0] == "base":
                    job.base = objective
                else:
                    rise = None if objective is None or job.base is None else (
                        objective - job.base)
                    job.rows.append({"what": case[0], "name": case[1], "rise": rise,
                                     "status": record["status"]})
                job.done += 1
            job.state = "done"
        except Exception as exc:  # shown on the page; the server goes on
            job.state, job.error = "failed", f"{exc.__class__.__name__}: {exc}"
