"""The benchmark commands of docs/performance.md run as documented (timing is theirs to
report, not the tests' to assert)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, run_planner


def test_generated_theatre_validates_and_the_quick_benchmark_runs(tmp_path: Path) -> None:
    def module(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                              text=True, timeout=600)

    theatre = tmp_path / "bench-small"
    made = module("benchmarks.generate", "small", str(theatre))
    assert made.returncode == 0, made.stderr
    checked = run_planner("validate", "--data", str(theatre / "capabilities"),
                          str(theatre / "mission.yaml"), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    out = tmp_path / "quick.json"
    run = module("benchmarks.run", "--quick", "--out", str(out), "--work", str(tmp_path / "w"))
    assert run.returncode == 0, run.stderr
    assert "Targets (issue 23" in run.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["sizes"]) == {"small"} and "baseline" in report["sweeps"]
    small = report["sizes"]["small"]
    assert small["same_objective"], small["objectives"]  # CLP and IPM agree with the planner
    assert set(small["objectives"]) >= {"planner", "highs", "highs-ipm", "clp"}
    assert small["best single solver"] in {"HiGHS simplex", "HiGHS IPM", "CLP"}
    assert {t["target"] for t in report["targets"]} >= {
        "small build + solve / best single solver", "sweep baseline: planner / warm highspy",
        "planner solve baseline / import of its libraries"}


def test_generalised_assignment_through_lead_nations_finds_the_optimum(tmp_path: Path) -> None:
    """The planner's lead-nation formulation of a 3 x 8 generalised assignment reaches the
    optimum found by trying all 3^8 assignments (the benchmark also checks it against the
    instance written directly for HiGHS, and fails if they differ)."""
    from benchmarks.gap import instance

    gap = instance(3, 8)
    best = min(sum(gap.cost[i][j] for j, i in enumerate(agents))
               for agents in itertools.product(range(3), repeat=8)
               if all(sum(gap.weight[i][j] for j, a in enumerate(agents) if a == i)
                      <= gap.capacity[i] for i in range(3)))
    out = tmp_path / "gap.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.gap", "--agents", "3", "--jobs",
                          "8", "--repeats", "1", "--out", str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    [measured] = json.loads(out.read_text(encoding="utf-8"))["gap"]
    assert measured["objective"] == best
    assert measured["ratio"] > 0 and "goal: planner / direct CPU time <= 2" in run.stdout


def test_the_sustainment_benchmark_runs_on_a_short_mission(tmp_path: Path) -> None:
    """benchmarks/sustainment.py (90 daily periods, five allies, by default) on 5 days: the
    model solves, and its warm re-solves (a changed opening stock each) are counted."""
    out = tmp_path / "sustainment.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks.sustainment", "--days", "5",
                           "--repeats", "1", "--sweep", "3", "--out", str(out), "--work",
                           str(tmp_path / "w")], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["days"] == 5 and report["allies"] == 5
    assert report["objective"] > 0 and report["warm_resolves_per_second"] > 0


def test_the_cluster_benchmark_runs_and_every_way_gives_the_same_draws(tmp_path: Path) -> None:
    """benchmarks.cluster on a few draws: this process, local processes and a local Dask
    cluster with 1 and 2 workers, started as the docs start them and with Dask's defaults
    (the benchmark itself fails when their records differ)."""
    run = subprocess.run([sys.executable, "-m", "benchmarks.cluster", "--draws", "40",
                          "--repeats", "1", "--folder", str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((tmp_path / "cluster.json").read_text(encoding="utf-8"))
    assert {(w["way"], w["workers"]) for w in report["ways"]} >= {
        ("this process", 1), ("local processes", 1), ("local processes", 2), ("dask", 1),
        ("dask", 2), ("dask, Dask's defaults", 1), ("dask, Dask's defaults", 2)}
    assert "goal: efficiency >= 0.8" in run.stdout
    assert all(0 < w["busy"] <= 1.05 for w in report["ways"])  # a share of the sweep


def test_a_solver_process_is_measured_with_what_its_caller_held(tmp_path: Path) -> None:
    """The stand-in for CLP's or CBC's binary records the solver's peak and, as it starts,
    its caller's memory; the memory reported is the most both held at once."""
    import resource

    from benchmarks.measure import kib_to_mb, measured, together_mb

    python = sys.executable
    script, peak, caller = measured(tmp_path, python)
    grown = "x = bytearray(60 * 2 ** 20); x[::4096] = b'1' * len(x[::4096])"
    done = subprocess.run([script, "-c", grown], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert kib_to_mb(peak) >= 60  # the child's own peak, its 60 MB included
    held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert 0 < kib_to_mb(caller) <= held + 1  # this process's memory as the child started
    assert kib_to_mb(tmp_path / "nothing") == 0.0
    assert together_mb(500.0, 300.0, 250.0) == 550.0  # both at once
    assert together_mb(700.0, 300.0, 250.0) == 700.0  # the caller's own peak, later
