"""Task classes the literature distinguishes (issue 20, item 1): missile defense in two tiers.

Before the split, air and missile defense was one kind of fire unit, so the cheaper Patriot
did all of it and Japan's and Korea's Aegis destroyers and the THAAD battery were never
used for it. Now the upper tier (Aegis with SM-3, THAAD) is its own task, which Patriot and
Korea's KAMD fire units cannot do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner import api, pipeline

from .conftest import REPO, write_mission, write_tiny

UPPER = "upper_tier_bmd"
LOWER = "air_missile_defense"


def upper_tier_providers(mission: str) -> set[tuple[str, str]]:
    """(country, pool) pairs delivering upper-tier BMD somewhere in the mission's plan."""
    rows = api.solve(mission).allocations
    used = rows[(rows["task"] == UPPER) & (rows["units"] > 1e-9)]
    return set(zip(used["country"], used["pool"], strict=True))


def test_aegis_destroyers_and_thaad_hold_the_upper_tier_in_the_taiwan_contingency() -> None:
    """The analyst's reading of issue 20 (Aegis and THAAD never used) no longer holds: in
    taiwan-contingency the US destroyers are needed in the Strait, so Japan's and Korea's
    Aegis destroyers and the THAAD battery at Seongju stand the upper-tier BMD stations."""
    providers = upper_tier_providers("taiwan-contingency")
    assert {("JPN", "aegis_ddg"), ("KOR", "aegis_ddg"), ("USA", "thaad_battery")} <= providers


def test_japan_leads_its_upper_tier_and_thaad_stands_in_every_phase_of_baseline() -> None:
    """In baseline Japan's Aegis destroyers carry at least half of Japan's upper tier in
    each phase (the 2015 Guidelines' primary responsibility, policies.yaml), and the THAAD
    battery, a fixed site cheaper per station than a destroyer, holds one station on the
    peninsula in every phase."""
    rows = api.solve("baseline").allocations
    upper = rows[rows["task"] == UPPER]
    for phase in ["peacetime", "crisis", "conflict"]:
        in_japan = upper[(upper["region"] == "japan") & (upper["phase"] == phase)]
        japanese = in_japan[in_japan["pool"] == "aegis_ddg"]["units"].sum()
        assert japanese >= 0.5 * in_japan["units"].sum() - 1e-9 > 0, phase
        thaad = upper[(upper["pool"] == "thaad_battery") & (upper["phase"] == phase)]
        assert float(thaad["units"].sum()) == pytest.approx(1), phase


def test_no_shipped_patriot_or_kamd_pool_can_serve_the_upper_tier() -> None:
    """The data side of the split: every pool of the shipped tables that fires Patriot,
    Cheongung-II, L-SAM or SPYDER has no upper-tier rate, and THAAD no lower-tier one."""
    lower_only = {("USA", "patriot_battery"), ("JPN", "patriot_fire_unit"),
                  ("KOR", "kamd_fire_unit"), ("PHL", "spyder_gbads")}
    for country, pool in lower_only:
        table = pd.read_csv(REPO / "capabilities" / f"{country}.csv").set_index("pool")
        assert table.loc[pool, LOWER] == 1
        assert UPPER not in table.columns or pd.isna(table.loc[pool, UPPER]), (country, pool)
    usa = pd.read_csv(REPO / "capabilities" / "USA.csv").set_index("pool")
    assert usa.loc["thaad_battery", UPPER] == 1 and pd.isna(usa.loc["thaad_battery", LOWER])


