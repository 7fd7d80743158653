"""The shipped tables and missions: they load, every mission solves to optimality, and the
two solvers agree on the objective."""

from __future__ import annotations

import pytest

from planner import pipeline
from planner.checks.validate import load_capabilities

from .conftest import REPO

MISSIONS = sorted(p.stem for p in (REPO / "missions").glob("*.yaml"))


def test_every_shipped_row_has_a_source() -> None:
    caps = load_capabilities(REPO / "capabilities")
    for frame in (caps.countries, caps.tasks, caps.regions, caps.phases, caps.pools):
        assert (frame["source"].str.len() > 0).all()
    # every number is either cited from public_facts.md or marked as an assumption
    assert caps.pools["source"].str.contains("public_facts|assumption").all()


def test_shipped_data_covers_the_required_vocabulary() -> None:
    caps = load_capabilities(REPO / "capabilities")
    assert {"USA", "JPN", "KOR"} <= set(caps.countries["country"])
    assert {"sea_control", "asw", "isr", "air_missile_defense", "rear_area_support",
            "munitions_supply", "ship_mro", "ground_deterrence"} <= set(caps.tasks["task"])
    assert {"korean_peninsula", "japan", "east_china_sea", "taiwan_strait",
            "rear"} <= set(caps.regions["region"])
    assert list(caps.phases["phase"]) == ["peacetime", "crisis", "conflict"]
    # multi-role pools exist, and shipyards and munitions lines are pools too
    tasks_per_pool = caps.deliveries.groupby(["country", "pool"])["task"].nunique()
    assert tasks_per_pool[("JPN", "aegis_ddg")] >= 3
    assert {"ship_mro", "munitions_supply"} <= set(caps.deliveries["task"])


@pytest.mark.parametrize("mission", MISSIONS)
def test_shipped_mission_is_optimal_and_solvers_agree(mission: str) -> None:
    highs = pipeline.solve(mission, solver="highs")
    cbc = pipeline.solve(mission, solver="cbc")
    assert highs.status == cbc.status == "optimal"
    assert highs.objective == pytest.approx(cbc.objective, rel=1e-7)


def test_baseline_is_a_plausible_division_of_labor() -> None:
    """Korea carries most ground deterrence; Japan and the US most East China Sea sea
    control and ASW; every requirement is met."""
    plan = pipeline.solve("baseline")
    assert plan.covered

    def share(task: str, region: str, countries: set[str]) -> float:
        rows = [a for a in plan.allocations if a.task == task and a.region == region]
        return sum(a.delivered for a in rows if a.country in countries) / sum(
            a.delivered for a in rows)

    assert share("ground_deterrence", "korean_peninsula", {"KOR"}) > 0.9
    assert share("sea_control", "east_china_sea", {"JPN", "USA"}) > 0.9
    assert share("asw", "east_china_sea", {"JPN", "USA"}) > 0.5
    assert sum(c.cost_share for c in plan.countries) == pytest.approx(1)
