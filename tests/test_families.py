"""Rows and columns as families with keys, the one summary of a solved model, and the
typed mission of a plan."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import pipeline
from planner.analyze.sweep import Prepared
from planner.formulation.families import FAMILIES, POLICY, POOL, UNITS, declare
from planner.formulation.model import build_model
from planner.reports.output import frames, save_plan
from planner.results.plan import ConstraintResult, Plan
from planner.results.saved import load_plan
from planner.schema.mission import Mission

from .conftest import write_mission, write_tiny


@pytest.fixture
def one_task(tmp_path: Path) -> tuple[Path, Path]:
    """USA (GDP 80): 4 ships at readiness 0.5, cost 10, deliver 1 each. JPN (GDP 20): 10
    ships at 0.8, cost 6 plus 1 on the task, deliver 2 each. Need 20 at penalty 100; JPN
    may employ at most 6 ships (policy ``cap``, a budget cap of 42 = 6 x 7).

    By hand: JPN is cheapest per unit delivered (7/2 = 3.5) but capped at 6 ships: 12
    delivered, cost 42. USA next (10 per unit, below the penalty): all 2 ready ships, 2
    delivered, cost 20. Short 6, penalty 600. Employment cost 62: USA 20/62, JPN 42/62 of
    it; GDP shares 0.8 and 0.2. Cover dual 100 (the penalty); pool[USA,ddg,conflict] dual
    -(100 - 10) = -90; the cap's dual -(2 x 100 - 7) / 7 = -193/7 per USD m.
    """
    data = write_tiny(
        tmp_path / "data", {"USA": (80, 8), "JPN": (20, 2)}, ["sea_control"],
        ["east_china_sea"], ["conflict"],
        {"USA": [dict(pool="ddg", quantity=4, readiness=0.5, cost_per_unit=10,
                      regions="east_china_sea", sea_control=1)],
         "JPN": [dict(pool="ddg", quantity=10, readiness=0.8, cost_per_unit=6, regions="*",
                      sea_control=2, sea_control_cost=1)]},
    )
    mission = write_mission(
        tmp_path / "one.yaml", name="one", phases=["conflict"],
        requirements=[dict(task="sea_control", region="east_china_sea", phase="conflict",
                           amount=20, penalty=100)],
        policies=[dict(name="cap", kind="budget_cap", country="JPN", value=42,
                       sentence="JPN spends at most 42.", source="test")])
    return data, mission


def test_rows_carry_family_keys_and_policy(one_task: tuple[Path, Path]) -> None:
    data, mission = one_task
    model = build_model(pipeline.prepare(mission, data))
    pool = model.rows["pool[USA,ddg,conflict]"]
    assert (pool.family, dict(pool.keys), pool.policy) == (
        "pool", {"country": "USA", "pool": "ddg", "phase": "conflict"}, "")
    cap = model.rows["policy[cap]"]
    assert (cap.family, dict(cap.keys), cap.policy) == ("policy", {"policy": "cap"}, "cap")
    table = model.table("pool")
    assert list(table.columns) == ["name", "family", "policy", "country", "pool", "phase"]
    assert set(table["name"]) == {"pool[USA,ddg,conflict]", "pool[JPN,ddg,conflict]"}


def test_duals_csv_is_read_back_by_a_join_on_keys(one_task: tuple[Path, Path]) -> None:
    data, mission = one_task
    plan = pipeline.solve(mission, data)
    duals = frames(plan)["duals.csv"]
    assert list(duals.columns[:7]) == ["name", "kind", "dual", "slack", "binding", "sentence",
                                       "source"]  # the columns duals.csv always had, first
    assert list(duals.columns[7:]) == ["family", "policy", "country", "pool", "task",
                                       "region", "phase"]
    wanted = pd.DataFrame({"country": ["USA"], "pool": ["ddg"], "phase": ["conflict"]})
    [usa] = duals[duals["family"] == "pool"].merge(wanted)["dual"]
    assert usa == pytest.approx(-90)
    [cover] = duals[duals["family"] == "cover"].merge(pd.DataFrame(
        {"task": ["sea_control"], "region": ["east_china_sea"], "phase": ["conflict"]}))[
        "dual"]
    assert cover == pytest.approx(100)
    [cap] = duals[duals["policy"] == "cap"]["dual"]
    assert cap == pytest.approx(-193 / 7)
    [coverage] = plan.coverage  # the requirement's price, joined on its keys
    assert coverage.marginal_cost == pytest.approx(100)


def test_summary_is_one_for_plans_and_sweeps(one_task: tuple[Path, Path]) -> None:
    """The plan and a sweep's record give the same costs, shares and shortfalls (by hand
    in the fixture)."""
    data, mission = one_task
    instance = pipeline.prepare(mission, data)
    plan = pipeline.solve_instance(instance)
    by_country = {c.country: c for c in plan.countries}
    assert by_country["USA"].cost == pytest.approx(20)
    assert by_country["JPN"].cost == pytest.approx(42)
    assert by_country["USA"].cost_share == pytest.approx(20 / 62)
    assert by_country["JPN"].burden_index == pytest.approx((42 / 62) / 0.2)
    assert plan.total_cost == pytest.approx(62) and plan.shortfall_penalty == pytest.approx(600)
    [coverage] = plan.coverage
    assert (coverage.delivered, coverage.shortfall) == (pytest.approx(14), pytest.approx(6))

    prepared = Prepared.of(instance)
    summary = prepared.summary(prepared.run())
    assert summary is not None
    assert summary.cost_by_country == pytest.approx({"USA": 20, "JPN": 42})
    assert summary.cost_share == pytest.approx([20 / 62, 42 / 62])
    assert summary.delivered == pytest.approx([14]) and summary.coverage == pytest.approx([0.7])
    record = prepared.outcome(prepared.run())
    assert record["employment_cost"] == pytest.approx(62)
    assert record["penalty"] == pytest.approx(600) and record["shortfall"] == {
        "at": [0], "amount": pytest.approx([6])}
    assert record["objective"] == pytest.approx(plan.objective)


def test_family_registry_names_members_in_key_order() -> None:
    assert POOL.label({"phase": "crisis", "pool": "p-3", "country": "JPN"}) == (
        "pool[JPN,p-3,crisis]")
    assert POLICY.label({"policy": "hold", "phase": "crisis"}) == "policy[hold,crisis]"
    with pytest.raises(ValueError, match="keys country, pool, phase"):
        POOL.label({"country": "JPN"})
    with pytest.raises(ValueError, match="columns, not rows"):
        UNITS.row({}, "sentence", "source")
    assert declare("pool", "row", POOL.keys, POOL.meaning) is FAMILIES["pool"]
    with pytest.raises(ValueError, match="declared twice"):
        declare("pool", "row", ("country", "phase"), POOL.meaning)


def test_a_plan_saved_before_families_loads_with_keys() -> None:
    """plan.json files of the previous version hold rows with a name and a kind only."""
    old = {"name": "pool[JPN,ddg,conflict]", "kind": "pool", "sentence": "s", "source": "t",
           "slack": 0.0, "dual": -1.0, "binding": True}
    row = ConstraintResult.model_validate(old)
    assert (row.family, row.keys, row.policy) == (
        "pool", {"country": "JPN", "pool": "ddg", "phase": "conflict"}, "")
    lead = ConstraintResult.model_validate({**old, "name": "policy[lead,JPN,isr,sea,crisis]",
                                            "kind": "policy"})
    assert (lead.family, lead.policy) == ("policy", "lead")


def test_the_plan_holds_the_mission_typed(one_task: tuple[Path, Path],
                                          tmp_path: Path) -> None:
    data, mission = one_task
    plan = pipeline.solve(mission, data)
    assert isinstance(plan.mission, Mission)
    assert plan.mission.name == "one" and plan.mission.phases == ["conflict"]
    assert plan.mission["name"] == "one"  # read as the dict of earlier versions
    folder = save_plan(plan, tmp_path / "plan")
    loaded = load_plan(folder)
    assert isinstance(loaded, Plan) and loaded.mission == plan.mission
    assert loaded.constraints == plan.constraints
    again = pd.read_csv(io.StringIO((folder / "duals.csv").read_text()))
    assert np.isclose(again.loc[again["name"] == "policy[cap]", "dual"].item(), -193 / 7)


def test_many_rows_at_once_are_the_rows_made_one_by_one() -> None:
    """``Family.rows`` (the build's pool and cover rows) makes what ``Family.row`` makes:
    names, keys in declared order as text, sentences and sources; a wrong key set is
    refused whole."""
    keys = {"phase": ["crisis", "conflict"], "country": ["JPN", "KOR"],
            "pool": ["aegis_ddg", "kf21"]}
    made = POOL.rows(keys, ["one", "two"], ["a.csv", "b.csv"])
    assert made == [POOL.row({"country": "JPN", "pool": "aegis_ddg", "phase": "crisis"},
                             "one", "a.csv"),
                    POOL.row({"country": "KOR", "pool": "kf21", "phase": "conflict"},
                             "two", "b.csv")]
    assert made[0].name == "pool[JPN,aegis_ddg,crisis]"
    assert list(made[1].keys) == ["country", "pool", "phase"]
    with pytest.raises(ValueError, match="family pool has keys country, pool, phase"):
        POOL.rows({"country": ["JPN"], "pool": ["x"]}, ["s"], ["t"])
    with pytest.raises(ValueError):  # one sentence short
        POOL.rows({k: v[:2] for k, v in keys.items()}, ["one"], ["a.csv", "b.csv"])