def test_patriot_cannot_serve_the_upper_tier_exact_objective(tmp_path: Path) -> None:
    """Japan with one Aegis destroyer and four Patriot fire units, all ready, in one phase.

    The destroyer (15 a phase) does one unit of either tier (+10 for interceptors); a fire
    unit (6 a phase) does the lower tier only (+12). The mission asks 2 upper-tier units and
    1 lower-tier unit; a unit short costs 1,000.

    The destroyer takes an upper-tier station (15 + 10 = 25), a fire unit the lower tier
    (6 + 12 = 18), and the second upper-tier unit is short (1,000), though three fire units
    stand idle: objective 25 + 18 + 1,000 = 1,043. (Were Patriot able to serve the upper
    tier, a second fire unit would cover it for 18: 61. Putting the destroyer on the lower
    tier instead would leave 2 upper units short: 20 + 2,000.)
    """
    data = write_tiny(tmp_path / "data", {"JPN": (1, 1)}, [LOWER, UPPER], ["japan"],
                      ["conflict"],
                      {"JPN": [dict(pool="aegis", quantity=1, readiness=1, cost_per_unit=15,
                                    regions="japan", **{UPPER: 1, f"{UPPER}_cost": 10,
                                                        LOWER: 1, f"{LOWER}_cost": 10}),
                               dict(pool="patriot", quantity=4, readiness=1, cost_per_unit=6,
                                    regions="japan", **{LOWER: 1, f"{LOWER}_cost": 12})]})
    mission = write_mission(tmp_path / "tiers.yaml", name="tiers", phases=["conflict"],
                            objective={"shortfall_penalty": 1000},
                            requirements=[
                                dict(task=UPPER, region="japan", phase="conflict", amount=2),
                                dict(task=LOWER, region="japan", phase="conflict", amount=1)])
    plan = pipeline.solve(mission, data)
    assert plan.objective == pytest.approx(1043)
    units = {(a.pool, a.task): a.units for a in plan.allocations if a.units > 1e-9}
    assert units == pytest.approx({("aegis", UPPER): 1, ("patriot", LOWER): 1})


NEW_TASKS = ["neo", "aerial_refueling", "naval_replenishment", "amphibious", "unmanned_isr",
             "counter_air", "maritime_strike"]


def shipped_pools() -> pd.DataFrame:
    return pd.concat([pd.read_csv(REPO / "capabilities" / f"{c}.csv").assign(country=c)
                      for c in ["USA", "JPN", "KOR", "AUS", "PHL"]], ignore_index=True)


@pytest.mark.parametrize("task", NEW_TASKS)
def test_each_new_task_has_a_unit_a_description_and_a_provider(task: str) -> None:
    """Each task the literature names (issue 20, item 1) is a row of tasks.csv with a unit
    and a description, and some shipped pool delivers it."""
    tasks = pd.read_csv(REPO / "capabilities" / "tasks.csv").set_index("task")
    assert tasks.loc[task, "unit"] and len(str(tasks.loc[task, "description"])) > 40
    pools = shipped_pools()
    assert (pools.get(task, pd.Series(dtype=float)).fillna(0) > 0).any(), task


def test_the_taiwan_contingency_asks_for_the_tasks_it_depends_on() -> None:
    """Counter-air and maritime strike in the Strait, evacuation from Taiwan, tankers and
    replenishment ships: the shipped scenario requires each, so its plan prices them."""
    coverage = api.solve("taiwan-contingency").coverage
    asked = set(zip(coverage["task"], coverage["region"], strict=True))
    for cell in [("counter_air", "taiwan_strait"), ("maritime_strike", "taiwan_strait"),
                 ("neo", "taiwan_strait"), ("aerial_refueling", "taiwan_strait"),
                 ("naval_replenishment", "taiwan_strait"), ("amphibious", "east_china_sea"),
                 ("unmanned_isr", "korean_peninsula"), ("unmanned_isr", "east_china_sea")]:
        assert cell in asked, cell


def test_suspending_gsomia_leaves_the_western_islets_drone_watch_short() -> None:
    """Korea's four Global Hawks sustain 4 x 0.7 / 3 = 0.93 orbits, less than the one orbit
    baseline asks over the northwest islands in peacetime; Japan's three make up the rest
    while GSOMIA is in force (the japan_korea_intelligence link carries unmanned ISR).
    Suspended, Japan's drones may not feed Korea's picture: 1 - 0.93 = 0.07 is short."""
    def short(mission: str) -> float:
        coverage = api.solve(mission).coverage
        cell = coverage[(coverage["task"] == "unmanned_isr")
                        & (coverage["region"] == "korean_peninsula")
                        & (coverage["phase"] == "peacetime")]
        return float(cell["shortfall"].sum())
    assert short("baseline") == pytest.approx(0, abs=1e-9)
    assert short("gsomia-suspended") == pytest.approx(1 - 4 * 0.7 * 0.33)


def test_munitions_are_drawn_by_the_task_that_fires_them() -> None:
    """After the split, long-range anti-ship missiles are fired on maritime strike and PAC-3
    interceptors by lower-tier fire units, never by the upper tier or by sea control."""
    uses = pd.read_csv(REPO / "capabilities" / "stock_uses.csv")
    fired = dict(zip(uses["stock"] + ":" + uses["pool"], uses["task"], strict=True))
    assert {task for key, task in fired.items() if key.startswith("anti_ship_missile:")} == {
        "maritime_strike"}
    assert {task for key, task in fired.items() if key.startswith("pac3:")} == {LOWER}
