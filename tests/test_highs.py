"""The fast path: one formulation handed to HiGHS as arrays, re-solved in place."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner import pipeline
from planner.formulation.model import build_model
from planner.solving.highs import HighsModel
from planner.solving.solve import solve_model

from .conftest import REPO

MISSIONS = sorted(p.stem for p in (REPO / "missions").glob("*.yaml"))


@pytest.mark.parametrize("mission", MISSIONS)
def test_fast_path_equals_the_plain_pulp_path(mission: str) -> None:
    instance = pipeline.prepare(mission)
    fast = solve_model(build_model(instance))
    plain = solve_model(build_model(instance), fast=False)
    assert fast.status == plain.status == "optimal"
    assert fast.objective == pytest.approx(plain.objective, abs=1e-6)
    assert fast.units == pytest.approx(plain.units, abs=1e-6)
    assert fast.shortfalls == pytest.approx(plain.shortfalls, abs=1e-6)
    assert fast.leads == pytest.approx(plain.leads, abs=1e-6)
    assert fast.slacks == pytest.approx(plain.slacks, abs=1e-6)
    if not build_model(instance).integer:  # a MIP's fixed LP may price a tie either way
        assert fast.duals == pytest.approx(plain.duals, abs=1e-6)


@pytest.fixture(scope="module")
def baseline() -> HighsModel:
    model = build_model(pipeline.prepare("baseline"))
    return HighsModel.of(model.problem, model.columns, model.constraints)


def cold(warm: HighsModel, change: Any) -> float:
    """The same change on a model passed afresh, solved with no basis to start from."""
    fresh = HighsModel(warm.arrays, warm.name)
    change(fresh)
    result = fresh.run()
    assert result.optimal
    return result.objective  # type: ignore[return-value]


CHANGES = {
    "a pool halved": lambda m: m.set_row_bounds(
        m.rows(["pool[KOR,kamd_fire_unit,conflict]"]), -np.inf,
        m.arrays.row_upper[m.row["pool[KOR,kamd_fire_unit,conflict]"]] / 2),
    "a requirement raised": lambda m: m.set_row_bounds(
        m.rows(["cover[isr,east_china_sea,crisis]"]), 12.0, np.inf),
    "Japan withholds": lambda m: m.set_column_bounds(
        m.columns([n for n in m.arrays.columns if n.startswith("units_JPN")]),
        0.0, 0.0),
    "US costs doubled": lambda m: m.set_costs(
        idx := m.columns([n for n in m.arrays.columns if n.startswith("units_USA")]),
        m.arrays.cost[idx] * 2),
}


def test_warm_resolve_equals_a_cold_solve_after_each_change(baseline: HighsModel) -> None:
    first = baseline.run()
    assert first.objective == pytest.approx(5577.885363636)
    seen = {first.objective}
    done: list[Any] = []
    for name, change in CHANGES.items():
        change(baseline)  # changes accumulate: each warm solve starts from the last basis
        done.append(change)
        warm = baseline.run()
        assert warm.optimal, name
        expected = cold(baseline, lambda m, so_far=tuple(done): [c(m) for c in so_far])
        assert warm.objective == pytest.approx(expected, rel=1e-9), name
        seen.add(warm.objective)
    assert len(seen) == len(CHANGES) + 1  # every change moved the optimum
    baseline.restore()
    assert baseline.run().objective == pytest.approx(first.objective, rel=1e-12)


def test_a_changed_bound_equals_the_rebuilt_mission(tmp_path: Path) -> None:
    """Halving a pool's right-hand side in place is the same as a mission that halves the
    pool's quantity and is built again."""
    model = build_model(pipeline.prepare("taiwan-contingency"))
    fast = HighsModel.of(model.problem, model.columns, model.constraints)
    fast.run()
    rows = fast.rows([n for n in fast.arrays.rows if n.startswith("pool[JPN,aegis_ddg,")])
    fast.set_row_bounds(rows, -np.inf, fast.arrays.row_upper[rows] / 2)
    warm = fast.run()
    mission = tmp_path / "halved.yaml"
    for shipped in (REPO / "missions").glob("*.yaml"):  # extends stays inside the folder
        shutil.copy(shipped, tmp_path)
    mission.write_text(
        "name: halved\nextends: taiwan-contingency\n"
        "overrides:\n  - {country: JPN, pool: aegis_ddg, scale: 0.5, source: test}\n",
        encoding="utf-8")
    rebuilt = pipeline.solve(mission)
    assert warm.objective == pytest.approx(rebuilt.objective, rel=1e-9)
    assert warm.objective != pytest.approx(32604.728)


