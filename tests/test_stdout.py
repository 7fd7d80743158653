"""Standard output belongs to the command: whatever a solver library prints never reaches it.

These run the planner as a user's shell does, in a subprocess with a real pipe for standard
output, because a solver writes to file descriptor 1 from C, below anything pytest's capture
or typer's test runner can see.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

ROOT = Path(__file__).resolve().parents[1]
PLANNER = [sys.executable, "-m", "planner"]

# Every command with a machine format, and how to parse what it prints. A command whose
# --help offers json must be listed here (checked below), so a new one cannot be missed.
MACHINE_FORMATS: dict[str, tuple[list[str], str]] = {
    "explain": (["explain", "--no-save", "--format", "json"], "json"),
    "explain lead-nation": (["explain", "lead-nation", "--no-save", "--format", "json"],
                            "json"),
    "schema": (["schema", "--format", "json"], "json"),
    "solve": (["solve", "--no-save", "--format", "json"], "json"),
    "solve saved": (["solve", "--format", "json", "--out", "p"], "json"),
    "validate": (["validate", "--format", "json"], "json"),
    "analyze resilience": (["analyze", "resilience", "--no-save", "--format", "json"], "json"),
    "analyze fairness": (["analyze", "fairness", "--no-save", "--format", "json"], "json"),
    "analyze pareto": (["analyze", "pareto", "--no-save", "--points", "3", "--format",
                        "json"], "json"),
    "analyze alternatives": (["analyze", "alternatives", "--no-save", "--format", "json"],
                             "json"),
    "analyze priorities": (["analyze", "priorities", "--no-save", "--format", "json"], "json"),
    "analyze montecarlo": (["analyze", "montecarlo", "readiness-uncertainty", "--draws", "20",
                            "--no-save", "--format", "json"], "json"),
    "schema KOR": (["schema", "KOR", "--format", "json"], "json"),
    "schema csv": (["schema", "--format", "csv"], "csv"),
    "flags": (["flags", "--format", "json"], "json"),
    "flags mission": (["flags", "taiwan-contingency", "--format", "json"], "json"),
}


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PLANNER, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "100", **env})


def commands() -> dict[str, Any]:
    """Every leaf command of the planner, by its name as typed (``analyze resilience``)."""
    from planner.cli.main import app

    found: dict[str, Any] = {}

    def walk(command: Any, prefix: str) -> None:
        if hasattr(command, "commands"):  # a group (typer may vendor its own click)
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            found[prefix] = command

    walk(typer.main.get_command(app), "")
    return found


@pytest.mark.parametrize("name", sorted(MACHINE_FORMATS))
def test_machine_formats_parse(name: str, tmp_path: Path) -> None:
    args, kind = MACHINE_FORMATS[name]
    done = run(args, tmp_path)
    assert done.returncode in (0, 1), done.stderr
    if kind == "json":
        json.loads(done.stdout)  # the whole of stdout, not its last line
    else:
        rows = list(csv.reader(io.StringIO(done.stdout)))
        assert rows and all(len(r) == len(rows[0]) for r in rows)


def test_every_command_offering_json_is_checked() -> None:
    every = commands()
    assert "solve" in every and "analyze resilience" in every, sorted(every)
    covered = {(" ".join(args[:2]) if args[0] == "analyze" else args[0], kind)
               for args, kind in MACHINE_FORMATS.values()}
    for name, command in every.items():
        for option in command.params:
            if "--format" in getattr(option, "opts", ()):
                for kind in ("json", "csv"):
                    if kind in (option.help or ""):
                        assert (name, kind) in covered, (
                            f"planner {name} prints {kind}: add it to MACHINE_FORMATS")


def test_solve_prints_the_plan_and_nothing_before_it(tmp_path: Path) -> None:
    done = run(["solve", "--no-save"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Mission "), done.stdout[:200]
    assert "HiGHS" not in done.stdout.split("Solver")[0]


def test_debug_shows_the_solver_log_on_stderr_only(tmp_path: Path) -> None:
    done = run(["explain", "--no-save", "--format", "json", "--debug"], tmp_path)
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)
    assert "HiGHS" in done.stderr  # the log is there for whoever asked for it


def test_debug_shows_the_traceback_and_keeps_the_exit_code(tmp_path: Path) -> None:
    """--debug prints the traceback where the one-line error would be, with the same exit
    code: an uncaught error would exit with 1, the code of a plan with shortfalls."""
    plain = run(["solve", "no-such-mission", "--no-save"], tmp_path)
    traced = run(["solve", "no-such-mission", "--no-save", "--debug"], tmp_path)
    assert plain.returncode == traced.returncode == 2
    assert "Traceback" not in plain.stderr and "error: no-such-mission" in plain.stderr
    assert "Traceback (most recent call last)" in traced.stderr
    assert "InputError: no-such-mission" in traced.stderr and traced.stdout == ""


def test_worker_processes_keep_stdout_clean(tmp_path: Path) -> None:
    """A pool's workers build their own solver: their output is guarded the same way."""
    done = run(["analyze", "resilience", "--workers", "2", "--no-save"], tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "Running HiGHS" not in done.stdout
    assert "Copyright" not in done.stdout


def test_guard_stops_c_level_writes(tmp_path: Path) -> None:
    """The mechanism itself, without a solver: bytes written to fd 1 by C's printf (buffered,
    as in a pipe) and by os.write inside the guard never reach the pipe; the command's own
    prints before and after do, in order."""
    script = (
        "import ctypes, os, sys\n"
        "from planner.solving.quiet import solver_output\n"
        "libc = ctypes.CDLL(None)\n"
        "print('before', flush=True)\n"
        "with solver_output():\n"
        "    libc.printf(b'banner from C\\n')\n"
        "    os.write(1, b'raw write\\n')\n"
        "print('after')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "before\nafter\n"


@pytest.mark.parametrize("ending", [SystemExit(3), KeyboardInterrupt()])
def test_the_command_ends_without_the_cycle_collectors_last_scans(
        ending: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script freezes what is alive as it returns, however the command ends, so
    that the interpreter's end does not scan it all again (90 ms of `planner solve`); the
    exit code is the command's."""
    import gc

    from planner.cli import main as cli

    def command() -> None:
        raise ending

    monkeypatch.setattr(cli, "app", command)
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as exited:
            cli.main()
        assert exited.value.code == (3 if isinstance(ending, SystemExit) else 130)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
