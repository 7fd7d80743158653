"""HiGHS's LP algorithm chosen by size for a cold solve (issue 23 item 2): dual simplex on
the planner's models, the interior point with crossover from IPM_FROM_NONZEROS, the user's
override, and the choice stated in the plan. The timings behind the threshold are in
planner/solving/algorithm.py and docs/performance.md; here, what must hold whatever the
algorithm: the same optimum and the same prices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import planner.api as pl
from planner import pipeline
from planner.formulation.model import build_model
from planner.solving import algorithm
from planner.solving.algorithm import IPM_FROM_NONZEROS, choose
from planner.solving.solve import solve_model

from .conftest import run_planner


def test_the_choice_follows_the_size_and_the_override() -> None:
    assert choose("auto", IPM_FROM_NONZEROS - 1, integer=False).name == "simplex"
    big = choose("auto", IPM_FROM_NONZEROS, integer=False)
    assert big.name == "ipm" and f"{IPM_FROM_NONZEROS:,} nonzeros" in big.reason
    assert choose("ipm", 10, integer=False).reason == "asked for (--lp-algorithm ipm)"
    assert choose("simplex", 10**8, integer=False).name == "simplex"
    mip = choose("ipm", 10**8, integer=True)  # branch and bound decides its own LPs
    assert mip.name == "choose" and "applies to LPs only" in mip.reason
    with pytest.raises(ValueError, match="unknown LP algorithm 'barrier'"):
        choose("barrier", 10, integer=False)


@pytest.fixture(scope="module")
def instance():
    return pipeline.prepare("baseline")


def test_interior_point_ends_on_an_optimal_basis_with_prices(instance) -> None:
    """Crossover ends the interior point on a basis: the same least cost, a price for every
    row, and prices only on rows at their limit (complementary slackness). Baseline's LP is
    degenerate: the price of a pool row may differ from the simplex solve's (a carrier
    group's conflict row: 18 against 16 USD m), equally valid; which is why the planner
    keeps dual simplex below the threshold and the plan names the algorithm that ran."""
    simplex = solve_model(build_model(instance), algorithm="simplex")
    ipm = solve_model(build_model(instance), algorithm="ipm")
    assert ipm.algorithm.startswith("ipm: asked for")
    assert ipm.objective == pytest.approx(simplex.objective, rel=1e-9)
    assert ipm.duals.keys() == simplex.duals.keys()
    priced = {name: price for name, price in ipm.duals.items() if abs(price) > 1e-7}
    assert priced
    for name in priced:
        assert abs(ipm.slacks[name]) <= 1e-6, name


def test_a_model_above_the_threshold_runs_the_interior_point(
        instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the threshold set below baseline's size, auto picks the interior point and
    the plan says so, with the size that decided it."""
    monkeypatch.setattr(algorithm, "IPM_FROM_NONZEROS", 100)
    plan = pipeline.solve_instance(instance)
    assert plan.lp_algorithm.startswith("ipm: interior point with crossover: ")
    assert "at least the 100 from which" in plan.lp_algorithm
    assert plan.objective == pytest.approx(5577.885363636, rel=1e-9)


def test_the_command_line_states_an_algorithm_that_is_not_the_usual(tmp_path: Path) -> None:
    done = run_planner("solve", "baseline", "--no-save", "--lp-algorithm", "ipm", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "highs (ipm: asked for (--lp-algorithm ipm)), status optimal" in done.stdout
    usual = run_planner("solve", "baseline", "--no-save", "--format", "json", cwd=tmp_path)
    chosen = json.loads(usual.stdout)["lp_algorithm"]
    assert chosen.startswith("simplex: dual simplex: ") and "below the 1,000,000" in chosen
    wrong = run_planner("solve", "baseline", "--no-save", "--lp-algorithm", "barrier",
                        cwd=tmp_path)
    assert wrong.returncode == 2 and "--lp-algorithm" in wrong.stderr


def test_the_api_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(pl.PlannerError, match="unknown LP algorithm 'barrier'"):
        pl.solve("baseline", lp_algorithm="barrier")
    assert pl.solve("baseline", lp_algorithm="ipm").plan.lp_algorithm.startswith("ipm")
