"""The LP algorithm chosen by size for a cold solve (issue 23 item 2): HiGHS's dual simplex
(with Dantzig pricing and no presolve from TUNED_FROM_NONZEROS), CLP from CLP_FROM_NONZEROS
where its binary is installed, the user's override, and the choice stated in the plan. The
timings behind the thresholds are in planner/solving/algorithm.py and docs/performance.md;
here, what must hold whatever the algorithm: the same optimum and the same prices."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import planner.api as pl
from planner import pipeline
from planner.errors import SolverError
from planner.formulation.model import build_model
from planner.solving import algorithm, clp
from planner.solving.algorithm import (
    CLP_FROM_NONZEROS,
    SIMPLEX_OPTIONS,
    TUNED_FROM_NONZEROS,
    choose,
)
from planner.solving.highs import Arrays, HighsModel
from planner.solving.solve import fast_model, in_name_order, model_arrays, solve_model

from .conftest import run_planner


def test_the_choice_follows_the_size_and_the_override() -> None:
    small = choose("auto", TUNED_FROM_NONZEROS - 1, integer=False)
    assert small.name == "simplex" and small.options == {}  # HiGHS's defaults
    assert small.reason.startswith("dual simplex, HiGHS's defaults: 19,999 nonzeros, below ")
    usual = choose("auto", CLP_FROM_NONZEROS - 1, integer=False)
    assert usual.name == "simplex" and usual.options == SIMPLEX_OPTIONS
    assert usual.reason == (f"dual simplex, Dantzig pricing, no presolve: "
                            f"{CLP_FROM_NONZEROS - 1:,} nonzeros: at least the "
                            f"{TUNED_FROM_NONZEROS:,} from which these options save time, "
                            f"below the {CLP_FROM_NONZEROS:,} from which CLP is faster")
    big = choose("auto", 10**8, integer=False, clp_here=False)  # no CLP: still the simplex
    assert big.name == "simplex" and "CLP's binary is not installed" in big.reason
    assert "the tuned simplex beat HiGHS's interior point" in big.reason
    asked = choose("ipm", 10, integer=False)
    assert asked.reason == "asked for (--lp-algorithm ipm)" and asked.options == {}
    assert choose("simplex", 10**8, integer=False).options == SIMPLEX_OPTIONS
    assert choose("simplex", 10, integer=False).options == {}
    mip = choose("ipm", 10**8, integer=True)  # branch and bound decides its own LPs
    assert mip.name == "choose" and "applies to LPs only" in mip.reason
    assert mip.options == {}  # HiGHS's own presolve and pricing for a MIP
    with pytest.raises(ValueError, match="unknown LP algorithm 'barrier'"):
        choose("barrier", 10, integer=False)


def test_the_tuned_simplex_scales_by_the_largest_entries_where_they_span_few_decades() -> None:
    """Max-value scaling beat HiGHS's equilibration on every benchmark theatre (entries
    spanning 2.5 decades) and lost on the force model (5.2): it is chosen within
    MAX_VALUE_SCALING_DECADES, for the tuned simplex only, and said."""
    assert algorithm.decades(np.array([0.1, 0.0, -33.4, 1.0])) == pytest.approx(np.log10(334))
    assert algorithm.decades(np.zeros(3)) == 0.0
    narrow = choose("auto", TUNED_FROM_NONZEROS, integer=False, span=2.5)
    assert narrow.options == {**SIMPLEX_OPTIONS, "simplex_scale_strategy": 4}
    assert narrow.reason.startswith(
        "dual simplex, Dantzig pricing, no presolve, rows and columns scaled by their largest "
        "entries (the matrix's coefficients span 2.5 powers of ten, within the 3 where this "
        "beat HiGHS's default scaling): ")
    wide = choose("auto", TUNED_FROM_NONZEROS, integer=False, span=5.2)
    assert wide.options == SIMPLEX_OPTIONS and "scaling" not in wide.reason
    assert choose("auto", TUNED_FROM_NONZEROS, integer=False).options == SIMPLEX_OPTIONS
    assert choose("auto", TUNED_FROM_NONZEROS - 1, integer=False, span=0.5).options == {}
    asked = choose("simplex", 10**8, integer=False, span=2.5)
    assert asked.options["simplex_scale_strategy"] == 4 and "asked for" in asked.reason
    assert choose("ipm", 10**8, integer=False, span=2.5).options == {}


def test_clp_takes_over_from_its_threshold_where_it_is_installed() -> None:
    """CLP from CLP_FROM_NONZEROS when its binary is here; not when HiGHS's ranges are
    wanted (they need HiGHS's basis) nor for a MIP; HiGHS's simplex where it is absent."""
    assert choose("auto", CLP_FROM_NONZEROS - 1, False, clp_here=True).name == "simplex"
    big = choose("auto", CLP_FROM_NONZEROS, False, clp_here=True)
    assert big.clp and f"at least the {CLP_FROM_NONZEROS:,} from which" in big.reason
    assert choose("auto", CLP_FROM_NONZEROS, False, clp_here=False).name == "simplex"
    ranged = choose("auto", CLP_FROM_NONZEROS, False, clp_here=True, ranging=True)
    assert ranged.name == "simplex" and "HiGHS's ranges need its basis" in ranged.reason
    assert choose("clp", 10, integer=True, clp_here=True).name == "choose"

    def unasked() -> bool:
        raise AssertionError("looked for CLP's binary for a model below its size")

    assert choose("auto", CLP_FROM_NONZEROS - 1, False, clp_here=unasked).name == "simplex"
    assert choose("auto", CLP_FROM_NONZEROS, False, clp_here=lambda: True).clp
    assert not choose("auto", CLP_FROM_NONZEROS, False, clp_here=lambda: False).clp
    with pytest.raises(ValueError, match="ranges need HiGHS's optimal basis"):
        choose("clp", 10, integer=False, clp_here=True, ranging=True)


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


def test_clp_reaches_the_same_optimum_with_a_price_on_every_row(instance) -> None:
    """CLP's solution read back by position: the same least cost as HiGHS, the same
    allocation cost, a price for every row, prices only on rows at their limit
    (complementary slackness) and with HiGHS's sign convention (a pool row that binds is
    worth a negative amount: one more unit lowers the cost)."""
    assert clp.available()
    simplex = solve_model(build_model(instance), algorithm="simplex")
    ours = solve_model(build_model(instance), algorithm="clp")
    assert ours.solver == "clp" and ours.algorithm == "clp: asked for (--lp-algorithm clp)"
    assert ours.objective == pytest.approx(simplex.objective, rel=1e-9)
    assert ours.duals.keys() == simplex.duals.keys() == ours.slacks.keys()
    priced = {name: price for name, price in ours.duals.items() if abs(price) > 1e-7}
    assert len(priced) > 50
    for name, price in priced.items():
        assert abs(ours.slacks[name]) <= 1e-6, name
        if name.startswith("pool["):
            assert price < 0, name
    assert min(ours.units) >= -1e-9 and min(ours.shortfalls) >= -1e-9


def clp_solve(fast: HighsModel, time_limit: float | None = None) -> clp.Solve:
    """CLP's solve of the arrays a HighsModel holds (in their order); HiGHS, that model,
    takes over where CLP's answer is not a proved optimum."""
    return clp.solve(fast.arrays, fast.name, time_limit,
                     hand_over=lambda: (fast, np.arange(len(fast.arrays.columns))))


