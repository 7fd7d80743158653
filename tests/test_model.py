"""Exact optima of tiny missions computed by hand, and the model's naming."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner import pipeline
from planner.formulation.model import build_model

from .conftest import write_mission, write_tiny


@pytest.fixture
def one_task(tmp_path: Path) -> tuple[Path, Path]:
    """USA: 4 ships at readiness 0.5, cost 10, deliver 1 each. JPN: 10 ships at 0.8, cost 6
    plus 1 on the task, deliver 2 each. Need 20 at penalty 100.

    By hand: JPN is cheapest per unit delivered (7/2 = 3.5): all 8 ready ships, 16 delivered,
    cost 56. USA next (10 per unit, below the penalty): 2 ships, 2 delivered, cost 20.
    Short 2, penalty 200. Objective 276; cover dual 100; pool duals -(2*100-7) and -(100-10).
    """
    data = write_tiny(
        tmp_path / "data", {"USA": (80, 8), "JPN": (20, 2)}, ["sea_control"],
        ["east_china_sea"], ["peacetime", "conflict"],
        {"USA": [dict(pool="ddg", quantity=4, readiness=0.5, cost_per_unit=10,
                      regions="east_china_sea", sea_control=1)],
         "JPN": [dict(pool="ddg", quantity=10, readiness=0.8, cost_per_unit=6, regions="*",
                      sea_control=2, sea_control_cost=1)]},
    )
    mission = write_mission(tmp_path / "one.yaml", name="one", phases=["conflict"],
                            requirements=[dict(task="sea_control", region="east_china_sea",
                                               phase="conflict", amount=20, penalty=100)])
    return data, mission


def test_one_task_exact_optimum(one_task: tuple[Path, Path]) -> None:
    data, mission = one_task
    plan = pipeline.solve(mission, data)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(276)
    assert plan.total_cost == pytest.approx(76)
    assert plan.shortfall_penalty == pytest.approx(200)
    units = {(a.country, a.pool): (a.units, a.delivered, a.cost) for a in plan.allocations}
    assert units == {("JPN", "ddg"): pytest.approx((8, 16, 56)),
                     ("USA", "ddg"): pytest.approx((2, 2, 20))}
    [short] = plan.shortfalls
    assert (short.task, short.region, short.phase, short.shortfall) == (
        "sea_control", "east_china_sea", "conflict", pytest.approx(2))
    assert not plan.covered


def test_one_task_duals_and_shares(one_task: tuple[Path, Path]) -> None:
    data, mission = one_task
    plan = pipeline.solve(mission, data)
    duals = {c.name: c.dual for c in plan.constraints}
    assert duals == pytest.approx({"cover[sea_control,east_china_sea,conflict]": 100,
                                   "pool[JPN,ddg,conflict]": -193,
                                   "pool[USA,ddg,conflict]": -90})
    shares = {c.country: (c.cost_share, c.gdp_share, c.budget_share) for c in plan.countries}
    assert shares == {"USA": pytest.approx((20 / 76, 0.8, 0.8)),
                      "JPN": pytest.approx((56 / 76, 0.2, 0.2))}
    burden = {c.country: c.burden_index for c in plan.countries}
    assert burden == pytest.approx({"USA": (20 / 76) / 0.8, "JPN": (56 / 76) / 0.2})


def test_multi_role_pool_is_shared(tmp_path: Path) -> None:
    """JPN: 3 Aegis ships, cost 5, each can do sea control (1) or missile defense (1, +3).
    USA: 1 Patriot battery, cost 40. Need 2 sea control (penalty 50) and 2 missile defense
    (penalty 100). The ships cannot do all four jobs; by hand the cheapest split is the
    battery on missile defense (40), one ship on missile defense (8), two on sea control
    (10): objective 58, no shortfall. (Three ships on the ships' cheapest jobs and one sea
    control short would cost 16 + 5 + 50 = 71.)
    """
    data = write_tiny(
        tmp_path / "data", {"USA": (1, 1), "JPN": (1, 1)},
        ["sea_control", "air_missile_defense"], ["japan"], ["conflict"],
        {"JPN": [dict(pool="aegis", quantity=3, readiness=1, cost_per_unit=5, regions="japan",
                      sea_control=1, air_missile_defense=1, air_missile_defense_cost=3)],
         "USA": [dict(pool="patriot", quantity=1, readiness=1, cost_per_unit=40,
                      regions="japan", air_missile_defense=1)]},
    )
    mission = write_mission(
        tmp_path / "m.yaml", name="multi", phases=["conflict"],
        requirements=[
            dict(task="sea_control", region="japan", amount={"conflict": 2}, penalty=50),
            dict(task="air_missile_defense", region="japan", amount={"conflict": 2},
                 penalty=100),
        ])
    plan = pipeline.solve(mission, data)
    assert plan.objective == pytest.approx(58)
    units = {(a.country, a.pool, a.task): a.units for a in plan.allocations}
    assert units == pytest.approx({("JPN", "aegis", "sea_control"): 2,
                                   ("JPN", "aegis", "air_missile_defense"): 1,
                                   ("USA", "patriot", "air_missile_defense"): 1})
    assert plan.covered


def test_pool_serves_only_its_regions_and_phases_are_separate(tmp_path: Path) -> None:
    """A pool limited to one region cannot cover another; its quantity renews each phase."""
    data = write_tiny(
        tmp_path / "data", {"KOR": (1, 1)}, ["ground_deterrence"],
        ["korean_peninsula", "japan"], ["crisis", "conflict"],
        {"KOR": [dict(pool="division", quantity=5, readiness=1, cost_per_unit=2,
                      regions="korean_peninsula", ground_deterrence=1)]},
    )
    mission = write_mission(
        tmp_path / "m.yaml", name="regions", phases=["crisis", "conflict"],
        objective={"shortfall_penalty": 10},
        requirements=[
            dict(task="ground_deterrence", region="korean_peninsula",
                 amount={"crisis": 4, "conflict": 5}),
            dict(task="ground_deterrence", region="japan", phase="conflict", amount=1),
        ])
    plan = pipeline.solve(mission, data)
    # 4 + 5 divisions at 2 each = 18, plus 1 unit short in Japan at the default penalty 10.
    assert plan.objective == pytest.approx(28)
    assert [(s.region, s.phase, s.shortfall) for s in plan.shortfalls] == [
        ("japan", "conflict", pytest.approx(1))]


def test_rows_and_columns_are_named_by_domain(tmp_path: Path) -> None:
    instance = pipeline.prepare("baseline")
    model = build_model(instance)
    assert "pool[JPN,aegis_ddg,conflict]" in model.rows
    assert "cover[isr,east_china_sea,crisis]" in model.rows
    row = model.rows["pool[JPN,aegis_ddg,conflict]"]
    assert row.kind == "pool" and "Japan" in row.sentence and "public_facts" in row.source
    names = {v.name for v in model.unit_vars()}
    assert "units_JPN,aegis_ddg,sea_control,east_china_sea,conflict_" in names
    # PuLP's renaming must not merge two distinct rows or columns.
    assert len(names) == len(model.units)
    assert len({c.name for c in model.constraints.values()}) == len(model.rows)
    assert model.constraints["pool[JPN,aegis_ddg,conflict]"].name == "pool_JPN,aegis_ddg,conflict_"
