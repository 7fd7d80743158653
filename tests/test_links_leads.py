"""Links between allies, lead nations, whole units and per-mission overrides of the tables,
each on a tiny mission solved by hand; and the located errors of their inputs.

The tiny data: USA, JPN and KOR each have one ISR pool ``drone`` (1 ISR per unit, every
region): USA 10 units at 5, JPN 10 at 2, KOR 2.5 at 1. JPN's home is japan, KOR's is
korean_peninsula. A standing link ``jk`` lets JPN and KOR work on ISR in each other's home
while the flag gsomia is active (the default). The mission needs 4 ISR in japan in a crisis
(penalty 100). Cheapest with the link: KOR 2.5 x 1 + JPN 1.5 x 2 = 5.5; without: JPN 4 x 2 = 8.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import pipeline
from planner.errors import InputError, Problem

from .conftest import run_planner, write_mission, write_tiny

FLAGS = {"gsomia": {"values": ["active", "suspended"], "default": "active",
                    "description": "test flag", "source": "test"}}
JK = {"name": "jk", "kind": "link", "country": "JPN", "partner": "KOR", "task": "isr",
      "active_when": {"gsomia": "active"}, "sentence": "JPN and KOR share ISR.",
      "source": "test"}
JAPAN = {"task": "isr", "region": "japan", "phase": "crisis", "amount": 4, "penalty": 100}


def drone(quantity: float, cost: float) -> list[dict[str, Any]]:
    return [dict(pool="drone", quantity=quantity, readiness=1, cost_per_unit=cost,
                 regions="*", isr=1)]


def tiny_data(tmp_path: Path, link: dict[str, Any] | None = JK,
              tasks: tuple[str, ...] = ("isr",)) -> Path:
    """The capability folder described in the module docstring (``link`` None: no link)."""
    data = write_tiny(tmp_path / "data", {"USA": (3, 3), "JPN": (1, 1), "KOR": (1, 1)},
                      list(tasks), ["japan", "korean_peninsula"], ["crisis"],
                      {"USA": drone(10, 5), "JPN": drone(10, 2), "KOR": drone(2.5, 1)},
                      homes={"JPN": "japan", "KOR": "korean_peninsula"})
    standing = {"flags": FLAGS, "policies": [link] if link else []}
    (data / "policies.yaml").write_text(yaml.safe_dump(standing, sort_keys=False),
                                        encoding="utf-8")
    return data


def mission(tmp_path: Path, name: str = "m", **fields: Any) -> Path:
    fields.setdefault("requirements", [JAPAN])
    return write_mission(tmp_path / f"{name}.yaml", name=name, phases=["crisis"], **fields)


def solve(tmp_path: Path, data: Path | None = None, settings: dict[str, str] | None = None,
          **fields: Any) -> Any:
    return pipeline.solve(mission(tmp_path, **fields), data or tiny_data(tmp_path),
                          settings=settings)


def units(plan: Any) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for a in plan.allocations:
        out[(a.country, a.region)] = out.get((a.country, a.region), 0) + a.units
    return out


def row(plan: Any, name: str) -> Any:
    [found] = [c for c in plan.constraints if c.name == name]
    return found


def problems(path: Path, data: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        pipeline.prepare(path, data)
    return info.value.problems


def lead(**fields: Any) -> dict[str, Any]:
    return {"name": "ln", "kind": "lead_nation", "task": "isr", "sentence": "One leads.",
            "source": "test", **fields}


def override(**fields: Any) -> dict[str, Any]:
    return {"country": "KOR", "pool": "drone", "source": "assumption: test", **fields}


# --- links ---------------------------------------------------------------------------------

def test_active_link_lets_korea_work_in_japan(tmp_path: Path) -> None:
    plan = solve(tmp_path)
    assert plan.objective == pytest.approx(5.5)  # KOR 2.5 x 1 + JPN 1.5 x 2
    assert units(plan) == pytest.approx({("KOR", "japan"): 2.5, ("JPN", "japan"): 1.5})
    assert plan.links == ["jk"]
    assert plan.policy_rows == []  # an active link puts no row in the LP


@pytest.mark.parametrize("how", ["mission", "settings"])
def test_suspended_link_forbids_korea_in_japan(tmp_path: Path, how: str) -> None:
    if how == "mission":
        plan = solve(tmp_path, flags={"gsomia": "suspended"})
    else:
        plan = solve(tmp_path, settings={"gsomia": "suspended"})
    assert plan.objective == pytest.approx(8)  # JPN 4 x 2
    assert units(plan) == pytest.approx({("JPN", "japan"): 4})
    assert plan.links == []
    [jk] = plan.policy_rows
    assert jk.name == "policy[jk]" and jk.binding
    assert jk.dual == pytest.approx(-1)  # each KOR unit allowed in japan saves 2 - 1


def test_link_concerns_only_the_partners_home(tmp_path: Path) -> None:
    """4 ISR in korean_peninsula, KOR's home. Suspended: KOR still works at home (2.5 x 1),
    JPN may not work there, so USA does the rest (1.5 x 5): 10. Active: 2.5 + 1.5 x 2."""
    korea = JAPAN | {"region": "korean_peninsula"}
    data = tiny_data(tmp_path)
    suspended = solve(tmp_path, data, {"gsomia": "suspended"}, requirements=[korea])
    assert suspended.objective == pytest.approx(10)
    assert units(suspended) == pytest.approx({("KOR", "korean_peninsula"): 2.5,
                                              ("USA", "korean_peninsula"): 1.5})
    active = solve(tmp_path, data, requirements=[korea])
    assert active.objective == pytest.approx(5.5)
    assert units(active) == pytest.approx({("KOR", "korean_peninsula"): 2.5,
                                           ("JPN", "korean_peninsula"): 1.5})


def test_link_on_another_task_does_not_touch_isr(tmp_path: Path) -> None:
    data = tiny_data(tmp_path, JK | {"task": "asw"}, tasks=("isr", "asw"))
    plan = solve(tmp_path, data, {"gsomia": "suspended"})
    assert plan.objective == pytest.approx(5.5)  # as if the link were active
    assert plan.links == [] and plan.policy_rows == []


def test_link_without_task_carries_every_task(tmp_path: Path) -> None:
    data = tiny_data(tmp_path, {k: v for k, v in JK.items() if k != "task"},
                     tasks=("isr", "asw"))
    plan = solve(tmp_path, data, {"gsomia": "suspended"})
    assert plan.objective == pytest.approx(8)
    assert [r.name for r in plan.policy_rows] == ["policy[jk]"]


def test_link_active_unless(tmp_path: Path) -> None:
    link = {k: v for k, v in JK.items() if k != "active_when"} | {
        "active_unless": {"gsomia": "suspended"}}
    data = tiny_data(tmp_path, link)
    assert solve(tmp_path, data).objective == pytest.approx(5.5)
    assert solve(tmp_path, data, {"gsomia": "suspended"}).objective == pytest.approx(8)


# --- lead nations ----------------------------------------------------------------------------

def test_lead_nation_only_the_lead_delivers(tmp_path: Path) -> None:
    """One lead for ISR in japan, alone: JPN 4 x 2 = 8 beats KOR 2.5 + 1.5 x 100 short and
    USA 4 x 5."""
    plan = solve(tmp_path, policies=[lead()])
    assert plan.objective == pytest.approx(8)
    assert [(x.policy, x.task, x.region, x.country) for x in plan.leads] == [
        ("ln", "isr", "japan", "JPN")]
    assert plan.problem_class == "MIP" and plan.duals_from == "fixed_lp"
    assert row(plan, "policy[ln,isr,japan]").binding  # exactly one leads
    # with JPN's lead fixed, KOR's bound is 2.5 x 0: each KOR unit allowed saves 2 - 1
    assert row(plan, "policy[ln,KOR,isr,japan,crisis]").dual == pytest.approx(-1)


def test_lead_and_linked_lets_the_linked_partner_deliver(tmp_path: Path) -> None:
    plan = solve(tmp_path, policies=[lead(delivered_by="lead_and_linked")])
    assert plan.objective == pytest.approx(5.5)
    assert [x.country for x in plan.leads] == ["JPN"]
    assert units(plan) == pytest.approx({("KOR", "japan"): 2.5, ("JPN", "japan"): 1.5})


def test_lead_and_linked_needs_an_active_link_for_the_task(tmp_path: Path) -> None:
    policies = [lead(delivered_by="lead_and_linked")]
    suspended = solve(tmp_path, settings={"gsomia": "suspended"}, policies=policies)
    assert suspended.objective == pytest.approx(8)
    other_task = tiny_data(tmp_path, JK | {"task": "asw"}, tasks=("isr", "asw"))
    assert solve(tmp_path, other_task, policies=policies).objective == pytest.approx(8)


def test_lead_and_linked_lets_a_linked_ally_that_may_not_lead_support_the_lead(
        tmp_path: Path) -> None:
    """Only JPN and USA may lead ISR in japan; KOR may not, but it is linked to JPN (jk).
    With lead_and_linked, KOR supports JPN's lead: KOR 2.5 x 1 + JPN 1.5 x 2 = 5.5 (USA
    leading: 4 x 5 = 20, and nobody is linked to the USA). With delivered_by lead, KOR
    delivers nothing: JPN 4 x 2 = 8. The candidates say who may lead, not who may support."""
    linked = solve(tmp_path, policies=[lead(country=["JPN", "USA"],
                                            delivered_by="lead_and_linked")])
    assert linked.objective == pytest.approx(5.5)
    assert [x.country for x in linked.leads] == ["JPN"]
    assert units(linked) == pytest.approx({("KOR", "japan"): 2.5, ("JPN", "japan"): 1.5})
    alone = solve(tmp_path, policies=[lead(country=["JPN", "USA"])])
    assert alone.objective == pytest.approx(8)
    assert units(alone) == pytest.approx({("JPN", "japan"): 4})


def test_lead_nation_candidates(tmp_path: Path) -> None:
    plan = solve(tmp_path, policies=[lead(country=["USA"])])
    assert plan.objective == pytest.approx(20)  # USA 4 x 5
    assert [x.country for x in plan.leads] == ["USA"]
    assert units(plan) == pytest.approx({("USA", "japan"): 4})


def test_lead_nation_only_where_the_mission_requires(tmp_path: Path) -> None:
    """USA leads ISR in japan (4 x 5); JPN keeps 2 in korean_peninsula, where the mission
    requires nothing (2 x 2): 24."""
    hold = {"name": "hold", "kind": "retain_at_home", "country": "JPN", "task": "isr",
            "region": "korean_peninsula", "value": 2, "sentence": "Hold.", "source": "test"}
    plan = solve(tmp_path, policies=[lead(country=["USA"]), hold])
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(24)
    assert [(x.region, x.country) for x in plan.leads] == [("japan", "USA")]


def test_a_whole_unit_lead_may_overshoot_the_requirement(tmp_path: Path) -> None:
    """JPN alone may lead and deliver 3.5 ISR in japan in whole drones: 4 drones (8) beat 3
    and 0.5 short (6 + 50). The lead's bound allows the requirement plus one unit's worth."""
    plan = solve(tmp_path, policies=[lead(country=["JPN"])], integer_units=True,
                 requirements=[JAPAN | {"amount": 3.5}])
    assert plan.objective == pytest.approx(8)
    assert units(plan) == pytest.approx({("JPN", "japan"): 4})


def test_a_retain_floor_above_the_requirement_keeps_the_pools_bound(tmp_path: Path) -> None:
    """JPN leads ISR in japan and must keep 6 there (a retain_at_home floor above the 4
    required): 6 x 2 = 12. Bounding the lead by the requirement would leave no plan."""
    hold = {"name": "hold", "kind": "retain_at_home", "country": "JPN", "task": "isr",
            "region": "japan", "value": 6, "sentence": "Hold.", "source": "test"}
    plan = solve(tmp_path, policies=[lead(country=["JPN"]), hold])
    assert plan.status == "optimal" and plan.objective == pytest.approx(12)


# --- whole units ------------------------------------------------------------------------------

@pytest.mark.parametrize("whole", [True, ["KOR/drone"]])
def test_integer_units(tmp_path: Path, whole: Any) -> None:
    """KOR may employ 2 whole units of its 2.5: 2 x 1 + JPN 2 x 2 = 6."""
    plan = solve(tmp_path, integer_units=whole)
    assert plan.objective == pytest.approx(6)
    assert units(plan) == pytest.approx({("KOR", "japan"): 2, ("JPN", "japan"): 2})
    assert plan.problem_class == "MIP" and plan.duals_from == "fixed_lp"


def test_integer_units_prices_from_the_fixed_lp(tmp_path: Path) -> None:
    """KOR fixed at 2 whole units; one more ISR required costs one more JPN unit: 2."""
    plan = solve(tmp_path, integer_units=["KOR/drone"])
    [cover] = plan.coverage
    assert cover.marginal_cost == pytest.approx(2)


def test_lp_without_integers(tmp_path: Path) -> None:
    plan = solve(tmp_path)
    assert plan.problem_class == "LP" and plan.duals_from == "lp"


def test_integer_units_from_the_command_line(tmp_path: Path) -> None:
    tiny_data(tmp_path)
    mission(tmp_path, integer_units=True)
    result = run_planner("solve", "m.yaml", "--data", "data", "--out", "folder", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MIP" in result.stdout
    saved = json.loads((tmp_path / "folder" / "plan.json").read_text(encoding="utf-8"))
    assert saved["problem_class"] == "MIP" and saved["duals_from"] == "fixed_lp"
    assert saved["objective"] == pytest.approx(6)


def test_unknown_integer_pool_is_an_input_error(tmp_path: Path) -> None:
    tiny_data(tmp_path)
    path = mission(tmp_path, integer_units=["KOR/dron"])
    line = path.read_text(encoding="utf-8").splitlines().index("- KOR/dron") + 1
    result = run_planner("solve", "m.yaml", "--data", "data", "--no-save", cwd=tmp_path)
    assert result.returncode == 2
    assert (f"m.yaml, row {line}, column integer_units[0]: KOR has no pool 'dron' - "
            "did you mean drone?") in result.stderr
    assert "Traceback" not in result.stderr


# --- overrides ------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "objective", "expected"), [
    ({"scale": 2}, 4, {("KOR", "japan"): 4}),  # KOR 5 available, 4 x 1
    ({"quantity": 3}, 5, {("KOR", "japan"): 3, ("JPN", "japan"): 1}),  # 3 x 1 + 1 x 2
    ({"cost_per_unit": 3}, 8, {("JPN", "japan"): 4}),  # JPN now cheaper: 4 x 2
    ({"remove": True}, 8, {("JPN", "japan"): 4}),
    ({"readiness": 0.4}, 7, {("KOR", "japan"): 1, ("JPN", "japan"): 3}),  # 2.5 x 0.4 = 1
])
def test_override(tmp_path: Path, change: dict[str, Any], objective: float,
                  expected: dict[tuple[str, str], float]) -> None:
    data = tiny_data(tmp_path)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    plan = solve(tmp_path, data, overrides=[override(**change)])
    assert plan.objective == pytest.approx(objective)
    assert units(plan) == pytest.approx(expected)
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before  # tables untouched


def test_override_is_recorded_with_before_and_after(tmp_path: Path) -> None:
    plan = solve(tmp_path, overrides=[override(scale=2, source="assumption: twice")])
    assert [o.model_dump() for o in plan.overrides] == [
        {"country": "KOR", "pool": "drone", "column": "quantity", "before": 2.5,
         "after": 5.0, "given_as": "scale", "source": "assumption: twice"}]
    removed = solve(tmp_path, overrides=[override(remove=True)])
    [record] = removed.overrides
    assert (record.column, record.before, record.after) == ("removed", 2.5, 0.0)


def line_of(path: Path, text: str, occurrence: int = 0) -> int:
    found = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if line == text]
    return found[occurrence]


@pytest.mark.parametrize("second", [{"scale": 3}, {"remove": True}])
def test_value_overridden_twice(tmp_path: Path, second: dict[str, Any]) -> None:
    path = mission(tmp_path, overrides=[override(scale=2), override(**second)])
    [problem] = problems(path, tiny_data(tmp_path))
    first = line_of(path, "- country: KOR")
    assert problem.file == str(path)
    assert problem.row == line_of(path, "- country: KOR", 1)
    assert problem.column == "overrides[1]"
    assert problem.message == (f"the quantity of KOR/drone is overridden twice (first at "
                               f"{path} row {first})")


def test_unknown_pools_and_countries_are_reported_together(tmp_path: Path) -> None:
    path = mission(tmp_path, overrides=[override(pool="dron", scale=2),
                                        override(country="CHN", scale=2),
                                        override(readiness=0.5),
                                        override(readiness=0.6)])
    found = problems(path, tiny_data(tmp_path))
    assert [(p.file, p.column, p.message, p.hint) for p in found] == [
        (str(path), "overrides[0].pool", "KOR has no pool 'dron'", "did you mean drone?"),
        (str(path), "overrides[1].country", "unknown country 'CHN'",
         "known countries: JPN, KOR, USA"),
        (str(path), "overrides[3]", "the readiness of KOR/drone is overridden twice (first "
         f"at {path} row {line_of(path, '- country: KOR', 1)})", "keep one override of each "
         "value"),
    ]
    assert found[0].row == line_of(path, "  pool: dron")


def test_unknown_override_country_points_at_the_country(tmp_path: Path) -> None:
    path = mission(tmp_path, overrides=[override(country="CHN", scale=2)])
    [problem] = problems(path, tiny_data(tmp_path))
    assert problem.column == "overrides[0].country"
    assert problem.row == line_of(path, "- country: CHN")


def test_malformed_overrides_are_reported_together(tmp_path: Path) -> None:
    path = mission(tmp_path, overrides=[override(scale=2, quantity=3), override(),
                                        override(remove=True, readiness=0.5)])
    found = problems(path, tiny_data(tmp_path))
    assert [(p.file, p.row, p.column, p.message) for p in found] == [
        (str(path), line_of(path, "- country: KOR", i), f"overrides[{i}]", message)
        for i, message in enumerate([
            "'scale' and 'quantity' both change the quantity: keep one",
            "an override needs a change: scale, quantity, readiness, cost_per_unit, "
            "remove: true or remove: false",
            "a removed pool takes no other change"])]


# --- extends -------------------------------------------------------------------------------

PARENT = """\
name: parent
description: parent mission
phases: [crisis]
requirements:
- {task: isr, region: japan, phase: crisis, amount: 4, penalty: 100}
overrides:
- {country: KOR, pool: drone, scale: 2, source: parent}
"""


def test_child_inherits_the_parents_override(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("name: child\ndescription: d\nextends: parent\n", encoding="utf-8")
    assert pipeline.solve(child, tiny_data(tmp_path)).objective == pytest.approx(4)


def test_childs_override_merges_with_the_parents_per_value(tmp_path: Path) -> None:
    """The child's readiness 0.4 joins the parent's scale 2 on the same pool: KOR 5 x 0.4 =
    2 units at 1, JPN 2 at 2: 6."""
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("name: child\ndescription: d\nextends: parent\noverrides:\n"
                     "- {country: KOR, pool: drone, readiness: 0.4, source: child}\n",
                     encoding="utf-8")
    plan = pipeline.solve(child, tiny_data(tmp_path))
    assert plan.objective == pytest.approx(6)
    assert [(o.column, o.after, o.source) for o in plan.overrides] == [
        ("quantity", 5.0, "parent"), ("readiness", 0.4, "child")]


def test_childs_override_of_the_same_value_replaces_the_parents(tmp_path: Path) -> None:
    """The child sets KOR's quantity to 1 where the parent scaled it by 2: KOR 1 at 1, JPN 3
    at 2: 7. A child may remove a pool its parent changed."""
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("name: child\ndescription: d\nextends: parent\noverrides:\n"
                     "- {country: KOR, pool: drone, quantity: 1, source: child}\n",
                     encoding="utf-8")
    plan = pipeline.solve(child, tiny_data(tmp_path))
    assert plan.objective == pytest.approx(7)
    assert [(o.column, o.before, o.after) for o in plan.overrides] == [("quantity", 2.5, 1.0)]
    child.write_text("name: child\ndescription: d\nextends: parent\noverrides:\n"
                     "- {country: KOR, pool: drone, remove: true, source: child}\n",
                     encoding="utf-8")
    assert pipeline.solve(child, tiny_data(tmp_path)).objective == pytest.approx(8)


def test_inherited_problems_point_at_the_file_they_were_written_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # labels relative to the working folder
    (tmp_path / "parent.yaml").write_text(
        "name: parent\n"                   # 1
        "description: d\n"                 # 2
        "phases: [crisis]\n"               # 3
        "requirements:\n"                  # 4
        "- task: isr\n"                    # 5
        "  region: japan\n"                # 6
        "  phase: crisis\n"                # 7
        "  amount: 4\n"                    # 8
        "- task: isr\n"                    # 9
        "  region: nowhere\n"              # 10
        "  phase: crisis\n"                # 11
        "  amount: 1\n", encoding="utf-8")
    (tmp_path / "child.yaml").write_text(
        "name: child\n"                    # 1
        "description: d\n"                 # 2
        "extends: parent\n"                # 3
        "requirements:\n"                  # 4
        "- task: isr\n"                    # 5
        "  phase: crisis\n"                # 6
        "  amount: 1\n"                    # 7
        "  region: korea\n", encoding="utf-8")  # 8
    found = problems(tmp_path / "child.yaml", tiny_data(tmp_path))
    assert [(p.file, p.row, p.column, p.message) for p in found] == [
        ("parent.yaml", 10, "requirements[1].region", "unknown region 'nowhere'"),
        ("child.yaml", 8, "requirements[0].region", "unknown region 'korea'"),
    ]


# --- policy schema ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "link"}, "a link needs a 'partner'"),
    ({"kind": "link", "partner": "KOR", "when": {"gsomia": "active"}},
     "a link takes country, partner, task, active_when and active_unless (it always "
     "concerns the home regions)"),
    ({"kind": "link", "partner": "JPN"}, "a link joins two different countries"),
    ({"kind": "forbid", "active_when": {"gsomia": "active"}},
     "'active_when' / 'active_unless' apply to links; other policies use 'when' / 'unless'"),
    ({"kind": "forbid", "delivered_by": "lead_and_linked"},
     "'delivered_by' applies to lead_nation policies only"),
    ({"kind": "forbid", "partner": "KOR"}, "'partner' applies to link policies only"),
    ({"kind": "lead_nation", "task": "isr", "value": 1},
     "a lead_nation policy takes no 'value' or 'phase': a lead leads in every phase"),
    ({"kind": "link", "partner": "KOR", "depends_on": ["jk"]},
     "'depends_on' names the links a policy exists by; a link's own conditions are "
     "active_when / active_unless"),
])
def test_policy_schema_errors(tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    bad = {"name": "p", "country": "JPN", "sentence": "s.", "source": "test", **fields}
    path = mission(tmp_path, policies=[bad])
    [problem] = problems(path, tiny_data(tmp_path))
    assert (problem.file, problem.column, problem.message) == (
        str(path), "policies[0]", message)
    assert problem.row == line_of(path, "- name: p")


def test_a_policy_depends_on_a_known_link(tmp_path: Path) -> None:
    """A standing link or one of the mission's; a misspelt name is located, with a hint."""
    floor = {"name": "floor", "kind": "retain_at_home", "country": "KOR", "task": "isr",
             "region": "japan", "value": 1, "sentence": "s.", "source": "test"}
    own = {**JK, "name": "own"}
    path = mission(tmp_path, policies=[own, {**floor, "depends_on": ["jk", "own", "jkk"]}])
    [problem] = problems(path, tiny_data(tmp_path))
    assert (problem.column, problem.message, problem.hint) == (
        "policies[1].depends_on[2]", "unknown link 'jkk'", "did you mean jk?")


