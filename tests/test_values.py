"""Values of requirements: a tier rule or a figure, each with its basis (issue 18, item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import planner.api as api
from planner import pipeline
from planner.errors import InputError

from .conftest import run_planner, write_mission, write_tiny


def scarce_pool(root: Path) -> Path:
    """JPN: 2 Aegis ships (readiness 1), cost 10 a unit; a ship does sea control (1, no
    extra cost) or missile defense (1, +5 for interceptors). So the dearest (and only)
    capable provider costs 10 per unit of sea control and 15 per unit of missile defense."""
    return write_tiny(root, {"JPN": (1, 1)}, ["sea_control", "air_missile_defense"],
                      ["japan", "rear"], ["conflict"],
                      {"JPN": [dict(pool="aegis", quantity=2, readiness=1, cost_per_unit=10,
                                    regions="japan", sea_control=1, air_missile_defense=1,
                                    air_missile_defense_cost=5)]})


def two_needs(path: Path, objective: dict[str, Any], **extra: Any) -> Path:
    return write_mission(path, name="two", phases=["conflict"], objective=objective,
                         requirements=[
                             dict(task="sea_control", region="japan", phase="conflict",
                                  amount=2),
                             dict(task="air_missile_defense", region="japan",
                                  phase="conflict", amount=2, **extra)])


def test_the_dearer_task_is_covered_first_by_its_value(tmp_path: Path) -> None:
    """Two ships, two units of each task required.

    One penalty for all (1,000 a unit): whichever task is left short costs 2,000, so the
    LP covers the task whose units are cheaper, sea control: 2 x 10 + 2 x 1,000 = 2,020
    (missile defense first would be 2 x 15 + 2,000 = 2,030).

    Tiers (vital 10, major 3): missile defense is worth 10 x 15 = 150 a unit, sea control
    3 x 10 = 30. Covering missile defense costs 2 x 15 = 30 and leaves 2 x 30 = 60 of sea
    control short: 90; the other way round 2 x 10 + 2 x 150 = 320. The dearer task, by its
    value and though its units cost more, is covered first: objective 90.
    """
    data = scarce_pool(tmp_path / "data")
    flat = pipeline.solve(two_needs(tmp_path / "flat.yaml", {"shortfall_penalty": 1000}), data)
    assert flat.objective == pytest.approx(2020)
    assert {c.task: c.shortfall for c in flat.coverage} == pytest.approx(
        {"sea_control": 0, "air_missile_defense": 2})

    tiered = pipeline.solve(two_needs(tmp_path / "tiered.yaml", {
        "tiers": {"vital": 10, "major": 3},
        "task_tiers": {"air_missile_defense": "vital", "sea_control": "major"}}), data)
    assert tiered.objective == pytest.approx(90)
    assert {c.task: (c.shortfall, c.penalty_per_unit) for c in tiered.coverage} == {
        "sea_control": pytest.approx((2, 30)), "air_missile_defense": pytest.approx((0, 150))}
    basis = {c.task: c.value_basis for c in tiered.coverage}
    assert basis == {
        "sea_control": "tier major: 3 x 10 per unit, the dearest capable provider "
                       "(JPN/aegis)",
        "air_missile_defense": "tier vital: 10 x 15 per unit, the dearest capable provider "
                               "(JPN/aegis)"}


def test_precedence_of_figure_tier_and_one_penalty(tmp_path: Path) -> None:
    """A requirement's own penalty is a figure (40); its own tier beats the task's (major
    3 x 15 = 45 instead of vital); a task with no tier takes the one penalty (7); a region
    no pool serves takes the dearest provider of the task anywhere (3 x 10 = 30)."""
    data = scarce_pool(tmp_path / "data")
    mission = write_mission(
        tmp_path / "m.yaml", name="m", phases=["conflict"],
        objective={"shortfall_penalty": 7, "tiers": {"vital": 10, "major": 3},
                   "task_tiers": {"air_missile_defense": "vital"}},
        requirements=[
            dict(task="sea_control", region="japan", phase="conflict", amount=1),
            dict(task="sea_control", region="rear", phase="conflict", amount=1,
                 tier="major"),
            dict(task="air_missile_defense", region="japan", phase="conflict", amount=1,
                 tier="major"),
            dict(task="air_missile_defense", region="rear", phase="conflict", amount=1,
                 penalty=40)])
    instance = pipeline.prepare(str(mission), data)
    values = {(r.task, r.region): (r.penalty, r.value_basis)
              for r in instance.requirements.itertuples(index=False)}
    assert values == {
        ("sea_control", "japan"): (7, "7 per unit, the mission's one shortfall penalty for a "
                                      "requirement with no value or tier"),
        ("sea_control", "rear"): (30, "tier major: 3 x 10 per unit, the dearest capable "
                                      "provider anywhere (none serves the region) "
                                      "(JPN/aegis)"),
        ("air_missile_defense", "japan"): (45, "tier major: 3 x 15 per unit, the dearest "
                                               "capable provider (JPN/aegis)"),
        ("air_missile_defense", "rear"): (40, "40 per unit, set on the requirement in the "
                                              "mission")}


def test_unknown_tier_and_penalty_with_tier_are_located_errors(tmp_path: Path) -> None:
    data = scarce_pool(tmp_path / "data")
    mission = two_needs(tmp_path / "bad.yaml", {"tiers": {"vital": 10},
                                                "task_tiers": {"sea_contrl": "vitl"}})
    with pytest.raises(InputError) as caught:
        pipeline.prepare(str(mission), data)
    text = str(caught.value)
    assert "unknown task 'sea_contrl'" in text and "did you mean sea_control?" in text
    assert "unknown tier 'vitl'" in text and "did you mean vital?" in text
    both = two_needs(tmp_path / "both.yaml", {"tiers": {"vital": 10}}, tier="vital",
                     penalty=5)
    with pytest.raises(InputError, match="'penalty' and 'tier' both set the value"):
        pipeline.prepare(str(both), data)


def test_shipped_baseline_values_have_a_basis() -> None:
    """No single penalty: every shipped requirement's value comes from a tier, and the
    division is dearer than the interceptor (10 x 120 for the USFK division against
    5 x 4.2 for a US PAC-3 with its 0.2 of launch cost)."""
    instance = pipeline.prepare(None, None)
    assert instance.requirements["value_basis"].str.startswith("tier ").all()
    value = {(r.task, r.region): r.penalty for r in instance.requirements.itertuples()}
    assert value[("ground_deterrence", "korean_peninsula")] == pytest.approx(1200)
    assert value[("interceptor_supply", "korean_peninsula")] == pytest.approx(21)


def yards(root: Path, bearers: str | None) -> Path:
    """USA: 2 yard slots at 40 an overhaul; JPN: 3 at 12. GDP 80 and 20, defense budgets
    9 and 1. ``bearers``: the rows of cost_bearers.csv below its header, or no file."""
    data = write_tiny(root, {"USA": (80, 9), "JPN": (20, 1)}, ["ship_mro"], ["japan"],
                      ["conflict"],
                      {"USA": [dict(pool="yard", quantity=2, readiness=1, cost_per_unit=40,
                                    regions="japan", ship_mro=1)],
                       "JPN": [dict(pool="yard", quantity=3, readiness=1, cost_per_unit=12,
                                    regions="japan", ship_mro=1)]})
    if bearers is not None:
        (data / "cost_bearers.csv").write_text(
            "country,pool,task,region,bearer,share,source\n" + bearers, encoding="utf-8")
    return data


def overhauls(path: Path, **extra: Any) -> Path:
    return write_mission(path, name="yards", phases=["conflict"], **extra, requirements=[
        dict(task="ship_mro", region="japan", phase="conflict", amount=4, penalty=1000)])


@pytest.mark.parametrize(("rows", "borne"), [
    (None, {"USA": 40, "JPN": 36}),
    ("JPN,yard,ship_mro,*,USA,1,test\n", {"USA": 76, "JPN": 0}),
    ("JPN,yard,*,japan,USA,0.5,test\n", {"USA": 58, "JPN": 18})])
def test_a_cost_bearer_moves_cost_not_the_allocation(
        tmp_path: Path, rows: str | None, borne: dict[str, float]) -> None:
    """Four overhauls needed: JPN's three at 12 (36), then one US slot at 40: 76 in all,
    whoever pays. With the US paying for Japan's yard work, the US bears 40 + 36 = 76 and
    Japan nothing; paying half, 40 + 18 = 58 and 18. The service each provides (its own
    pools' work) stays 40 and 36, and so does every allocation and the objective."""
    plan = pipeline.solve(overhauls(tmp_path / "m.yaml"), yards(tmp_path / "data", rows))
    assert plan.objective == pytest.approx(76)
    assert {(a.country, a.units) for a in plan.allocations} == {("JPN", 3), ("USA", 1)}
    assert {c.country: c.cost for c in plan.countries} == pytest.approx({"USA": 40,
                                                                         "JPN": 36})
    assert {c.country: c.cost_borne for c in plan.countries} == pytest.approx(borne)
    index = {c.country: c.burden_index for c in plan.countries}
    assert index == pytest.approx({"USA": borne["USA"] / 76 / 0.8,
                                   "JPN": borne["JPN"] / 76 / 0.2})


def test_burden_index_against_budgets(tmp_path: Path) -> None:
    """With burden_index_base: budget, the index divides the share borne by the share of
    the defense budgets (0.9 and 0.1): Japan bearing 18 of 76 has 18/76/0.1 = 2.37."""
    plan = pipeline.solve(overhauls(tmp_path / "m.yaml", burden_index_base="budget"),
                          yards(tmp_path / "data", "JPN,yard,*,*,USA,0.5,test\n"))
    assert plan.burden_index_base == "budget"
    index = {c.country: c.burden_index for c in plan.countries}
    assert index == pytest.approx({"USA": 58 / 76 / 0.9, "JPN": 18 / 76 / 0.1})


def test_bad_cost_bearers_are_located(tmp_path: Path) -> None:
    data = yards(tmp_path / "data", "JPN,yard,ship_mro,*,USA,1.5,test\n"
                                    "JPN,yrd,ship_mro,*,USX,1,\n")
    with pytest.raises(InputError) as caught:
        pipeline.prepare(str(overhauls(tmp_path / "m.yaml")), data)
    found = {(p.row, p.column): p.message for p in caught.value.problems}
    assert found == {
        (2, "share"): "1.5 is not a share in (0, 1]",
        (3, "bearer"): "unknown country 'USX'",
        (3, "pool"): "JPN has no pool 'yrd'",
        (3, "source"): "the source is blank"}


def test_an_ally_rejects_the_least_cost_plan_and_accepts_the_joint_plan(
        tmp_path: Path) -> None:
    """Two sea-control needs: 2 units in the Taiwan Strait (A, worth 100 a unit) and 1 on
    the peninsula (B, worth 60). USA: one ship at 70 that serves only the peninsula; KOR:
    one ship at 20 that serves both. The US cares only for the Strait, Korea only for the
    peninsula.

    Least cost: the Korean ship on A (20 saves 100); B is left short, as the US ship costs
    70 against its value of 60: 20 + 100 + 60 = 180. Korea bears 20 and loses B's 60: a
    loss of 80, against 20 alone (its ship on B), so its acceptability is 1 - 80/20 = -3:
    it rejects. The US loses 100 (one unit of A short) against 200 alone (it cannot reach
    the Strait): 0.5.

    Joint plan: the US ship on B (u = 1) and the Korean ship x on A. Korea's loss is 20x,
    acceptability 1 - x; the US's 70 + 100 (2 - x), acceptability (100x - 70) / 200. They
    meet at x = 0.9, both 0.1 (the US ship on B is worth 3 to Korea's acceptability per
    unit and costs the US 0.35, so it stays whole). Objective: 70 + 18 + 1.1 x 100 = 198;
    Korea covers all of its priorities, the US 0.9 of 2 = 45%.
    """
    from planner.analyze.priorities import priorities

    data, mission = sea_control_toy(tmp_path)
    analysis = priorities(pipeline.prepare(str(mission), data))
    table = analysis.tables["acceptability"].set_index(["plan", "ally"])
    expected = {("least cost", "KOR"): (180, 0.0, 20, 80, 20, -3.0, True),
                ("least cost", "USA"): (180, 0.5, 0, 100, 200, 0.5, False),
                ("joint", "KOR"): (198, 1.0, 18, 18, 20, 0.1, False),
                ("joint", "USA"): (198, 0.45, 70, 180, 200, 0.1, False)}
    for key, (objective, covered, borne, loss, alone, acceptability, rejects) in \
            expected.items():
        row = table.loc[key]
        assert (row["objective"], row["covered_share"], row["borne"], row["loss"],
                row["alone"], row["acceptability"]) == pytest.approx(
            (objective, covered, borne, loss, alone, acceptability), abs=1e-6), key
        assert bool(row["rejects"]) is rejects, key
    assert analysis.findings[0].startswith("KOR would reject the least-cost plan: it bears "
                                           "20.0 and 60.0 of its priorities' value is left "
                                           "uncovered")
    assert analysis.findings[1] == ("No ally would reject the joint plan (each does at least "
                                    "as well by its own priorities as it would alone).")


def sea_control_toy(root: Path) -> tuple[Path, Path]:
    """The tables and mission of the joint-plan toy (see the test above)."""
    data = write_tiny(root / "data", {"USA": (80, 8), "KOR": (20, 2)}, ["sea_control"],
                      ["taiwan_strait", "korean_peninsula"], ["conflict"],
                      {"USA": [dict(pool="ddg", quantity=1, readiness=1, cost_per_unit=70,
                                    regions="korean_peninsula", sea_control=1)],
                       "KOR": [dict(pool="ship", quantity=1, readiness=1, cost_per_unit=20,
                                    regions="taiwan_strait;korean_peninsula",
                                    sea_control=1)]})
    mission = write_mission(
        root / "m.yaml", name="m", phases=["conflict"],
        priorities={"USA": {"regions": {"taiwan_strait": 1}},
                    "KOR": {"regions": {"korean_peninsula": 1}}},
        requirements=[dict(task="sea_control", region="taiwan_strait", phase="conflict",
                           amount=2, penalty=100),
                      dict(task="sea_control", region="korean_peninsula", phase="conflict",
                           amount=1, penalty=60)])
    return data, mission


@pytest.mark.parametrize(("weighting", "objective", "acceptability"), [
    ({"USA": 1}, 180, {"USA": 0.5, "KOR": -3.0}),
    ({"KOR": 1}, 270, {"USA": -0.35, "KOR": 1.0}),
    ({"USA": 1, "KOR": 1}, 270, {"USA": -0.35, "KOR": 1.0})])
def test_a_stated_weighting_of_the_allies_acceptabilities(
        tmp_path: Path, weighting: dict[str, float], objective: float,
        acceptability: dict[str, float]) -> None:
    """The toy above, with the joint plan maximising a weighted sum of acceptabilities.
    With u the US ship on the peninsula (B), x and y the Korean ship on the Strait (A) and
    on B: acc_USA = 1 - (70u + 100 (2 - x)) / 200 and acc_KOR = 1 - (20 (x + y) + 60 short_B)
    / 20, short_B = 1 - u - y.
    - USA alone counts: x = 1, u = 0 (0.5); the least cost holding it leaves B short: the
      least-cost plan, 180, Korea at -3.
    - KOR alone counts: B covered by the US ship (u = 1, its cost is not Korea's) and the
      Korean ship idle (acc 1); holding that, cost 70 + 2 x 100 = 270, the US at -0.35.
    - Both at 1: per unit u adds -0.35 + 3, x adds 0.5 - 1 and y -1 + 3 (but u covers B
      first at no cost to Korea): u = 1, x = y = 0, sum 0.65: the same 270, and the US
      would reject it, which the findings say a weighting may do (max-min gave 0.1 each)."""
    data, mission = sea_control_toy(tmp_path)
    analysis = api.priorities(str(mission), data=data, joint_plan=weighting)
    table = analysis.tables["acceptability"].set_index(["plan", "ally"])
    for ally, expected in acceptability.items():
        assert table.loc[("joint", ally), "objective"] == pytest.approx(objective)
        assert table.loc[("joint", ally), "acceptability"] == pytest.approx(expected)
    assert analysis.facts["joint_plan"]["weighting"] == weighting
    assert any("may leave an ally worse off than alone" in f for f in analysis.findings)


def test_the_joint_plan_option_on_the_command_line(tmp_path: Path) -> None:
    data, mission = sea_control_toy(tmp_path)
    done = run_planner("analyze", "priorities", str(mission), "--data", str(data),
                       "--no-save", "--format", "json", "--joint-plan", "KOR=1,USA=1",
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["facts"]["joint_objective"] == pytest.approx(270)
    wrong = run_planner("analyze", "priorities", str(mission), "--data", str(data),
                        "--no-save", "--joint-plan", "JPN=1,KOR", cwd=tmp_path)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "'KOR' is not ALLY=WEIGHT" in wrong.stderr
    unknown = run_planner("analyze", "priorities", str(mission), "--data", str(data),
                          "--no-save", "--joint-plan", "JPN=1", cwd=tmp_path)
    assert unknown.returncode == 2 and "JPN has no priorities in mission m" in unknown.stderr


def ships_to_buy(root: Path) -> Path:
    """KOR and USA: a ddg pool of no ships, cost 1 per unit and phase, readiness 0.5, one
    unit of sea control per ship."""
    return write_tiny(root, {"USA": (100, 10), "KOR": (10, 1)}, ["sea_control"], ["sea"],
                      ["conflict"],
                      {code: [dict(pool="ddg", quantity=0, readiness=0.5, cost_per_unit=1,
                                   regions="sea", sea_control=1)] for code in ("USA", "KOR")})


def force_mission(path: Path, **force: Any) -> Path:
    return write_mission(
        path, name="buy", phases=["conflict"],
        objective={"tiers": {"major": 2}, "task_tiers": {"sea_control": "major"}},
        requirements=[dict(task="sea_control", region="sea", phase="conflict", amount=1)],
        force={"first_year": 2026, "last_year": 2028, "discount_rate": 0.0,
               "lines": [dict(name="kor_yard", country="KOR", deliveries=5, source="test")],
               "acquisitions": [dict(country="KOR", pool="ddg", unit_cost=60, lead_time=0,
                                     service_life=10, lines=["kor_yard"], source="test")],
               **force})


def test_in_a_force_mission_a_unit_short_is_worth_buying_what_covers_it(
        tmp_path: Path) -> None:
    """No ship yet; one unit of sea control needed in each of 2026-2028 (tier major, factor
    2); a ship costs 60, serves from its order for 10 years, readiness 0.5; no discounting.

    The pools alone would price a unit short at 2 x 1 (their operating cost): 3 years short
    cost 6, against 2 ships (0.5 of a unit each) at 60 less the credit for the 7 of 10 years
    after 2028, 2 x 18 = 36, plus 3 of employment: nothing would be bought. With the
    acquisition as a way to provide the task, its cost per task unit is the operating 1
    plus a year's share of the price, 60 / 10 years / readiness 0.5 = 12: 13, the dearest
    way; the value is 2 x 13 = 26 a unit short. Two ships ordered in 2026 cover the three
    years for 36 + 3 = 39 < 3 x 26 = 78 (ordered later, a ship covers fewer years for less
    credit): objective 39.

    With ``end_of_horizon: none`` the price is paid for the most years an order can serve
    in the horizon, 3: 1 + 60 / 3 / 0.5 = 41, a value of 82; the two ships cost 120 + 3 =
    123 < 246: objective 123.
    """
    data = ships_to_buy(tmp_path / "data")
    plan = pipeline.solve(force_mission(tmp_path / "m.yaml"), data)
    assert plan.objective == pytest.approx(39)
    assert [(o.year, o.units) for o in plan.force.orders] == [(2026, pytest.approx(2))]
    assert [c.penalty_per_unit for c in plan.coverage] == pytest.approx([26] * 3)
    assert {c.value_basis for c in plan.coverage} == {
        "tier major: 2 x 13 per unit, the dearest way to provide it, a new KOR/ddg: "
        "operating 1 + a year's share of its price 12 (60 over 10 years, at readiness 0.5)"}
    full = pipeline.solve(force_mission(tmp_path / "n.yaml", end_of_horizon="none"), data)
    assert full.objective == pytest.approx(123)
    assert [c.penalty_per_unit for c in full.coverage] == pytest.approx([82] * 3)
    assert [(o.year, o.units) for o in full.force.orders] == [(2026, pytest.approx(2))]


def test_an_acquisition_that_cannot_serve_within_the_horizon_sets_no_value(
        tmp_path: Path) -> None:
    """A lead time of 3 puts an order of 2026 in service in 2029, after the horizon: it is
    no way to provide the task, and the value is the pools' own, 2 x 1 = 2 a unit; nothing
    is bought and the three years short cost 6."""
    data = ships_to_buy(tmp_path / "data")
    mission = force_mission(tmp_path / "m.yaml", acquisitions=[dict(
        country="KOR", pool="ddg", unit_cost=60, lead_time=3, service_life=10,
        lines=["kor_yard"], source="test")])
    plan = pipeline.solve(mission, data)
    assert plan.objective == pytest.approx(6)
    assert {c.value_basis for c in plan.coverage} == {
        "tier major: 2 x 1 per unit, the dearest capable provider (USA/ddg)"}


def test_a_region_tier_puts_one_region_first_on_the_same_scale(tmp_path: Path) -> None:
    """One ship (cost 5, serves japan and rear), one unit of sea control needed in each.
    By task_tiers both are major, 5 x 5 = 25 a unit short, a tie: either way 5 + 25 = 30.
    With region_tiers {japan: {sea_control: vital}} the unit in Japan is worth 10 x 5 = 50:
    covering it costs 5 + 25 = 30, covering the rear 5 + 50 = 55, so Japan is covered and
    the rear left short: objective 30, with the region's tier in the basis."""
    data = write_tiny(tmp_path / "data", {"JPN": (1, 1)}, ["sea_control"], ["japan", "rear"],
                      ["conflict"],
                      {"JPN": [dict(pool="ship", quantity=1, readiness=1, cost_per_unit=5,
                                    regions="japan;rear", sea_control=1)]})
    mission = write_mission(
        tmp_path / "m.yaml", name="m", phases=["conflict"],
        objective={"tiers": {"vital": 10, "major": 5}, "task_tiers": {"sea_control": "major"},
                   "region_tiers": {"japan": {"sea_control": "vital"}}},
        requirements=[dict(task="sea_control", region=region, phase="conflict", amount=1)
                      for region in ("japan", "rear")])
    plan = pipeline.solve(mission, data)
    assert plan.objective == pytest.approx(30)
    assert {c.region: (c.shortfall, c.penalty_per_unit, c.value_basis)
            for c in plan.coverage} == {
        "japan": (0, 50, "tier vital in japan (region_tiers): 10 x 5 per unit, the dearest "
                         "capable provider (JPN/ship)"),
        "rear": (pytest.approx(1), 25, "tier major: 5 x 5 per unit, the dearest capable "
                                       "provider (JPN/ship)")}


def test_a_region_tier_naming_unknown_things_is_a_located_error(tmp_path: Path) -> None:
    data = scarce_pool(tmp_path / "data")
    mission = two_needs(tmp_path / "bad.yaml", {
        "tiers": {"vital": 10}, "region_tiers": {"japn": {"sea_contrl": "vitl"}}})
    with pytest.raises(InputError) as caught:
        pipeline.prepare(str(mission), data)
    text = str(caught.value)
    assert "unknown region 'japn'" in text and "did you mean japan?" in text
    assert "unknown task 'sea_contrl'" in text and "unknown tier 'vitl'" in text