def assert_an_optimal_dual(a: Arrays, result) -> None:
    """The prices y prove the optimum: every reduced cost c - A'y is zero on a column
    strictly inside its bounds and >= 0 on a column at its lower bound, and a priced row is
    at its limit on the side the price's sign says."""
    y, x = result.duals, result.values
    per_row = np.repeat(np.arange(len(a.rows)), np.diff(a.start))
    reduced = a.cost - np.bincount(a.index, weights=a.value * y[per_row],
                                   minlength=len(a.columns))
    inside = (x > a.col_lower + 1e-7) & (x < a.col_upper - 1e-7)
    assert np.abs(reduced[inside]).max() <= 1e-6
    assert reduced[~inside].min() >= -1e-6  # every column here is at its lower bound 0
    activity = result.row_values
    assert np.all(np.abs(activity[y > 1e-7] - a.row_lower[y > 1e-7]) <= 1e-6)
    assert np.all(np.abs(activity[y < -1e-7] - a.row_upper[y < -1e-7]) <= 1e-6)
    assert (np.diff(a.start)[np.abs(y) > 1e-7] == 1).any()  # one-column rows priced too


def test_clp_prices_are_an_optimal_dual_and_the_model_never_goes_to_highs(
        instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever vertex CLP ends on, its prices prove the optimum (this fails when a
    one-column row's price is left on its column, CBC's way), and the planner's proof takes
    them as they are: HiGHS is never handed the model."""
    monkeypatch.setattr(clp, "finish", lambda *_: pytest.fail("HiGHS took over"))
    a = fast_model(build_model(instance)).arrays
    done = clp.solve(a, "baseline")
    assert isinstance(done.solved, clp.Solved) and done.at.tolist() == list(range(len(a.columns)))
    assert_an_optimal_dual(a, done.result)


def test_where_the_proof_fails_highs_finishes_from_clps_values(
        instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where CLP's answer is not proved, HiGHS's crossover turns CLP's values and prices
    into a basis (in the model's own column order: the values are moved to it) and its
    primal simplex finishes, in fewer iterations than a cold solve, with the simplex
    strategy of later re-solves back as it was."""
    crossed = []
    original = clp.crossed
    monkeypatch.setattr(clp, "crossed", lambda fast, values: crossed.append(
        original(fast, values)) or crossed[-1])
    monkeypatch.setattr(clp, "proved", lambda arrays, solution: None)
    cold = fast_model(build_model(instance))
    cold.run()
    model = build_model(instance)
    arrays = model_arrays(model)
    fast, at = in_name_order(model, arrays=arrays)
    assert not np.array_equal(at, np.arange(len(at)))  # the columns do move
    strategy = clp.option(fast.highs, "simplex_strategy")
    done = clp.solve(arrays, "baseline", hand_over=lambda: (fast, at))
    assert crossed == [True] and done.solved is fast
    assert clp.option(fast.highs, "simplex_strategy") == strategy  # sweeps' usual, back
    iterations = fast.highs.getInfo().simplex_iteration_count
    assert iterations < cold.highs.getInfo().simplex_iteration_count / 2
    assert done.result.objective == pytest.approx(cold.result().objective, rel=1e-9)
    assert_an_optimal_dual(fast.arrays, done.result)


def test_highs_takes_over_with_columns_the_rows_added(
        instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relaxation adds columns through its rows (``explain``'s elastic columns), which the
    name order leaves in place after the others: HiGHS still starts from CLP's values where
    the proof fails, each column's value where HiGHS holds it."""
    import pulp

    model = build_model(instance)
    name = next(iter(model.rows))
    row = model.constraints[name]
    give = model.problem.add_variable("relax_test", lowBound=0)
    row.expr.addterm(give, -1.0 if row.sense == pulp.LpConstraintLE else 1.0)
    crossed = []
    original = clp.crossed
    monkeypatch.setattr(clp, "crossed", lambda fast, values: crossed.append(
        original(fast, values)) or crossed[-1])
    monkeypatch.setattr(clp, "proved", lambda arrays, solution: None)
    relaxed = solve_model(model, algorithm="clp")
    assert crossed == [True]
    assert relaxed.status == "optimal"
    assert relaxed.solver == "highs"  # HiGHS said the last word, and the plan says so
    assert relaxed.algorithm.endswith("; CLP's answer was no proved optimum, so HiGHS "
                                      "finished the solve")
    assert relaxed.objective == pytest.approx(
        solve_model(model, algorithm="simplex").objective, rel=1e-9)


def test_auto_runs_clp_above_its_threshold_and_the_plan_says_why(
        instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(algorithm, "CLP_FROM_NONZEROS", 100)
    plan = pipeline.solve_instance(instance)
    assert plan.solver == "clp"
    assert plan.lp_algorithm.startswith("clp: CLP's dual simplex (its own binary), its "
                                        "optimum proved by the planner: ")
    assert "at least the 100 from which it beat HiGHS alone" in plan.lp_algorithm
    assert plan.objective == pytest.approx(5577.885363636, rel=1e-9)


def tiny(lower: float, upper: float, most: float = np.inf) -> HighsModel:
    """min x + 2.5 subject to lower <= x <= upper (one row), 0 <= x <= most."""
    return HighsModel(Arrays(
        columns=["x"], rows=["limit"],
        cost=np.array([1.0]), col_lower=np.array([0.0]), col_upper=np.array([most]),
        integer=np.zeros(1, dtype=np.uint8), row_lower=np.array([lower]),
        row_upper=np.array([upper]), start=np.array([0, 1], dtype=np.int32),
        index=np.array([0], dtype=np.int32), value=np.array([1.0]), offset=2.5), "tiny")


def test_clp_on_a_hand_checked_lp_and_an_infeasible_one() -> None:
    """min x + 2.5 with 3 <= x <= 5: x = 3, objective 5.5 (the constant kept, which an MPS
    file drops), the row's price 1, proved without HiGHS; with x >= 6 and x <= 5 no plan at
    all (CLP says infeasible, and HiGHS says so in its own words)."""
    done = clp_solve(tiny(3.0, 5.0))
    result = done.result
    assert isinstance(done.solved, clp.Solved)
    assert result.status == "optimal" and result.objective == pytest.approx(5.5)
    assert result.values.tolist() == pytest.approx([3.0])
    assert result.row_values.tolist() == pytest.approx([3.0])
    assert result.duals.tolist() == pytest.approx([1.0])
    infeasible = clp_solve(tiny(6.0, np.inf, most=5.0))
    assert infeasible.result.status == "infeasible" and isinstance(infeasible.solved, HighsModel)


CROSSOVER_IN_A_NEW_PROCESS = """
import highspy, numpy as np
from planner.solving import clp
from planner.solving.highs import Arrays, HighsModel
fast = HighsModel(Arrays(
    columns=["x", "y"], rows=["need"], cost=np.array([1.0, 2.0]), col_lower=np.zeros(2),
    col_upper=np.full(2, np.inf), integer=np.zeros(2, dtype=np.uint8),
    row_lower=np.array([3.0]), row_upper=np.array([np.inf]),
    start=np.array([0, 2], dtype=np.int32), index=np.array([0, 1], dtype=np.int32),
    value=np.ones(2), offset=0.0), "two")
start = highspy.HighsSolution()
start.col_value, start.row_value = [3.0, 0.0], [3.0]
start.col_dual, start.row_dual = [0.0, 1.0], [1.0]
start.value_valid = start.dual_valid = True
print(clp.crossed(fast, start), clp.finish_by_primal_simplex(fast).objective)
"""


def test_crossover_runs_in_a_process_where_highs_never_ran() -> None:
    """min x + 2y with x + y >= 3 from the optimum x = 3 (price 1): crossover gives the
    basis, primal simplex confirms objective 3. In a new process HiGHS has never run on
    the thread, where its crossover alone ends the process (a segmentation fault): the
    planner starts HiGHS's scheduler first."""
    done = subprocess.run([sys.executable, "-c", CROSSOVER_IN_A_NEW_PROCESS],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["True", "3.0"]


def test_clp_without_its_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clp, "cbc_path", lambda: None)
    assert not clp.available()
    with pytest.raises(SolverError, match="needs CLP's binary from the cbcbox package"):
        clp_solve(tiny(3.0, 5.0))


def test_clp_is_the_binary_beside_cbcs() -> None:
    """CLP's own binary, not CBC's: on the large benchmark theatre it took 6 s and 280 MB
    where CBC's driver took 8.6-10 s and 890-910 MB."""
    assert Path(clp.clp_path()).name.startswith("clp")
    assert Path(clp.clp_path()).parent == Path(clp.cbc_path()).parent
    assert clp.available()


def test_the_command_line_states_an_algorithm_that_is_not_the_usual(tmp_path: Path) -> None:
    done = run_planner("solve", "baseline", "--no-save", "--lp-algorithm", "ipm", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "highs (ipm: asked for (--lp-algorithm ipm)), status optimal" in done.stdout
    usual = run_planner("solve", "baseline", "--no-save", "--format", "json", cwd=tmp_path)
    chosen = json.loads(usual.stdout)["lp_algorithm"]
    assert chosen.startswith("simplex: dual simplex, HiGHS's defaults: 912 nonzeros, below")
    asked = run_planner("solve", "baseline", "--no-save", "--lp-algorithm", "clp", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert "clp (clp: asked for (--lp-algorithm clp)), status optimal" in asked.stdout
    assert "not available" not in asked.stderr
    wrong = run_planner("solve", "baseline", "--no-save", "--lp-algorithm", "barrier",
                        cwd=tmp_path)
    assert wrong.returncode == 2 and "--lp-algorithm" in wrong.stderr


def test_the_api_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(pl.PlannerError, match="unknown LP algorithm 'barrier'"):
        pl.solve("baseline", lp_algorithm="barrier")
    assert pl.solve("baseline", lp_algorithm="ipm").plan.lp_algorithm.startswith("ipm")


Started = tuple[object, object, object]  # HiGHS's presolve, pricing, scaling as a run starts


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Started]:
    """The presolve, dual pricing and scaling options of every HiGHS run, as it starts."""
    runs: list[Started] = []
    original = HighsModel.run

    def spied(self: HighsModel, *args: object, **kwargs: object) -> object:
        runs.append((clp.option(self.highs, "presolve"),
                     clp.option(self.highs, "simplex_dual_edge_weight_strategy"),
                     clp.option(self.highs, "simplex_scale_strategy")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(HighsModel, "run", spied)
    return runs


def test_a_cold_simplex_solve_runs_with_the_options_its_size_calls_for(
        instance, seen: list[Started], monkeypatch: pytest.MonkeyPatch) -> None:
    """The options the plan states are the ones HiGHS runs with: HiGHS's defaults on
    baseline; with the threshold below baseline's size, Dantzig pricing, no presolve and
    (baseline's entries span 1.1 decades) max-value scaling, and the same least cost; with
    the span's limit below baseline's, HiGHS's own scaling."""
    usual = pipeline.solve_instance(instance)
    defaults = seen.pop()
    assert defaults[0] == "choose" and defaults[1] != algorithm.DANTZIG
    assert defaults[2] != algorithm.MAX_VALUE_SCALING["simplex_scale_strategy"]
    monkeypatch.setattr(algorithm, "TUNED_FROM_NONZEROS", 100)
    tuned = pipeline.solve_instance(instance)
    assert seen.pop() == ("off", algorithm.DANTZIG, 4)
    assert tuned.lp_algorithm.startswith(
        "simplex: dual simplex, Dantzig pricing, no presolve, rows and columns scaled by their "
        "largest entries (the matrix's coefficients span 1.1 powers of ten, within the 3 where "
        "this beat HiGHS's default scaling): 912 nonzeros")
    assert tuned.objective == pytest.approx(usual.objective, rel=1e-12)
    monkeypatch.setattr(algorithm, "MAX_VALUE_SCALING_DECADES", 1.0)
    wide = pipeline.solve_instance(instance)
    assert seen == [("off", algorithm.DANTZIG, defaults[2])]
    assert wide.lp_algorithm.startswith("simplex: dual simplex, Dantzig pricing, no presolve: ")
    assert wide.objective == pytest.approx(usual.objective, rel=1e-12)


def test_an_analysis_starts_from_highs_defaults_whatever_the_size(
        instance, seen: list[Started], monkeypatch: pytest.MonkeyPatch) -> None:
    """The analyses' first solve (the basis every case starts from) keeps HiGHS's defaults
    even above TUNED_FROM_NONZEROS: from the tuned simplex's basis the cases took longer
    (the medium benchmark sweep, 0.73 of warm highspy against 0.80)."""
    from planner.analyze.sweep import Prepared

    monkeypatch.setattr(algorithm, "TUNED_FROM_NONZEROS", 100)
    Prepared.of(instance, start=True)
    assert seen[0][0] == "choose" and seen[0][1] != algorithm.DANTZIG
    assert seen[0][2] != algorithm.MAX_VALUE_SCALING["simplex_scale_strategy"]


def test_the_solver_line_names_the_algorithm_unless_highs_defaults_ran(
        instance, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from planner.reports import formats, render

    def solver_line() -> str:
        out = io.StringIO()
        formats.PLAN.pick("text").write(pipeline.solve_instance(instance),
                                        render.Output(file=out, width=400), detail=False)
        return next(line for line in out.getvalue().splitlines()
                    if line.startswith("Solver")).split(None, 1)[1].rstrip()

    assert solver_line() == "highs, status optimal"
    out = io.StringIO()
    formats.PLAN.pick("text").write(pipeline.solve_instance(instance, lp_algorithm="simplex"),
                                    render.Output(file=out, width=400), detail=False)
    assert ("highs (simplex: dual simplex, HiGHS's defaults: asked for (--lp-algorithm "
            "simplex)), status optimal") in out.getvalue()
    monkeypatch.setattr(algorithm, "TUNED_FROM_NONZEROS", 100)
    assert solver_line().startswith(
        "highs (simplex: dual simplex, Dantzig pricing, no presolve, rows and columns scaled "
        "by their largest entries (the matrix's coefficients span 1.1 powers of ten, within "
        "the 3 where this beat HiGHS's default scaling): 912 nonzeros: at least the 100 from")


@pytest.mark.parametrize("limit", [None, 30.0])
def test_clp_stopped_is_no_plan_only_on_the_time_limit(
        limit: float | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLP says "Stopped" on a time limit (no plan: a simplex midway) but also on its own
    difficulties; without a time limit HiGHS then solves the LP itself, with the options
    its size calls for."""
    def stopped(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        answer = Path(command[command.index("-solution") + 1])
        answer.write_text("Stopped on iterations or time - objective value 0\n")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(clp.subprocess, "run", stopped)
    result = clp_solve(tiny(3.0, 5.0), time_limit=limit).result
    if limit is None:
        assert result.status == "optimal" and result.objective == pytest.approx(5.5)
    else:
        assert result.status == "not_solved" and result.objective is None