def test_standing_link_without_partner(tmp_path: Path) -> None:
    data = tiny_data(tmp_path, {k: v for k, v in JK.items() if k != "partner"})
    [problem] = problems(mission(tmp_path), data)
    assert problem.file.endswith("data/policies.yaml")
    assert (problem.column, problem.message) == ("policies[0]", "a link needs a 'partner'")


# --- review fixes ---------------------------------------------------------------------------

def test_two_lead_policies_on_one_task_and_region_solve_with_cbc(tmp_path: Path) -> None:
    """Each policy has its own lead variables, so CBC (which reads columns by name) sees no
    duplicate: both policies pick JPN, and the plan is JPN 4 at 2."""
    path = mission(tmp_path, policies=[lead(name="ln_a"), lead(name="ln_b", region="japan")])
    plan = pipeline.solve(path, tiny_data(tmp_path), solver="cbc")
    assert plan.objective == pytest.approx(8)
    assert sorted((lead.policy, lead.country) for lead in plan.leads) == [
        ("ln_a", "JPN"), ("ln_b", "JPN")]


def test_slacks_are_distances_from_the_bound_for_both_solvers(tmp_path: Path) -> None:
    """A >= row with surplus: JPN must keep 6 in Japan where 4 are required, so the cover
    row has 2 to spare; both solvers report +2."""
    keep = {"name": "keep", "kind": "retain_at_home", "country": "JPN", "task": "isr",
            "region": "japan", "value": 6, "sentence": "JPN keeps 6.", "source": "test"}
    path = mission(tmp_path, policies=[keep])
    for solver in ("highs", "cbc"):
        plan = pipeline.solve(path, tiny_data(tmp_path), solver=solver)
        assert row(plan, "cover[isr,japan,crisis]").slack == pytest.approx(2), solver
        assert row(plan, "pool[USA,drone,crisis]").slack == pytest.approx(10), solver


def test_duplicate_policy_in_a_child_points_at_both_of_its_lines(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text(
        "name: parent\ndescription: d\nphases: [crisis]\nrequirements:\n"
        "- {task: isr, region: japan, phase: crisis, amount: 4}\n", encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("name: child\ndescription: d\nextends: parent\npolicies:\n"
                     "- {name: p1, kind: forbid, country: USA, sentence: s, source: t}\n"
                     "- {name: p1, kind: forbid, country: JPN, sentence: s, source: t}\n",
                     encoding="utf-8")
    [problem] = problems(child, tiny_data(tmp_path))
    assert (problem.file, problem.row) == (str(child), 6)
    assert problem.message == f"policy 'p1' is defined twice (first at {child} row 5)"
