"""The fast path: one formulation handed to HiGHS as arrays, re-solved in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner import pipeline
from planner.highs import HighsModel
from planner.model import build_model
from planner.solve import solve_model

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
        m.columns([v.name for v in m.arrays.columns if v.name.startswith("units_JPN")]),
        0.0, 0.0),
    "US costs doubled": lambda m: m.set_costs(
        idx := m.columns([v.name for v in m.arrays.columns if v.name.startswith("units_USA")]),
        m.arrays.cost[idx] * 2),
}


def test_warm_resolve_equals_a_cold_solve_after_each_change(baseline: HighsModel) -> None:
    first = baseline.run()
    assert first.objective == pytest.approx(5388.692181818)
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
    mission.write_text(
        f"name: halved\nextends: {REPO / 'missions' / 'taiwan-contingency.yaml'}\n"
        "overrides:\n  - {country: JPN, pool: aegis_ddg, scale: 0.5, source: test}\n",
        encoding="utf-8")
    rebuilt = pipeline.solve(mission)
    assert warm.objective == pytest.approx(rebuilt.objective, rel=1e-9)
    assert warm.objective != pytest.approx(32604.728)


def test_help_imports_no_solver_or_pandas() -> None:
    """`planner --help` stays quick: no pandas, PuLP, HiGHS or pydantic import."""
    import subprocess
    import sys

    code = ("import sys\nfrom planner.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({'pandas', 'pulp', 'highspy', 'numpy', 'pydantic'} & "
            "set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
