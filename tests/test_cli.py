"""The command line run as a user runs it: exit codes, printed tables, files written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .conftest import REPO, run_planner, write_mission, write_tiny


def test_solve_default_mission_prints_and_writes_plan(tmp_path: Path) -> None:
    result = run_planner("solve", "--out", str(tmp_path / "plan"), cwd=REPO)
    assert result.returncode == 0, result.stderr
    for text in ("Who does what: conflict", "Burden sharing", "Every requirement is covered",
                 "South Korea", "ground_deterrence"):
        assert text in result.stdout
    folder = tmp_path / "plan"
    assert {p.name for p in folder.iterdir()} == {
        "plan.json", "allocations.csv", "countries.csv", "shortfalls.csv", "coverage.csv",
        "duals.csv", "plan.xlsx", ".planner-manifest.json"}
    plan = json.loads((folder / "plan.json").read_text())
    assert plan["status"] == "optimal" and plan["mission"]["name"] == "baseline"
    assert set(plan["versions"]) >= {"pulp", "highspy", "python"}
    countries = pd.read_csv(folder / "countries.csv")
    assert countries["cost"].sum() == sum(a["cost"] for a in plan["allocations"]) or abs(
        countries["cost"].sum() - plan["total_cost"]) < 1e-6
    assert len(pd.read_csv(folder / "allocations.csv")) == len(plan["allocations"])


def test_same_inputs_give_identical_plan_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run_planner("solve", "--out", str(tmp_path / name), cwd=REPO).returncode == 0
    for file in ("allocations.csv", "countries.csv", "shortfalls.csv", "coverage.csv",
                 "duals.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    first, second = (json.loads((tmp_path / n / "plan.json").read_text()) for n in "ab")
    first.pop("created_at"), second.pop("created_at")
    assert first == second


def test_installed_planner_finds_shipped_defaults_from_any_folder(tmp_path: Path) -> None:
    result = run_planner("solve", "--no-save", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "baseline" in result.stdout
    assert not (tmp_path / "plans").exists()
    assert run_planner("validate", cwd=tmp_path).returncode == 0


def test_shortfall_exits_1_and_lists_it(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "data", {"JPN": (1, 1)}, ["isr"], ["japan"], ["crisis"],
                      {"JPN": [dict(pool="p1", quantity=3, readiness=1, cost_per_unit=1,
                                    regions="japan", isr=1)]})
    mission = write_mission(tmp_path / "short.yaml", name="short", phases=["crisis"],
                            requirements=[dict(task="isr", region="japan", phase="crisis",
                                               amount=5)])
    result = run_planner("solve", str(mission), "--data", str(data), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Shortfalls" in result.stdout
    shortfalls = pd.read_csv(tmp_path / "plans" / "short" / "shortfalls.csv")
    assert shortfalls[["task", "region", "phase", "shortfall"]].values.tolist() == [
        ["isr", "japan", "crisis", 2.0]]


def test_cbc_solver_option_and_unknown_mission(tmp_path: Path) -> None:
    result = run_planner("solve", "--solver", "cbc", "--no-save", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "cbc, status optimal" in result.stdout
    result = run_planner("solve", "baselin", cwd=REPO)
    assert result.returncode == 2
    assert "did you mean baseline?" in result.stderr
    assert "Traceback" not in result.stderr


def test_out_folder_that_is_not_a_plan_is_left_alone(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "draft.txt").write_text("mine")
    result = run_planner("solve", "--out", str(precious), cwd=REPO)
    assert result.returncode == 2
    assert (precious / "draft.txt").read_text() == "mine"
    assert sorted(p.name for p in precious.iterdir()) == ["draft.txt"]


def test_help_lists_the_commands() -> None:
    result = run_planner("--help", cwd=REPO)
    assert result.returncode == 0
    assert "solve" in result.stdout and "validate" in result.stdout


def test_outputs_get_the_usual_permissions(tmp_path: Path) -> None:
    """Files are written through private temporary names; the results must not stay
    private (a report is handed to readers)."""
    import os

    mask = os.umask(0)
    os.umask(mask)
    assert run_planner("solve", "--out", "p", cwd=tmp_path).returncode == 0
    assert run_planner("report", "p", "--out", "r.html", cwd=tmp_path).returncode == 0
    assert (tmp_path / "p").stat().st_mode & 0o777 == 0o777 & ~mask
    assert (tmp_path / "r.html").stat().st_mode & 0o777 == 0o666 & ~mask


def test_an_existing_plan_is_replaced_only_with_force(tmp_path: Path) -> None:
    assert run_planner("solve", "--out", "p", cwd=tmp_path).returncode == 0
    before = (tmp_path / "p" / "plan.json").read_bytes()
    again = run_planner("solve", "--out", "p", cwd=tmp_path)
    assert again.returncode == 2
    assert "p: already holds a plan" in again.stderr and "--force" in again.stderr
    assert "Who does what" not in again.stdout  # refused before solving
    assert (tmp_path / "p" / "plan.json").read_bytes() == before
    assert run_planner("solve", "--out", "p", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / "p" / "plan.json").read_bytes() != before  # a new created_at


def test_highs_missing_falls_back_to_cbc(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pulp

    from planner import pipeline

    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    plan = pipeline.solve("baseline")
    assert plan.solver == "cbc" and plan.status == "optimal"


def test_a_solver_crash_names_the_mission(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from planner import pipeline
    from planner.errors import SolverError
    from planner.solving import highs

    class Crashing(highs.highspy.Highs):  # type: ignore[misc]
        def run(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("segmentation fault")

    monkeypatch.setattr(highs.highspy, "Highs", Crashing)
    with pytest.raises(SolverError, match="highs failed on mission baseline: segmentation"):
        pipeline.solve("baseline")


@pytest.fixture(scope="module")
def five_allies_piped() -> str:
    """`planner solve five-allies --no-save | cat` in an 80-column setting: stdout is a pipe."""
    script = Path(sys.executable).with_name("planner")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "planner"]
    result = subprocess.run([*command, "solve", "five-allies", "--no-save"], cwd=REPO,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 1, result.stderr  # shortfalls in the Taiwan Strait area
    return result.stdout


def test_output_that_is_not_a_terminal_is_never_cut(five_allies_piped: str) -> None:
    assert "…" not in five_allies_piped
    lines = five_allies_piped.splitlines()
    header = next(line for line in lines if line.split()[:3] == ["Region", "Task", "Need"])
    assert header.split() == ["Region", "Task", "Need", "USA", "JPN", "KOR", "AUS", "PHL",
                              "Short"]
    assert any(line.split()[:3] == ["korean_peninsula", "ground_deterrence", "18.5"]
               for line in lines)
    assert any(line.split()[:3] == ["conflict", "taiwan_strait", "munitions_supply"]
               for line in lines)  # the shortfall table, 98 columns wide, is whole
    # prose still wraps at the width: the mission's description is not one long line
    assert max(len(line.rstrip()) for line in lines[:12]) <= 80


def test_each_region_is_listed_once_per_phase(five_allies_piped: str) -> None:
    """five-allies extends taiwan-contingency, which extends baseline: each adds
    requirements in regions the parent already has (japan, taiwan_strait)."""
    lines = five_allies_piped.splitlines()
    start = lines.index(next(line for line in lines
                             if line.startswith("Who does what: conflict")))
    end = next(n for n in range(start + 4, len(lines)) if not lines[n].strip())
    regions = [line.split()[0] for line in lines[start + 4:end] if not line.startswith("  ")]
    assert regions == ["korean_peninsula", "japan", "east_china_sea", "rear",
                       "taiwan_strait", "south_china_sea", "philippines"]


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_a_table_that_cannot_fold_is_printed_as_measuring_it_would(
        columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Off a terminal, a headed table with no folding column is printed at an unbounded
    width without being measured first (``render.unfolded``): the same text, every table,
    as when each is measured (``uncut_width``), at any console width."""
    import io

    from planner import pipeline
    from planner.reports import formats, render

    plan = pipeline.solve("five-allies")
    text = formats.PLAN.pick("text")

    def printed() -> str:
        out = io.StringIO()
        console = render.Output(file=out, width=columns, highlight=False)
        text.write(plan, console, detail=True)
        return out.getvalue()

    measured: list[object] = []
    original = render.uncut_width
    monkeypatch.setattr(render, "uncut_width", lambda c, t: measured.append(t) or original(c, t))
    fast = printed()
    skipped = len(measured)
    monkeypatch.setattr(render, "unfolded", lambda table: False)
    assert printed() == fast
    assert len(measured) - skipped > skipped  # most of the plan's tables skip the measure


