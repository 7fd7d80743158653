"""The standing access rules on the shipped tables (capabilities/basing.csv and the access
policies of capabilities/policies.yaml): forces based on an ally's territory do the work the
host must consent to only once it has, and the same forces keep the work that needs no
consent. Each case asks for the rule's tasks in its regions (amounts larger than the
alliance can meet, at a penalty no plan pays if any ally can deliver), solves with the
host's consent withheld (the based pools must deliver none of it), then with it given (the
demand pulls them in), so each case can fail. And the issue's reading: in
taiwan-contingency-usfk-redeploys US forces in Korea serve the Taiwan Strait area under
strategic flexibility with Korea's consent, and not without either.
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
COMBAT = ["sea_control", "asw", "air_missile_defense"]


@dataclass(frozen=True)
class Access:
    """Where a host's consent is needed, for which based pools, and the flags that withhold
    and give it."""

    name: str
    pools: list[str]  # the US pools based on the host's territory (basing.csv)
    tasks: list[str]
    regions: list[str]
    withheld: dict[str, str]
    given: dict[str, str]
    allowed: list[str] = field(default_factory=list)  # regions that need no consent
    why: str = ""


RULES = [
    Access("us_combat_from_japan_prior_consultation", ["carrier_strike_group", "fdnf_ddg"],
           COMBAT, ["taiwan_strait", "south_china_sea"],
           {"japan_prior_consultation": "withheld"}, {"japan_prior_consultation": "granted"},
           allowed=["japan", "east_china_sea", "korean_peninsula"],
           why="combat from bases in Japan beyond Japan's defense needs prior consultation "
               "(1960 exchange of notes); Korea is the Korean Minute's exception"),
    Access("usfk_regional_role_needs_korea_consent", ["patriot_battery"],
           ["air_missile_defense"], ["taiwan_strait"],
           {"usfk_posture": "partial_redeployment", "korea_regional_consent": "no"},
           {"usfk_posture": "partial_redeployment", "korea_regional_consent": "yes"},
           allowed=["japan", "rear"],
           why="US forces in Korea take no part in a regional conflict against Korea's will "
               "(2006, public_facts §5)"),
    Access("usfk_leaves_only_under_strategic_flexibility", ["patriot_battery"],
           ["air_missile_defense"], ["taiwan_strait"],
           {"usfk_posture": "in_place", "korea_regional_consent": "yes"},
           {"usfk_posture": "partial_redeployment", "korea_regional_consent": "yes"},
           why="US forces in Korea leave for a regional contingency only under strategic "
               "flexibility (2006, public_facts §5)"),
    Access("us_combat_from_philippines_defensive_only", ["typhon_battery"], ["sea_control"],
           ["taiwan_strait"], {"edca_use": "defensive"}, {"edca_use": "regional"},
           allowed=["south_china_sea", "philippines"],
           why="Philippine bases are not used for offensive action (Marcos, 10 Apr 2023)"),
]


def mission(tmp_path: Path, rule: Access, regions: list[str], flags: dict[str, str]) -> Path:
    document: dict[str, Any] = {
        "name": f"access_{rule.name}", "description": f"Where {rule.name} holds: {rule.why}.",
        "countries": ALL, "phases": PHASES, "flags": flags,
        "objective": {"shortfall_penalty": 100000},
        "requirements": [
            {"task": task, "region": region, "amount": {phase: 40 for phase in PHASES},
             "note": "assumption: a demand larger than the alliance can meet, for the test"}
            for task in rule.tasks for region in regions]}
    path = tmp_path / f"{rule.name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def based(plan: Any, pools: list[str], tasks: list[str], regions: list[str]) -> dict:
    """What the named US pools deliver of these tasks in these regions, by cell."""
    rows = plan.allocations
    rows = rows[(rows["country"] == "USA") & rows["pool"].isin(pools)
                & rows["task"].isin(tasks) & rows["region"].isin(regions)
                & (rows["units"] > 1e-9)]
    return {(r.pool, r.task, r.region, r.phase): float(r.units) for r in rows.itertuples()}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_based_forces_work_there_only_with_the_hosts_consent(rule: Access,
                                                             tmp_path: Path) -> None:
    withheld = api.solve(mission(tmp_path, rule, rule.regions, rule.withheld))
    assert withheld.status == "optimal"
    assert based(withheld, rule.pools, rule.tasks, rule.regions) == {}, rule.why
    given = api.solve(mission(tmp_path, rule, rule.regions, rule.given))
    assert based(given, rule.pools, rule.tasks, rule.regions), (
        f"with {rule.given} the demand should pull {rule.pools} in")
    if rule.allowed:
        allowed = api.solve(mission(tmp_path, rule, rule.allowed, rule.withheld))
        assert based(allowed, rule.pools, rule.tasks, rule.allowed), (
            f"{rule.name} must not forbid {rule.allowed}")


def usfk_in_the_strait(plan: Any) -> float:
    rows = plan.allocations
    return float(rows[(rows["country"] == "USA") & (rows["pool"] == "patriot_battery")
                      & (rows["region"] == "taiwan_strait")]["units"].sum())


def test_usfk_serves_the_strait_under_strategic_flexibility_with_koreas_consent() -> None:
    """The analyst's reading of issue 20 was that USFK never moves: partial redeployment only
    lifted the division's floor. In taiwan-contingency-usfk-redeploys (partial redeployment,
    Korea consenting) US Patriot batteries from Korea defend allied forces in the Taiwan
    Strait area in the conflict; with the posture in place, or without Korea's consent (as in
    taiwan-contingency), none do, and the plan costs more."""
    flexible = api.solve("taiwan-contingency-usfk-redeploys")
    assert usfk_in_the_strait(flexible) > 1
    for flags in ({"usfk_posture": "in_place"}, {"korea_regional_consent": "no"}):
        kept = api.solve("taiwan-contingency-usfk-redeploys", flags=flags)
        assert usfk_in_the_strait(kept) == 0, flags
        assert kept.objective > flexible.objective, flags
