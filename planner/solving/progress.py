"""A running MIP's progress on standard error: best plan, bound, gap and elapsed time.

A MIP with whole units can run for minutes; without a word on the screen the user cannot
tell a hard problem from a hung one. HiGHS reports its best plan and bound to callbacks
while it runs; a timer thread prints them (HiGHS releases the interpreter while it solves).
On a terminal the line is rewritten in place from the first second and erased at the end;
otherwise (a log file, a pipe) a line is written every ``every`` seconds once the run has
taken ``after`` seconds, so quick solves and scripts stay quiet. Standard output, which
belongs to the command, is never touched.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import highspy

# PLANNER_PROGRESS=off never shows progress; a number of seconds shows it after that long
# (0: from the start), whether or not standard error is a terminal
SETTING = "PLANNER_PROGRESS"


def line(elapsed: float, best: float, bound: float) -> str:
    """One progress line, in the plan's words."""
    plan = f"best plan {best:,.2f} USD m" if math.isfinite(best) else "no plan yet"
    proven = f"bound {bound:,.2f}" if math.isfinite(bound) else "no bound yet"
    gap = ""
    if math.isfinite(best) and math.isfinite(bound):
        gap = f", gap {max(0.0, best - bound):,.3g} USD m"
        if best:
            gap += f" ({max(0.0, best - bound) / abs(best):.2g} relative)"
    return f"MIP running {elapsed:,.0f} s: {plan}, {proven}{gap}"


class MipProgress:
    """Shows a HiGHS MIP run's progress on ``stream`` (standard error)."""

    def __init__(self, stream: TextIO, after: float | None = None,
                 every: float | None = None) -> None:
        self.stream = stream
        self.terminal = stream.isatty()
        self.after = (1.0 if self.terminal else 10.0) if after is None else after
        self.every = (0.5 if self.terminal else 10.0) if every is None else every
        self.best = math.inf
        self.bound = -math.inf
        self.shown = False
        self._lock = threading.Lock()

    @classmethod
    def for_stderr(cls, stream: TextIO) -> MipProgress | None:
        """Progress for this run, or None when the user switched it off."""
        setting = os.environ.get(SETTING, "").strip().lower()
        if setting in ("off", "no", "false"):
            return None
        try:
            after = float(setting) if setting else None
        except ValueError:
            after = None
        return cls(stream, after=after)

    def update(self, event: Any) -> None:
        """A HiGHS callback: keep the latest best plan and bound."""
        data = event.data_out
        with self._lock:
            if math.isfinite(data.mip_primal_bound):
                self.best = min(self.best, float(data.mip_primal_bound))
            if math.isfinite(data.mip_dual_bound):
                self.bound = max(self.bound, float(data.mip_dual_bound))

    def show(self, elapsed: float) -> None:
        with self._lock:
            text = line(elapsed, self.best, self.bound)
        if self.terminal:
            self.stream.write(f"\r\x1b[K{text}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown = True

    @contextmanager
    def watching(self, highs: highspy.Highs) -> Iterator[None]:
        """Subscribe to the run's callbacks and print until the ``with`` block ends."""
        callbacks = (highs.cbMipInterrupt, highs.cbMipImprovingSolution)
        for callback in callbacks:
            callback.subscribe(self.update)
        done = threading.Event()
        start = time.monotonic()

        def tick() -> None:
            if done.wait(self.after):
                return
            while True:
                self.show(time.monotonic() - start)
                if done.wait(self.every):
                    return

        timer = threading.Thread(target=tick, name="mip-progress", daemon=True)
        timer.start()
        try:
            yield
        finally:
            done.set()
            timer.join()
            for callback in callbacks:
                callback.unsubscribe(self.update)
            if self.shown and self.terminal:
                self.stream.write("\r\x1b[K")  # the final status says the rest
                self.stream.flush()
