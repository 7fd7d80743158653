"""Every standing legal or political rule covers every region, task and phase it should.

Each case states, from the rule's own source, where the rule must hold, independently of how
``capabilities/policies.yaml`` writes it. A mission then asks for every task the rule covers
in every region it covers and in every phase (amounts large enough, and a penalty high enough,
that every ally able to help is pulled in), with the flags under which the rule is in force:
the country must deliver none of it. Solved again with the rule lifted by its flag, the same
demand pulls the country in, so each case can fail: a region missing from the rule shows up
as work the law forbids (as Japanese Aegis destroyers defending Guam did, issue 20).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import api

PHASES = ["peacetime", "crisis", "conflict"]
ALL = ["USA", "JPN", "KOR", "AUS", "PHL"]
BASE_FLAGS = {"topology": "network", "gsomia": "active",
              "japan_situation": "important_influence", "usfk_posture": "in_place",
              "korea_dispatch_consent": "no", "australia_commitment": "undecided"}


@dataclass(frozen=True)
class Rule:
    """Where a standing rule must hold, and the flags that put it in force and lift it."""

    name: str
    country: str
    tasks: list[str]
    regions: list[str]
    in_force: dict[str, str]
    lifted: dict[str, str] | None  # None: no flag lifts it (then `allowed` shows the limit)
    allowed: list[str] = field(default_factory=list)  # regions where the work stays allowed
    why: str = ""


RULES = [
    Rule("jpn_no_force_abroad", "JPN",
         ["sea_control", "asw", "air_missile_defense", "upper_tier_bmd", "counter_air",
          "maritime_strike", "amphibious"],
         ["korean_peninsula", "taiwan_strait", "south_china_sea", "philippines", "rear"],
         {"japan_situation": "important_influence"},
         {"japan_situation": "survival_threatening"},
         why="use of force beyond Japan's own defense (Guam and the Pacific sea lanes too) "
             "needs a survival-threatening situation (public_facts §5)"),
    Rule("jpn_rear_support_needs_situation", "JPN",
         ["rear_area_support", "aerial_refueling", "naval_replenishment"],
         ["korean_peninsula", "taiwan_strait", "south_china_sea", "philippines", "rear"],
         {"japan_situation": "none"}, {"japan_situation": "important_influence"},
         why="support to US and other forces beyond Japan, Guam included, needs an "
             "important-influence situation (public_facts §5)"),
    Rule("jpn_no_interceptors_to_war_zone", "JPN", ["interceptor_supply"],
         ["korean_peninsula", "taiwan_strait", "south_china_sea", "philippines"],
         {}, None, allowed=["japan", "rear"],
         why="licensed PAC-3 go to Japan's forces or back to the licensor (the rear: the "
             "United States), never to a war zone (public_facts §5 '2023 revision')"),
    Rule("kor_no_dispatch_without_consent", "KOR",
         ["sea_control", "asw", "isr", "unmanned_isr", "air_missile_defense",
          "upper_tier_bmd", "rear_area_support", "aerial_refueling", "naval_replenishment",
          "ground_deterrence", "amphibious", "counter_air", "maritime_strike"],
         ["taiwan_strait", "rear", "south_china_sea", "philippines"],
         {"korea_dispatch_consent": "no"}, {"korea_dispatch_consent": "yes"},
         why="armed forces dispatched abroad, surveillance aircraft included, need the "
             "National Assembly's consent (Constitution Art. 60(2), public_facts §5)"),
    Rule("aus_no_advance_commitment", "AUS",
         ["sea_control", "asw", "isr", "air_missile_defense", "upper_tier_bmd",
          "rear_area_support", "aerial_refueling", "naval_replenishment", "amphibious",
          "unmanned_isr", "counter_air", "maritime_strike"],
         ["taiwan_strait"], {"australia_commitment": "undecided"},
         {"australia_commitment": "committed"},
         why="Australia commits no forces to a Taiwan contingency in advance"),
]


def mission(tmp_path: Path, rule: Rule, regions: list[str], flags: dict[str, str]) -> Path:
    """Every task of the rule in every region and phase, with a penalty no plan pays if
    any ally can deliver."""
    document: dict[str, Any] = {
        "name": f"coverage_{rule.name}",
        "description": f"Where {rule.name} must hold: {rule.why}.",
        "countries": ALL, "phases": PHASES, "flags": {**BASE_FLAGS, **flags},
        "objective": {"shortfall_penalty": 100000},
        "requirements": [
            {"task": task, "region": region, "amount": {phase: 40 for phase in PHASES},
             "note": "assumption: a demand larger than the alliance can meet, for the test"}
            for task in rule.tasks for region in regions]}
    path = tmp_path / f"{rule.name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def delivered(plan: Any, country: str, tasks: list[str], regions: list[str]) -> dict:
    rows = plan.allocations
    rows = rows[(rows["country"] == country) & rows["task"].isin(tasks)
                & rows["region"].isin(regions) & (rows["units"] > 1e-9)]
    return {(r.task, r.region, r.phase): float(r.units) for r in rows.itertuples()}


# Evacuating nationals is not use of force, rear-area support or a dispatch of forces: the
# rules that cover those leave it out (public_facts §5 'Japan NEO law', 'ROK NEO precedent').
EVACUATION = [
    Rule("jpn_neo_in_any_situation", "JPN", ["neo"],
         ["korean_peninsula", "taiwan_strait", "rear"], {"japan_situation": "none"}, None,
         why="the SDF Law lets Japan carry nationals out of danger in any situation"),
    Rule("kor_neo_without_consent", "KOR", ["neo"], ["taiwan_strait", "rear"],
         {"korea_dispatch_consent": "no"}, None,
         why="Korea evacuated its nationals from Sudan with military aircraft (2023)"),
]


@pytest.mark.parametrize("rule", EVACUATION, ids=lambda r: r.name)
def test_evacuation_of_nationals_stays_allowed_where_force_is_not(rule: Rule,
                                                                  tmp_path: Path) -> None:
    plan = api.solve(mission(tmp_path, rule, rule.regions, rule.in_force))
    assert delivered(plan, rule.country, rule.tasks, rule.regions), rule.why


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_holds_in_every_region_and_phase_it_covers(rule: Rule, tmp_path: Path) -> None:
    plan = api.solve(mission(tmp_path, rule, rule.regions, rule.in_force))
    assert plan.status == "optimal"
    assert delivered(plan, rule.country, rule.tasks, rule.regions) == {}, rule.why
    if rule.lifted is not None:
        lifted = api.solve(mission(tmp_path, rule, rule.regions, rule.lifted))
        assert delivered(lifted, rule.country, rule.tasks, rule.regions), (
            f"with {rule.lifted} the demand should pull {rule.country} in")
    if rule.allowed:
        allowed = api.solve(mission(tmp_path, rule, rule.allowed, rule.in_force))
        assert delivered(allowed, rule.country, rule.tasks, rule.allowed), (
            f"{rule.name} must not forbid {rule.allowed}")


def test_japan_no_longer_defends_guam_in_burden_shifting() -> None:
    """The analyst's reading of issue 20: under an important-influence situation Japanese
    Aegis destroyers defended the rear (Guam) in burden-shifting; no Japanese force does now."""
    plan = api.solve("burden-shifting")
    rows = plan.allocations
    force = rows[(rows["country"] == "JPN") & (rows["region"] == "rear")
                 & rows["task"].isin(["sea_control", "asw", "air_missile_defense",
                                      "upper_tier_bmd"])
                 & (rows["units"] > 1e-9)]
    assert force.empty, force


@pytest.mark.parametrize(("posture", "floor"), [("in_place", 1.0), ("partial_redeployment", 0)])
def test_usfk_floor_holds_in_every_phase_while_in_place(posture: str, floor: float,
                                                        tmp_path: Path) -> None:
    """usfk_stays_on_peninsula: one US division-equivalent on the peninsula in every phase
    while the posture is in place, even with no ground requirement (the mission asks for none
    but air defense there); lifted under partial redeployment, the cost-minimising plan keeps
    none."""
    rule = Rule("usfk", "USA", ["air_missile_defense"], ["korean_peninsula"],
                {"usfk_posture": posture}, None)
    plan = api.solve(mission(tmp_path, rule, rule.regions, rule.in_force))
    rows = plan.allocations
    for phase in PHASES:
        held = rows[(rows["country"] == "USA") & (rows["task"] == "ground_deterrence")
                    & (rows["region"] == "korean_peninsula") & (rows["phase"] == phase)]
        assert float(held["units"].sum()) == pytest.approx(floor), phase


def test_korea_holds_twelve_divisions_on_the_peninsula_in_every_phase(tmp_path: Path) -> None:
    """kor_hold_the_peninsula: at least 12 division-equivalents in every phase, though the
    mission asks for none (the rule, not a requirement, keeps them there)."""
    rule = Rule("kor_hold", "KOR", ["air_missile_defense"], ["korean_peninsula"], {}, None)
    plan = api.solve(mission(tmp_path, rule, rule.regions, rule.in_force))
    rows = plan.allocations
    for phase in PHASES:
        held = rows[(rows["country"] == "KOR") & (rows["task"] == "ground_deterrence")
                    & (rows["region"] == "korean_peninsula") & (rows["phase"] == phase)]
        assert float(held["units"].sum()) == pytest.approx(12), phase
