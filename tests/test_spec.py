"""The rules the docs state about inheritance, retain-only variables, absent countries and
policy scope (issue 27), each on a tiny mission whose optimum is worked out by hand below,
so that the pages and the code cannot part again unnoticed.

The tiny data: USA, JPN and KOR each have one ISR pool ``drone`` (1 ISR per unit, every
region, readiness 1): USA 10 units at 5 USD m, JPN 10 at 2, KOR 2.5 at 1. There are no
standing policies and no links. The parent mission needs 4 ISR in japan in a crisis
(penalty 100). Cheapest: KOR 2.5 x 1 + JPN 1.5 x 2 = 5.5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import pipeline
from planner.errors import InputError

from .conftest import write_mission, write_tiny

JAPAN = {"task": "isr", "region": "japan", "phase": "crisis", "amount": 4, "penalty": 100}
KOREA = {"task": "isr", "region": "korean_peninsula", "phase": "crisis", "amount": 2,
         "penalty": 100}


def drone(quantity: float, cost: float) -> list[dict[str, Any]]:
    return [dict(pool="drone", quantity=quantity, readiness=1, cost_per_unit=cost,
                 regions="*", isr=1)]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The capability folder of the module docstring; asw is a task no pool delivers."""
    root = write_tiny(tmp_path / "data", {"USA": (3, 3), "JPN": (1, 1), "KOR": (1, 1)},
                      ["isr", "asw"], ["japan", "korean_peninsula"], ["crisis"],
                      {"USA": drone(10, 5), "JPN": drone(10, 2), "KOR": drone(2.5, 1)})
    (root / "policies.yaml").write_text("{}\n", encoding="utf-8")
    return root


def mission(tmp_path: Path, name: str = "m", **fields: Any) -> Path:
    fields.setdefault("requirements", [JAPAN])
    return write_mission(tmp_path / f"{name}.yaml", name=name, phases=["crisis"], **fields)


def child(tmp_path: Path, *overrides: dict[str, Any]) -> Path:
    """A mission extending ``m`` with these overrides of KOR's drones."""
    path = tmp_path / "child.yaml"
    path.write_text(yaml.safe_dump({
        "name": "child", "description": "d", "extends": "m",
        "overrides": [{"country": "KOR", "pool": "drone", **o, "source": "child"}
                      for o in overrides]}, sort_keys=False), encoding="utf-8")
    return path


def kor(**change: Any) -> dict[str, Any]:
    return {"country": "KOR", "pool": "drone", **change, "source": "parent"}


def policy(name: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "sentence": f"{name}.", "source": "test", **fields}


def units(plan: Any) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for a in plan.allocations:
        out[(a.country, a.region)] = out.get((a.country, a.region), 0) + a.units
    return out


# --- item 2: a parent's removal stands unless the child says remove: false ----------------

def test_a_parents_removal_stands_and_a_change_of_the_removed_pool_is_refused(
        tmp_path: Path, data: Path) -> None:
    """Without KOR's drones JPN flies all 4: 8. A child that changes their readiness
    without ``remove: false`` would change nothing: an error at the child's line."""
    parent = mission(tmp_path, overrides=[kor(remove=True)])
    assert pipeline.solve(parent, data).objective == pytest.approx(8)
    path = child(tmp_path, {"readiness": 0.4})
    with pytest.raises(InputError) as caught:
        pipeline.prepare(path, data)
    [problem] = caught.value.problems
    removed_at = parent.read_text(encoding="utf-8").splitlines().index("- country: KOR") + 1
    assert (problem.file, problem.column) == (str(path), "overrides[0]")
    assert problem.message == f"KOR/drone is removed (at {parent} row {removed_at}) and " \
        "changed here"


def test_remove_false_brings_the_pool_back_with_the_childs_change(
        tmp_path: Path, data: Path) -> None:
    """Back with readiness 0.4: KOR 2.5 x 0.4 = 1 unit at 1, JPN 3 at 2: 7. Back as in
    the table: 5.5."""
    mission(tmp_path, overrides=[kor(remove=True)])
    plan = pipeline.solve(child(tmp_path, {"remove": False, "readiness": 0.4}), data)
    assert plan.objective == pytest.approx(7)
    assert [(o.column, o.before, o.after) for o in plan.overrides] == [("readiness", 1, 0.4)]
    plan = pipeline.solve(child(tmp_path, {"remove": False}), data)
    assert plan.objective == pytest.approx(5.5)
    assert plan.overrides == []


def test_removed_and_brought_back_in_one_file_is_refused(tmp_path: Path, data: Path) -> None:
    path = mission(tmp_path, overrides=[kor(remove=True), kor(remove=False)])
    with pytest.raises(InputError) as caught:
        pipeline.prepare(path, data)
    [problem] = caught.value.problems
    assert problem.column == "overrides[1]"
    assert problem.message.endswith("and brought back here")