def test_help_imports_no_solver_or_pandas() -> None:
    """`planner --help` stays quick: no pandas, PuLP, HiGHS or pydantic import."""
    import subprocess
    import sys

    code = ("import sys\nfrom planner.cli.main import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({'pandas', 'pulp', 'highspy', 'numpy', 'pydantic'} & "
            "set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_bulk_columns_are_the_columns_pulp_makes() -> None:
    """``new_columns`` skips PuLP's per-column checks; what it makes must be what
    ``add_variable`` makes (the same attributes, in the same order), or PuLP's solvers,
    writers and copies would see a different column."""
    import pulp

    from planner.formulation.model import new_columns

    problem = pulp.LpProblem("p", pulp.LpMinimize)
    for category in (pulp.LpContinuous, pulp.LpInteger):
        made = problem.add_variable("units_JPN,aegis_ddg,isr,japan,crisis_", lowBound=0,
                                    cat=category)
        [bulk] = new_columns(["units_JPN,aegis_ddg,isr,japan,crisis_"], [category])
        assert type(bulk) is type(made)
        assert list(vars(bulk)) == list(vars(made))
        assert {k: v for k, v in vars(bulk).items() if k != "hash"} == {
            k: v for k, v in vars(made).items() if k != "hash"}
        assert bulk.hash == id(bulk) and hash(bulk) != hash(made)
        assert bulk.name == made.name


def test_column_names_are_pulps_names_of_the_labels() -> None:
    import pandas as pd
    import pulp

    from planner.formulation.model import label, labels

    frame = pd.DataFrame({"country": ["JPN", "KOR"], "pool": ["aegis-ddg", "p3c"],
                          "phase": ["crisis", "war time"]})
    problem = pulp.LpProblem("p", pulp.LpMinimize)
    expected = [problem.add_variable(label("units", *row), lowBound=0).name
                for row in frame.itertuples(index=False)]
    assert labels("units", frame, ["country", "pool", "phase"]) == expected
    assert labels("units", frame.iloc[:0], ["country", "pool", "phase"]) == []


def test_arrays_append_columns_not_given_where_they_first_appear() -> None:
    """An elastic column (a conflict search's) that only the objective or a row uses comes
    after the given columns: the objective's first, then the rows', each once."""
    import pulp

    from planner.solving.highs import to_arrays

    problem = pulp.LpProblem("p", pulp.LpMinimize)
    x, y, z, w = (problem.add_variable(n, lowBound=0) for n in "xyzw")
    problem.setObjective(2 * x + 3 * z)
    rows = {"a": w + x + 2 * y >= 1, "b": y - z + w <= 4}
    arrays = to_arrays(problem, [x, y], rows)
    assert arrays.columns == ["x", "y", "z", "w"]
    assert arrays.cost.tolist() == [2, 0, 3, 0]
    assert arrays.start.tolist() == [0, 3, 6]
    assert arrays.index.tolist() == [3, 0, 1, 1, 2, 3]
    assert arrays.value.tolist() == [1, 1, 2, 1, -1, 1]
    assert arrays.row_lower.tolist()[0] == 1 and arrays.row_upper.tolist()[1] == 4


def test_objective_only_skips_the_vectors_not_the_optimum(baseline: HighsModel) -> None:
    baseline.restore()
    full = baseline.run()
    rows = baseline.rows(["cover[isr,east_china_sea,crisis]"])
    baseline.set_row_bounds(rows, 9.0, np.inf)
    changed = baseline.run(objective_only=True)
    assert changed.optimal and len(changed.values) == len(changed.duals) == 0
    assert changed.objective == pytest.approx(baseline.run().objective, rel=1e-12)
    assert changed.objective != pytest.approx(full.objective)
    baseline.restore()
    assert baseline.run(objective_only=True).objective == pytest.approx(full.objective)


def test_building_leaves_the_cycle_collector_as_it_was() -> None:
    import gc

    instance = pipeline.prepare("baseline")
    build_model(instance)
    assert gc.isenabled()
    gc.disable()
    try:
        build_model(instance)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_benchmark_theatre_is_valid_and_every_path_agrees(tmp_path: Path) -> None:
    """The benchmark's synthetic theatres are missions like any other (they load and
    validate), and the planner's two paths and the benchmark's plain PuLP formulation of
    the same LP find the same optimum."""
    import pulp

    from benchmarks import peer
    from benchmarks.generate import Size, generate
    from planner.solving.solve import cbc_path

    size = Size(countries=3, pools=6, tasks=5, regions=4, phases=2)
    mission = generate(size, tmp_path, "tiny")
    instance = pipeline.prepare(mission, tmp_path / "capabilities")
    fast = solve_model(build_model(instance))
    plain = solve_model(build_model(instance), fast=False)
    assert len(build_model(instance).units) == size.variables
    assert fast.status == plain.status == "optimal"
    assert fast.objective == pytest.approx(plain.objective, abs=1e-6)
    assert fast.units == pytest.approx(plain.units, abs=1e-6)
    problem, _ = peer.build(peer.read(tmp_path / "capabilities", mission))
    problem.solve(pulp.COIN_CMD(path=cbc_path(), msg=False))
    assert pulp.value(problem.objective) == pytest.approx(fast.objective, rel=1e-9)


@pytest.mark.parametrize("mission", MISSIONS)
def test_values_from_the_basis_are_highs_own_to_the_last_bit(
        mission: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sweep's column values read from the basis (``planner.solving.basic_values``) equal
    highspy's list of them exactly, after the changes sweeps make (a requirement raised, an
    ally's columns switched off, both put back); where a column or row makes the basis
    unreadable (a multi-year model's bounded orders, a MIP), the list is read instead."""
    from planner.analyze.sweep import Prepared
    from planner.solving import basic_values as read
    from planner.solving.highs import INF

    monkeypatch.setattr(read, "FROM_COLUMNS", 0)  # the shipped missions are small
    instance = pipeline.prepare(mission)
    prepared = Prepared.of(instance, start=True)
    fast, a = prepared.fast, prepared.fast.arrays
    covers = np.flatnonzero(np.isfinite(a.row_lower) & ~np.isfinite(a.row_upper))[:3]
    ally = prepared.units_at[prepared.model.units["country"].to_numpy() == "USA"]
    checked = optimal = 0
    for step in range(4):
        row = covers[step % len(covers):step % len(covers) + 1]
        fast.set_row_bounds(row, a.row_lower[row] * 1.5 + 1.0, INF)
        if step == 2:
            fast.set_column_bounds(ally.astype(np.int32), 0.0, 0.0)
        result = prepared.run()
        if result.optimal and not fast.integer:
            optimal += 1
            listed = np.array(fast.highs.getSolution().col_value)
            assert np.array_equal(result.values, listed), mission
            readable = fast.tracked().readable
            assert (read.read(fast.highs, fast.tracked(), len(a.columns))
                    is not None) == readable
            checked += readable
        fast.set_row_bounds(row, a.row_lower[row], a.row_upper[row])
        if step == 2:
            fast.set_column_bounds(ally.astype(np.int32), a.col_lower[ally], a.col_upper[ally])
    assert fast.tracked().readable == read.Bounds(
        a.col_lower, a.col_upper, a.row_lower, a.row_upper).readable  # all put back
    if not fast.integer and fast.tracked().readable:
        assert checked == optimal >= 3


def test_bounds_follow_every_change_and_a_restore() -> None:
    """Which columns could sit at a bound other than 0 and which rows have two different
    finite bounds, through single and bulk changes and ``restore``."""
    from planner.solving.basic_values import Bounds

    bounds = Bounds(np.zeros(3), np.full(3, np.inf), np.array([1.0, -np.inf]),
                    np.array([np.inf, 4.0]))
    assert bounds.readable and bounds.at_bound.tolist() == [1.0, 4.0]
    bounds.columns(np.array([1]), 0.0, 5.0)
    assert not bounds.readable and bounds.odd_count == 1
    bounds.columns(np.array([1, 2]), np.zeros(2), np.array([0.0, np.inf]))
    assert bounds.readable
    bounds.rows(np.array([0]), 2.0, 3.0)
    assert not bounds.readable and bounds.boxed_count == 1
    bounds.rows(np.array([0, 1]), np.array([3.0, -np.inf]), np.array([3.0, np.inf]))
    assert bounds.readable and bounds.at_bound.tolist() == [3.0, 0.0]
    bounds.rows(np.array([1]), 1.0, 1e30)  # HiGHS's infinite_bound is 1e20: no second bound
    assert bounds.readable and bounds.at_bound.tolist() == [3.0, 1.0]
    bounds.columns(np.array([0]), -1e25, 1e30)
    assert bounds.readable


def test_a_change_highs_refuses_is_an_error(baseline: HighsModel) -> None:
    """A bulk change naming a column twice is refused by HiGHS as a whole: the model is
    not what the caller means, and the bounds the planner follows must not pretend it is."""
    from planner.errors import SolverError

    with pytest.raises(SolverError, match="refused a change"):
        baseline.set_column_bounds(np.array([1, 1, 2], dtype=np.int32), 0.0, 5.0)


def test_a_bound_of_1e30_is_no_bound_to_the_basis_read(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """min x1 + x2 with x1 + x2 >= 1 and x1 - x2 <= 1e30 (a row the planner means to leave
    free, as a front's cost row starts): from a basis with that row nonbasic, the values
    read from the basis are HiGHS's own (0.5, 0.5), not 1e30 spread over the columns."""
    import highspy

    from planner.solving import basic_values
    from planner.solving.highs import INF, Arrays

    monkeypatch.setattr(basic_values, "FROM_COLUMNS", 0)
    fast = HighsModel(Arrays(
        columns=["x1", "x2"], rows=["cover", "free"], cost=np.ones(2), col_lower=np.zeros(2),
        col_upper=np.full(2, INF), integer=np.zeros(2, np.uint8),
        row_lower=np.array([1.0, -INF]), row_upper=np.array([INF, 1e30]),
        start=np.array([0, 2, 4], np.int32), index=np.array([0, 1, 0, 1], np.int32),
        value=np.array([1.0, 1.0, 1.0, -1.0]), offset=0.0))
    basis, kind = highspy.HighsBasis(), highspy.HighsBasisStatus
    basis.col_status, basis.row_status = [kind.kBasic, kind.kBasic], [kind.kLower, kind.kZero]
    basis.valid = True
    fast.highs.setBasis(basis)
    fast.set_row_bounds(np.array([0], np.int32), 1.0, INF)
    result = fast.run(columns_only=True)
    assert result.optimal
    assert result.values.tolist() == list(fast.highs.getSolution().col_value) == [0.5, 0.5]
