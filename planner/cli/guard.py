"""The error guard of every command: input, solver and file-system errors become one
located line each on standard error and exit code 2, with no traceback unless --debug
(which prints the traceback instead, and exits with the same code).

Exit codes: 0 every requirement covered (or the command did what it was asked), 1 solved
with shortfalls (or no optimum), 2 bad input or usage, 3 a cluster that could not finish
an analysis. Heavy modules are imported inside the functions, so ``planner --help`` stays
fast.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

EXIT_OK, EXIT_SHORT, EXIT_INPUT, EXIT_CLUSTER = 0, 1, 2, 3
MAX_SHOWN = 200  # error lines printed: a broken table of a million rows stays readable


def stderr() -> Any:
    from planner.reports.terminal import console

    return console(stderr=True, soft_wrap=True)


def messages(chosen: Any) -> Any:
    """Where a command's messages go: beside text output on standard output; after a machine
    format's output (json, csv), on standard error, so standard output stays the data."""
    if chosen.machine:
        return stderr()
    from planner.reports.render import stdout

    return stdout()


@contextmanager
def working(what: str, shown: bool = True) -> Iterator[None]:
    """A spinner with the elapsed time on standard error, for a command that runs many
    solves: shown on a terminal only (never in a pipe or a log) and gone when done."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), "{task.description}", TimeElapsedColumn(), console=console,
                  disable=not (shown and console.is_terminal), transient=True) as bar:
        bar.add_task(what, total=None)
        yield


def traced(code: int) -> typer.Exit:
    """Under --debug: the traceback of the error being handled, on standard error, and the
    exit code the error has without --debug (an uncaught error would exit with 1, which
    means 'solved, with shortfalls')."""
    import traceback

    traceback.print_exc()
    return typer.Exit(code)


def guarded(debug: bool, action: Callable[[], int]) -> None:
    """Run a command; turn input and solver errors into one line each and exit code 2."""
    from rich.text import Text

    from planner.errors import ClusterError, InputError, SolverError
    from planner.solving.quiet import show_solver_log

    show_solver_log(debug)  # --debug also shows what the solver prints, on standard error
    try:
        code = action()
    except InputError as exc:
        if debug:
            raise traced(EXIT_INPUT) from None
        console = stderr()
        for problem in exc.problems[:MAX_SHOWN]:
            # cell text is shown verbatim: never parsed as rich markup
            console.print(Text.assemble(("error:", "red"), " ", str(problem)))
        hidden = len(exc.problems) - MAX_SHOWN
        if hidden > 0:
            console.print(f"... and {hidden:,} more: fix these first (they often share one "
                          "cause, such as a shifted column), then run again.")
        console.print(f"{len(exc.problems)} problem(s) found.")
        raise typer.Exit(EXIT_INPUT) from None
    except SolverError as exc:
        if debug:
            raise traced(EXIT_INPUT) from None
        stderr().print(Text.assemble(("error:", "red"), " ", printable(str(exc))))
        raise typer.Exit(EXIT_INPUT) from None
    except ClusterError as exc:  # the workers could not finish: finished cases are kept
        if debug:
            raise traced(EXIT_CLUSTER) from None
        stderr().print(Text.assemble(("error:", "red"), " ", printable(str(exc))))
        raise typer.Exit(EXIT_CLUSTER) from None
    except OSError as exc:  # permissions, a full disk, a folder where a file should be...
        if debug:
            raise traced(EXIT_INPUT) from None
        stderr().print(Text.assemble(("error:", "red"), " ", str(file_system_problem(exc))))
        raise typer.Exit(EXIT_INPUT) from None
    raise typer.Exit(code)


FILE_SYSTEM_HINTS = {
    errno.EACCES: "check the permissions of the file and its folder",
    errno.EPERM: "check the permissions of the file and its folder",
    errno.ENOSPC: "free some disk space and run the command again",
    errno.EDQUOT: "free some of your disk quota and run the command again",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.EISDIR: "a folder is where a file is expected: give the file's path",
    errno.ENOTDIR: "a file is where a folder is expected: check the path",
    errno.ENOENT: "check the path",
    errno.ENAMETOOLONG: "use a shorter path",
}


def file_system_problem(exc: OSError) -> Any:
    """An operating-system error as one located problem: the file, what failed, the fix."""
    from planner.errors import Problem

    where = exc.filename if exc.filename is not None else "file system"
    hint = FILE_SYSTEM_HINTS.get(exc.errno or 0, "check the file and run the command again")
    return Problem(str(where), f"cannot be used: {exc.strerror or exc}", hint=hint)


def printable(text: str) -> str:
    from planner.errors import printable as clean

    return clean(text)