# --- item 4: a child's scale multiplies the table's quantity -------------------------------

def test_a_childs_scale_multiplies_the_tables_quantity_not_the_parents(
        tmp_path: Path, data: Path) -> None:
    """The parent sets KOR's quantity to 1 (KOR 1 at 1, JPN 3 at 2: 7); the child scales
    by 2: the table's 2.5 x 2 = 5, so KOR flies all 4: 4 (the parent's 1 x 2 would give
    KOR 2 at 1, JPN 2 at 2: 6)."""
    assert pipeline.solve(mission(tmp_path, overrides=[kor(quantity=1)]),
                          data).objective == pytest.approx(7)
    plan = pipeline.solve(child(tmp_path, {"scale": 2}), data)
    assert plan.objective == pytest.approx(4)
    assert [(o.column, o.before, o.after, o.given_as) for o in plan.overrides] == [
        ("quantity", 2.5, 5.0, "scale")]


# --- item 3: retain-only (task, region, phase) get units of every country's pools ---------

def test_a_retain_at_home_region_gets_every_countrys_units(tmp_path: Path,
                                                           data: Path) -> None:
    """JPN keeps 2 ISR in korean_peninsula, where nothing is required, and delivers at most
    half the ISR there: the others deliver at least 2 there, which needs their units in a
    (task, region, phase) only the policy names. KOR 2 there and 0.5 in japan (2.5 at 1),
    JPN 2 there and 3.5 in japan (5.5 at 2): 13.5. With units for JPN's pools only, the two
    policies could not hold together."""
    path = mission(tmp_path, policies=[
        policy("hold", "retain_at_home", country="JPN", task="isr",
               region="korean_peninsula", value=2),
        policy("half", "share_cap", country="JPN", task="isr", region="korean_peninsula",
               value=0.5)])
    plan = pipeline.solve(path, data)
    assert plan.objective == pytest.approx(13.5)
    assert units(plan) == pytest.approx({
        ("KOR", "korean_peninsula"): 2, ("KOR", "japan"): 0.5,
        ("JPN", "korean_peninsula"): 2, ("JPN", "japan"): 3.5})


# --- item 5: a lead-nation policy keeps the candidates that take part ----------------------

def test_a_lead_nation_policy_chooses_among_the_candidates_taking_part(
        tmp_path: Path, data: Path) -> None:
    """Candidates USA and KOR, KOR not taking part: USA leads alone and only the lead
    delivers, 4 x 5 = 20 (set aside, JPN would fly all 4: 8)."""
    lead = policy("one_lead", "lead_nation", country=["USA", "KOR"], task="isr")
    plan = pipeline.solve(mission(tmp_path, countries=["USA", "JPN"], policies=[lead]), data)
    assert plan.objective == pytest.approx(20)
    assert units(plan) == pytest.approx({("USA", "japan"): 4})
    assert [(lead.country, lead.task) for lead in plan.leads] == [("USA", "isr")]


def test_a_lead_nation_policy_without_a_candidate_taking_part_is_set_aside(
        tmp_path: Path, data: Path) -> None:
    lead = policy("one_lead", "lead_nation", country=["KOR"], task="isr")
    plan = pipeline.solve(mission(tmp_path, countries=["USA", "JPN"], policies=[lead]), data)
    assert plan.objective == pytest.approx(8)
    assert plan.policy_rows == [] and plan.leads == []


# --- item 6: budget_cap narrows by task, region and phase ----------------------------------

def test_a_budget_cap_counts_only_its_region(tmp_path: Path, data: Path) -> None:
    """JPN may spend 4 in japan: 2 units there, USA the other 2 at 5; JPN's 2 units in
    korean_peninsula are outside the cap. 4 + 10 + 4 = 18 (a cap on all of JPN's cost
    would give JPN 2 units, USA 4: 24). Without KOR, which would take the cheapest work."""
    cap = policy("cap", "budget_cap", country="JPN", region="japan", value=4)
    plan = pipeline.solve(mission(tmp_path, countries=["USA", "JPN"], policies=[cap],
                                  requirements=[JAPAN, KOREA]), data)
    assert plan.objective == pytest.approx(18)
    assert units(plan) == pytest.approx({("JPN", "japan"): 2, ("USA", "japan"): 2,
                                         ("JPN", "korean_peninsula"): 2})


def test_a_budget_cap_counts_only_its_task(tmp_path: Path, data: Path) -> None:
    """A cap of 0 on JPN's ASW leaves its ISR alone: JPN 4 x 2 = 8 (a cap on all of JPN's
    cost would leave the ISR to the USA: 20)."""
    cap = policy("cap", "budget_cap", country="JPN", task="asw", value=0)
    plan = pipeline.solve(mission(tmp_path, countries=["USA", "JPN"], policies=[cap]), data)
    assert plan.objective == pytest.approx(8)
