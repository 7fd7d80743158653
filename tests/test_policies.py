"""Each policy kind on a tiny mission solved by hand, flags and conditions, and the effect
of each shipped scenario against the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import pipeline
from planner.checks.validate import load_capabilities
from planner.errors import InputError
from planner.inputs import paths
from planner.scenario.instance import apply_mission

from .conftest import run_planner, write_mission, write_tiny

FLAGS = {"gsomia": {"values": ["active", "suspended"], "default": "active",
                    "description": "test flag", "source": "test"}}


def tiny(tmp_path: Path, policies: list[dict[str, Any]], **mission: Any) -> tuple[Path, Path]:
    """USA and JPN each have 10 ISR units delivering 1 each, costing 5 and 2. The mission
    needs 4 ISR in Japan in a crisis (penalty 100). Without policies: JPN 4 units, cost 8."""
    data = write_tiny(
        tmp_path / "data", {"USA": (3, 3), "JPN": (1, 1)}, ["isr"],
        ["japan", "korean_peninsula"], ["crisis"],
        {"USA": [dict(pool="drone", quantity=10, readiness=1, cost_per_unit=5, regions="*",
                      isr=1)],
         "JPN": [dict(pool="drone", quantity=10, readiness=1, cost_per_unit=2, regions="*",
                      isr=1)]})
    (data / "policies.yaml").write_text(yaml.safe_dump({"flags": FLAGS}), encoding="utf-8")
    path = write_mission(tmp_path / "m.yaml", name="tiny", phases=["crisis"],
                         requirements=[dict(task="isr", region="japan", phase="crisis",
                                            amount=4, penalty=100)],
                         policies=policies, **mission)
    return path, data


def policy(name: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "country": "JPN", "sentence": f"{name}.",
            "source": "test", **fields}


def units(plan: Any) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for a in plan.allocations:
        out[(a.country, a.region)] = out.get((a.country, a.region), 0) + a.units
    return out


def test_no_policy(tmp_path: Path) -> None:
    plan = pipeline.solve(*tiny(tmp_path, []))
    assert plan.objective == pytest.approx(8)


def test_forbid_moves_the_task_and_prices_the_policy(tmp_path: Path) -> None:
    plan = pipeline.solve(*tiny(tmp_path, [policy("no_jpn", "forbid", task="isr")]))
    assert plan.objective == pytest.approx(20)  # USA 4 x 5
    assert units(plan) == pytest.approx({("USA", "japan"): 4})
    [row] = plan.policy_rows
    assert row.name == "policy[no_jpn]" and row.binding
    assert row.dual == pytest.approx(-3)  # each JPN unit allowed would save 5 - 2


def test_share_cap_of_delivered(tmp_path: Path) -> None:
    # JPN x <= 0.25 (x + y), x + y >= 4, min 2x + 5y: x = 1, y = 3, cost 17.
    plan = pipeline.solve(*tiny(tmp_path, [policy("cap", "share_cap", task="isr", value=0.25)]))
    assert plan.objective == pytest.approx(17)
    assert units(plan) == pytest.approx({("JPN", "japan"): 1, ("USA", "japan"): 3})


def test_share_floor_of_cost(tmp_path: Path) -> None:
    # USA cost 5y >= 0.5 (2x + 5y), i.e. x <= 2.5y; x + y = 4: x = 20/7, y = 8/7, cost 80/7.
    floor = policy("us_floor", "share_floor", of="cost", value=0.5) | {"country": "USA"}
    plan = pipeline.solve(*tiny(tmp_path, [floor]))
    assert plan.objective == pytest.approx(80 / 7)
    us = next(c for c in plan.countries if c.country == "USA")
    assert us.cost_share == pytest.approx(0.5)


def test_retain_at_home_in_a_region_without_requirement(tmp_path: Path) -> None:
    # JPN keeps 2 units in Korea (cost 4) besides 4 in Japan (cost 8).
    hold = policy("hold", "retain_at_home", task="isr", region="korean_peninsula", value=2)
    plan = pipeline.solve(*tiny(tmp_path, [hold]))
    assert plan.objective == pytest.approx(12)
    assert units(plan) == pytest.approx({("JPN", "japan"): 4, ("JPN", "korean_peninsula"): 2})
    assert [r.name for r in plan.policy_rows] == ["policy[hold,crisis]"]


def test_budget_cap(tmp_path: Path) -> None:
    # JPN may spend 4: 2 units; USA the other 2 at 5 each. Cost 14.
    plan = pipeline.solve(*tiny(tmp_path, [policy("budget", "budget_cap", value=4)]))
    assert plan.objective == pytest.approx(14)


def test_condition_on_flag_and_set_from_command_line(tmp_path: Path) -> None:
    forbid = policy("no_jpn_without_gsomia", "forbid", task="isr", when={"gsomia": "suspended"})
    mission, data = tiny(tmp_path, [forbid])
    assert pipeline.solve(mission, data).objective == pytest.approx(8)
    plan = pipeline.solve(mission, data, settings={"gsomia": "suspended"})
    assert plan.objective == pytest.approx(20)
    assert plan.flags == {"gsomia": "suspended"} and plan.settings == {"gsomia": "suspended"}
    result = run_planner("solve", str(mission), "--data", str(data), "--set",
                         "gsomia=suspended", "--out", str(tmp_path / "p"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "gsomia=suspended (--set)" in result.stdout
    bad = run_planner("solve", str(mission), "--data", str(data), "--set", "gsomia=off",
                      cwd=tmp_path)
    assert bad.returncode == 2 and "did you mean" not in bad.stdout
    assert "flag gsomia has no value 'off'" in bad.stderr


def test_unknown_flag_and_reference_in_mission_are_located(tmp_path: Path) -> None:
    mission, data = tiny(tmp_path, [policy("p", "forbid", task="isr", region="japn")],
                         flags={"gsomai": "active"})
    with pytest.raises(InputError) as info:
        pipeline.prepare(mission, data)
    messages = {(p.column, p.message, p.hint) for p in info.value.problems}
    assert ("flags.gsomai", "unknown flag 'gsomai'", "did you mean gsomia?") in messages
    assert ("policies[0].region", "unknown region 'japn'", "did you mean japan?") in messages


def test_contradicting_hard_policies_exit_1_with_their_names(tmp_path: Path) -> None:
    mission, data = tiny(tmp_path, [
        policy("hold", "retain_at_home", task="isr", region="korean_peninsula", value=3),
        policy("budget", "budget_cap", value=4),
    ])
    result = run_planner("solve", str(mission), "--data", str(data), "--no-save", cwd=tmp_path)
    assert result.returncode == 1
    assert "infeasible" in result.stdout
    assert "  hold: hold. [test]" in result.stdout and "  budget: budget. [test]" in result.stdout
    # JPN can afford 2 units at 2 within the budget of 4: hold 1 fewer
    assert "relax policy[hold,crisis] by 1.00" in result.stdout
    assert "Traceback" not in result.stderr


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\ndescription: d\nextends: b\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: b\ndescription: d\nextends: a\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        pipeline.prepare(tmp_path / "a.yaml")
    [problem] = info.value.problems
    assert "cycle: a -> b -> a" in problem.message and problem.row == 3


# --- the shipped scenarios against the baseline -------------------------------------------

@pytest.fixture(scope="module")
def baseline() -> Any:
    return pipeline.solve("baseline")


def delivered(plan: Any, country: str, region: str, tasks: set[str] | None = None) -> float:
    return sum(a.delivered for a in plan.allocations if a.country == country
               and a.region == region and (tasks is None or a.task in tasks))


def test_baseline_respects_japans_thresholds(baseline: Any) -> None:
    combat = {"sea_control", "asw", "air_missile_defense"}
    assert delivered(baseline, "JPN", "korean_peninsula", combat) == 0
    assert delivered(baseline, "JPN", "taiwan_strait", combat) == 0
    assert baseline.flags["japan_situation"] == "important_influence"


def test_hub_and_spokes_has_no_spoke_to_spoke_work(baseline: Any) -> None:
    plan = pipeline.solve("hub-and-spokes")
    forces = {"sea_control", "asw", "isr", "air_missile_defense", "rear_area_support",
              "ground_deterrence"}
    assert delivered(baseline, "JPN", "korean_peninsula", forces) > 0  # the baseline's link
    assert delivered(plan, "JPN", "korean_peninsula", forces) == 0
    assert delivered(plan, "KOR", "japan", forces) == 0
    assert plan.objective > baseline.objective
    assert "japan_korea_forces" in baseline.links
    assert "japan_korea_forces" not in plan.links
    assert {"us_japan_alliance", "us_korea_alliance"} <= set(plan.links)


def test_gsomia_suspended_cuts_intelligence_sharing(baseline: Any) -> None:
    plan = pipeline.solve("gsomia-suspended")
    assert delivered(baseline, "JPN", "korean_peninsula", {"isr"}) > 0
    assert delivered(plan, "JPN", "korean_peninsula", {"isr"}) == 0
    assert delivered(plan, "KOR", "japan", {"isr"}) == 0
    assert plan.objective > baseline.objective  # ISR costs more without the link
    assert "japan_korea_intelligence" not in plan.links
    assert "japan_korea_forces" in plan.links  # forces still work together


def test_burden_shifting_caps_the_us_share(baseline: Any) -> None:
    plan = pipeline.solve("burden-shifting")
    us = {p.country: p.cost_share for p in plan.countries}
    before = {p.country: p.cost_share for p in baseline.countries}
    assert before["USA"] > 0.15
    assert us["USA"] <= 0.15 + 1e-9
    assert plan.objective > baseline.objective
    assert "us_cost_share_cap" in plan.policies


def test_taiwan_contingency_effects(baseline: Any) -> None:
    plan = pipeline.solve("taiwan-contingency")
    combat = {"sea_control", "asw", "air_missile_defense"}
    assert delivered(plan, "JPN", "taiwan_strait", combat) == 0
    assert sum(delivered(plan, "JPN", region, {"rear_area_support"})  # beyond Japan: allowed
               for region in ("korean_peninsula", "taiwan_strait", "rear")) > 0
    assert delivered(plan, "KOR", "taiwan_strait", combat | {"rear_area_support"}) == 0

    def korea_ground_share(p: Any) -> float:
        ground = [a for a in p.allocations if a.task == "ground_deterrence"]
        return sum(a.delivered for a in ground if a.country == "KOR") / sum(
            a.delivered for a in ground)

    assert korea_ground_share(plan) > korea_ground_share(baseline)
    # Korea supports from home: munitions and ship repair for the contingency
    assert delivered(plan, "KOR", "taiwan_strait", {"munitions_supply", "ship_mro"}) > 0


def test_survival_threatening_lets_japan_fight_and_lowers_the_cost() -> None:
    limited = pipeline.solve("taiwan-contingency")
    plan = pipeline.solve("taiwan-contingency-survival-threatening")
    combat = {"sea_control", "asw", "air_missile_defense"}
    assert delivered(plan, "JPN", "taiwan_strait", combat) > 0
    assert "jpn_no_force_abroad" not in plan.policies
    assert "jpn_no_force_abroad" in limited.policies
    assert plan.objective < limited.objective


def test_industrial_surge_closes_repair_and_interceptor_gaps() -> None:
    """Against the same mission without its overrides: allied yards and lines take the
    extra demand (ship repair and interceptor shortfalls close, munitions narrow)."""
    surge_instance = pipeline.prepare("industrial-surge")
    surge = pipeline.solve_instance(surge_instance)
    tables = load_capabilities(paths.data_dir(None))
    without = pipeline.solve_instance(apply_mission(
        tables, surge_instance.mission.model_copy(update={"overrides": []})))

    def short(plan: Any, task: str) -> float:
        return sum(c.shortfall for c in plan.coverage if c.task == task
                   and c.phase == "conflict")

    def pool(plan: Any, country: str, name: str, phase: str) -> float:
        return sum(a.units for a in plan.allocations if a.country == country
                   and a.pool == name and a.phase == phase)

    assert short(without, "ship_mro") == pytest.approx(4.6)
    assert short(surge, "ship_mro") == 0
    assert short(without, "interceptor_supply") > 0
    assert short(surge, "interceptor_supply") == 0
    assert 0 < short(surge, "munitions_supply") < short(without, "munitions_supply")
    assert pool(surge, "KOR", "shell_line_155mm", "conflict") == pytest.approx(21)
    # Korean yards at the top of their target (6) and a second Japanese yard free the US
    # yards in peacetime and crisis; in conflict (14 overhauls) the US yards still take some
    assert 0 < pool(surge, "USA", "ship_repair_yard", "conflict") < pool(
        without, "USA", "ship_repair_yard", "conflict")
    assert pool(surge, "KOR", "shipyard_mro", "conflict") == pytest.approx(6)
    for phase in ("peacetime", "crisis", "conflict"):
        assert pool(surge, "JPN", "shipyard_mro", phase) == pytest.approx(4.8)
    for phase in ("peacetime", "crisis"):
        assert pool(surge, "USA", "ship_repair_yard", phase) == 0
    assert {(o.country, o.pool, o.column) for o in surge.overrides} == {
        ("KOR", "shipyard_mro", "quantity"), ("JPN", "shipyard_mro", "quantity"),
        ("JPN", "pac3_line", "quantity"), ("KOR", "shell_line_155mm", "quantity")}
    assert without.overrides == []


def test_lead_nation_has_one_lead_who_delivers_alone(baseline: Any) -> None:
    plan = pipeline.solve("lead-nation")
    assert plan.problem_class == "MIP" and plan.duals_from == "fixed_lp"
    required = {(c.task, c.region) for c in plan.coverage
                if c.task in {"sea_control", "asw", "air_missile_defense", "upper_tier_bmd"}
                and c.region in {"korean_peninsula", "japan", "east_china_sea"}}
    leads = {(lead.task, lead.region): lead.country for lead in plan.leads}
    assert len(plan.leads) == len(leads) == len(required) == 10  # upper tier: 2 regions
    assert set(leads) == required
    for a in plan.allocations:
        if (a.task, a.region) in leads:
            assert a.country == leads[(a.task, a.region)], a
    assert plan.objective > baseline.objective  # giving up pooling costs something


def test_countries_key_selects_the_allies_and_sets_aside_their_policies(
        tmp_path: Path) -> None:
    # Without JPN, USA covers the 4 units at 5 each; JPN's forbid policy is set aside.
    mission, data = tiny(tmp_path, [policy("no_jpn", "forbid", task="isr")],
                         countries=["USA"])
    plan = pipeline.solve(mission, data)
    assert plan.objective == pytest.approx(20)
    assert [c.country for c in plan.countries] == ["USA"]
    assert plan.policy_rows == []


def test_countries_key_names_unknown_and_repeated_countries(tmp_path: Path) -> None:
    mission, data = tiny(tmp_path, [], countries=["USA", "JPM"])
    result = run_planner("solve", str(mission), "--data", str(data), "--no-save", cwd=tmp_path)
    assert result.returncode == 2
    assert "countries" in result.stderr and "JPN" in result.stderr  # the suggestion
    mission, data = tiny(tmp_path, [], countries=["USA", "USA"])
    result = run_planner("solve", str(mission), "--data", str(data), "--no-save", cwd=tmp_path)
    assert result.returncode == 2 and "listed twice" in result.stderr
