"""Keep solver libraries off standard output, which belongs to the command.

highspy 1.16 prints a banner from the C++ constructor of ``Highs()``, before any option
can be set, and a solver may print warnings during a run whatever ``output_flag`` says. A
command whose output is JSON or CSV breaks on one such line. So every construction and run
of a solver happens inside ``solver_output()``, which points file descriptor 1 elsewhere
for its duration: to standard error when the user asked for the solver's log (``--debug``
or ``--solver-log``), else nowhere. Python's own ``sys.stdout`` is flushed first and C's
stdio buffers flushed before fd 1 is put back, so nothing the solver wrote can leak out
later, and nothing the command printed earlier is lost.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

_log = False
_lock = threading.RLock()
_depth = 0
_holder: int | None = None  # the thread inside solver_output (it holds _lock)
_libc: ctypes.CDLL | None = None


def show_solver_log(on: bool = True) -> None:
    """Send what solvers print to standard error from now on (``--debug``)."""
    global _log
    _log = on


def solver_log_shown() -> bool:
    """Whether solvers should write their log (to standard error)."""
    return _log


def redirected_here() -> bool:
    """Whether this thread already runs inside ``solver_output`` (a sweep's chunk): a solve
    there needs no redirection of its own, which costs more than a small model's solve."""
    return _holder == threading.get_ident()


def _flush_c_stdio() -> None:
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None)
        _libc.fflush(None)
    except (OSError, AttributeError):  # no C library to reach: nothing buffered there
        pass


@contextmanager
def solver_output() -> Iterator[None]:
    """Run a solver with file descriptor 1 pointed at standard error (log shown) or at
    the null device. Re-entrant and thread-safe: nested uses redirect once."""
    global _depth, _holder
    with _lock:
        if _depth:
            _depth += 1
            try:
                yield
            finally:
                _depth -= 1
            return
        with suppress(OSError, ValueError):
            sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no fd 1 at all (a closed stdout): nothing to protect
            saved = -1
        target = os.dup(2) if _log else os.open(os.devnull, os.O_WRONLY)
        if saved >= 0:
            os.dup2(target, 1)
        _depth, _holder = 1, threading.get_ident()
        try:
            yield
        finally:
            _depth, _holder = 0, None
            _flush_c_stdio()
            if saved >= 0:
                os.dup2(saved, 1)
                os.close(saved)
            os.close(target)
