"""How proven a MIP plan is: the gap asked for reaches the solver, plan.json records the bound
and the gap, and the status says optimal only within the gap asked for.

The tiny mission is a generalised assignment written with lead nations. Three agents XAA,
XAB, XAC (countries) each have one pool ``capacity`` (quantity 9, 7, 13; readiness 1) and six
jobs (tasks job0..job5, amount 1 each in region theatre, phase once) must each be done by
exactly one agent (a lead_nation policy, delivered_by lead). Job j takes w[i][j] units of
agent i (its pool delivers 1/w of the job per unit) and costs K + c[i][j] there, K = 100,000
(the task cost per unit is (K + c) / w); a job left undone costs 10,000,000.

    w = XAA [2, 3, 1, 3, 5, 2]    c = XAA [4, 6, 6, 6, 7, 2]
        XAB [1, 4, 4, 1, 1, 2]        XAB [9, 8, 7, 2, 4, 4]
        XAC [3, 4, 5, 4, 4, 2]        XAC [1, 4, 2, 2, 4, 5]

No plan costs less than every job at its cheapest agent: 6K + (1 + 4 + 2 + 2 + 4 + 2) =
600,015. That plan fits: XAC does jobs 0, 1, 2 (weight 3 + 4 + 5 = 12 <= 13), XAB jobs 3 and
4 (1 + 1 = 2 <= 7), XAA job 5 (2 <= 9). So the optimum is exactly 600,015. HiGHS 1.16 at its
own default relative gap of 1e-4 stops at 600,019 (4 / 600,019 = 6.7e-6 < 1e-4) and calls it
optimal: the case of issue 14.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest

from planner import pipeline
from planner.formulation.model import build_model
from planner.solving.gap import MipGap, proof
from planner.solving.progress import SETTING, MipProgress, line
from planner.solving.solve import cbc_bound, fast_model

from .conftest import run_planner, write_mission, write_tiny

K = 100_000
WEIGHT = [[2, 3, 1, 3, 5, 2], [1, 4, 4, 1, 1, 2], [3, 4, 5, 4, 4, 2]]
COST = [[4, 6, 6, 6, 7, 2], [9, 8, 7, 2, 4, 4], [1, 4, 2, 2, 4, 5]]
CAPACITY = [9, 7, 13]
AGENTS = ["XAA", "XAB", "XAC"]
JOBS = [f"job{j}" for j in range(6)]


def assignment(tmp_path: Path) -> tuple[Path, Path]:
    """The capability folder and mission of the module docstring."""
    pools = {}
    for i, agent in enumerate(AGENTS):
        row: dict[str, object] = dict(pool="capacity", quantity=CAPACITY[i], readiness=1,
                                      cost_per_unit=0, regions="theatre")
        for j, job in enumerate(JOBS):
            row[job] = 1 / WEIGHT[i][j]
            row[f"{job}_cost"] = (K + COST[i][j]) / WEIGHT[i][j]
        pools[agent] = [row]
    data = write_tiny(tmp_path / "data", {a: (1, 1) for a in AGENTS}, JOBS, ["theatre"],
                      ["once"], pools)
    (data / "policies.yaml").write_text("flags: {}\npolicies: []\n", encoding="utf-8")
    mission = write_mission(
        tmp_path / "assign.yaml", name="assign", phases=["once"],
        objective={"shortfall_penalty": 10_000_000},
        requirements=[{"task": job, "region": "theatre", "phase": "once", "amount": 1}
                      for job in JOBS],
        policies=[{"name": "one_agent", "kind": "lead_nation", "task": JOBS,
                   "region": "theatre", "sentence": "One agent does each job.",
                   "source": "test"}])
    return data, mission


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_the_default_gap_makes_the_offset_assignment_exact(tmp_path: Path, solver: str) -> None:
    data, mission = assignment(tmp_path)
    done = run_planner("solve", str(mission), "--data", str(data), "--solver", solver,
                       "--out", "plan", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{solver}, status optimal" in done.stdout
    assert "MIP gap    0 (the plan reaches the best bound); asked for 1e-07 relative or " \
           "1e-06 USD m" in done.stdout
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert plan["status"] == "optimal"
    assert plan["objective"] == pytest.approx(600_015, abs=1e-4)
    assert plan["mip"]["bound"] == pytest.approx(600_015, abs=1e-4)
    assert plan["mip"]["gap"] == 0 and plan["mip"]["absolute_gap"] == 0
    assert (plan["mip"]["relative_tolerance"], plan["mip"]["absolute_tolerance"]) == (1e-7, 1e-6)
    assert {(x["task"], x["country"]) for x in plan["leads"]} >= {
        ("job0", "XAC"), ("job1", "XAC"), ("job2", "XAC"), ("job5", "XAA")}


def test_a_looser_gap_asked_for_is_recorded_with_its_bound(tmp_path: Path) -> None:
    """At 1e-4 the solver may stop above 600,015; whatever it returns, the optimum lies
    between the recorded bound and the plan, and the gap printed is the one recorded."""
    data, mission = assignment(tmp_path)
    done = run_planner("solve", str(mission), "--data", str(data), "--mip-gap", "1e-4",
                       "--out", "plan", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    mip = plan["mip"]
    assert mip["relative_tolerance"] == 1e-4
    assert mip["bound"] - 1e-6 <= 600_015 <= plan["objective"] + 1e-6
    assert mip["absolute_gap"] == pytest.approx(plan["objective"] - mip["bound"], abs=1e-6)
    assert mip["gap"] <= 1e-4
    assert "asked for 0.0001 relative" in done.stdout


def test_a_gap_that_is_not_a_number_or_negative_is_refused(tmp_path: Path) -> None:
    data, mission = assignment(tmp_path)
    done = run_planner("solve", str(mission), "--data", str(data), "--no-save",
                       "--mip-gap", "-1", "--mip-gap-abs", "inf", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: --mip-gap: -1 is not a gap - give a number >= 0, e.g. 1e-6",
        "error: --mip-gap-abs: inf is not a gap - give a number >= 0, e.g. 1e-6",
        "2 problem(s) found."]


def test_optimal_needs_either_gap_within_its_tolerance() -> None:
    """Gap 4 on 600,019: 6.67e-6 relative. Within 1e-5 relative, or 4 absolute; not within
    1e-6 relative and 1 absolute at once."""
    found = proof(600_019, 600_015)
    assert (found.absolute, found.relative) == (4, pytest.approx(4 / 600_019))
    assert found.within(MipGap(1e-5, 0)) and found.within(MipGap(0, 4))
    assert not found.within(MipGap(1e-6, 1))
    assert not proof(600_019, None).within(MipGap(1, 1e9))  # no bound proves nothing


def test_cbc_bound_is_read_from_its_result_summary() -> None:
    """CBC prints the bound to six digits and the gap as (objective - bound) / bound: the
    bound comes back as 1271.78947369 / 1.813777 (a time-limited run of a 10 x 50
    assignment, as CBC printed it)."""
    log = ("Cbc0010I After 100 nodes, 8 on tree, 1271.79 best solution, best possible 701\n"
           "Result - Stopped on time limit\n"
           "Objective value:                1271.78947369\n"
           "Lower bound:                    701.183\n"
           "Gap:                            0.813777\n"
           "Enumerated nodes:               112\n")
    bound, note = cbc_bound(log)
    assert bound == pytest.approx(1271.78947369 / 1.813777, rel=1e-12) and note == ""
    assert cbc_bound(log.replace("Gap:                            0.813777\n", "")) == (
        701.183, "cbc printed its bound to six digits")
    assert cbc_bound("Result - Optimal solution found\nObjective value: 5\n") == (
        None, "cbc did not report its bound")


# --- progress of a long MIP run ---------------------------------------------------------------

def gap_instance(tmp_path: Path, agents: int, jobs: int) -> tuple[Path, Path]:
    """A generated generalised assignment (benchmarks.gap): capability folder and mission."""
    from benchmarks.gap import instance, write_instance

    mission = write_instance(instance(agents, jobs), tmp_path / "gap")
    return mission.parent / "capabilities", mission


def test_progress_line_says_best_plan_bound_and_gap() -> None:
    assert line(12.4, 600_019, 600_015) == (
        "MIP running 12 s: best plan 600,019.00 USD m, bound 600,015.00, gap 4 USD m "
        "(6.7e-06 relative)")
    assert line(0.2, math.inf, -math.inf) == "MIP running 0 s: no plan yet, no bound yet"


def test_progress_is_written_while_a_mip_runs_and_never_to_stdout(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    data, mission = gap_instance(tmp_path, 8, 40)
    model = build_model(pipeline.prepare(mission, data))
    fast = fast_model(model)
    shown = io.StringIO()
    result = fast.run(progress=MipProgress(shown, after=0, every=0.05))
    assert result.status == "optimal"
    lines = shown.getvalue().splitlines()
    assert lines and all(re.fullmatch(
        r"MIP running [\d,]+ s: (best plan [\d,.]+ USD m|no plan yet), "
        r"(bound [\d,.]+|no bound yet)(, gap .+ relative\))?", x) for x in lines), lines
    assert capfd.readouterr().out == ""


def test_a_time_limited_mip_prints_its_gap_and_json_stays_clean(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10 x 50 assignment takes HiGHS seconds; stopped at 0.5 s it has a plan (leaving
    jobs undone is always a plan) that is not proven: status time_limit with its gap, exit 1.
    With progress asked from the start, explain's JSON still parses and the progress is on
    standard error."""
    data, mission = gap_instance(tmp_path, 10, 50)
    done = run_planner("solve", str(mission), "--data", str(data), "--time-limit", "0.5",
                       "--out", "plan", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "highs, status time_limit" in done.stdout and "MIP gap" in done.stdout
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert plan["status"] == "time_limit" and plan["mip"]["relative_tolerance"] == 1e-7
    monkeypatch.setenv(SETTING, "0")
    explained = run_planner("explain", str(mission), "--data", str(data), "--time-limit",
                            "0.5", "--format", "json", "--no-save", cwd=tmp_path)
    assert explained.returncode == 1, explained.stderr
    assert json.loads(explained.stdout)["status"] == "time_limit"
    assert "MIP running" in explained.stderr