PIECES = ["12.5", "-", "0", "a_b", " ", ":", "[", "]", "[dim]", "[/]", "[red]", ":smile:",
          ":+1:", "USD m", "x:y"]


@given(st.lists(st.sampled_from(PIECES), max_size=6).map("".join))
def test_a_cell_reads_as_rich_would_read_it(cell: str) -> None:
    """``tables.parsed`` skips rich's reading of a cell with no markup and no emoji code; it
    gives the same text, styles and spans as reading it."""
    from rich.errors import MarkupError
    from rich.text import Text

    from planner.reports.tables import parsed

    try:
        expected = Text.from_markup(cell)
    except MarkupError:
        return  # not a cell the reports make (and reading it fails either way)
    got = parsed(cell)
    assert (got.plain, got.spans, got.style) == (expected.plain, expected.spans,
                                                 expected.style)


@pytest.mark.parametrize("cells", [("abcdefgh\rijklmnop", "x\x0by"), ("x" * 10_005, "y"),
                                   ("多国", "two\nlines")])
def test_an_odd_table_is_printed_as_measuring_it_would(
        cells: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain rich tables (an analysis's) with control codes, a cell wider than any width
    given, wide characters or two lines: the same text off a terminal with or without the
    measuring pass, and nothing cut."""
    import io

    from rich.table import Table

    from planner.reports import render

    def printed() -> str:
        table = Table(title="odd")
        table.add_column("first")
        table.add_column("second")
        table.add_row(*cells)
        table.add_row("a", "b")
        out = io.StringIO()
        render.Output(file=out, width=40, highlight=False).print(table)
        return out.getvalue()

    fast = printed()
    monkeypatch.setattr(render, "unfolded", lambda table: False)
    assert printed() == fast
    assert "…" not in fast
