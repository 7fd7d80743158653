"""Analytics: N-1 resilience, coalition values and fair shares, and where sweeps run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import pipeline
from planner.analyze.fairness import (
    coalitions,
    fairness,
    nucleolus,
    olson_zeckhauser,
    shapley,
)
from planner.analyze.pareto import persistence_front, share_front
from planner.analyze.resilience import resilience
from planner.analyze.results import load_analysis
from planner.analyze.sweep import Execution

from .conftest import REPO, run_planner, write_mission, write_tiny

HERE = Execution(workers=1, progress=False)
FLAGS = {"gsomia": {"values": ["active", "suspended"], "default": "active",
                    "description": "test flag", "source": "test"}}


def toy(tmp_path: Path, pools: dict[str, list[dict[str, Any]]],
        requirements: list[dict[str, Any]], policies: list[dict[str, Any]] | None = None
        ) -> Any:
    countries = {"USA": (20, 8), "JPN": (4, 1), "KOR": (2, 1)}
    data = write_tiny(tmp_path / "data", {c: countries[c] for c in pools}, ["isr", "asw"],
                      ["japan"], ["crisis"], pools)
    (data / "policies.yaml").write_text(yaml.safe_dump({"flags": FLAGS}), encoding="utf-8")
    mission = write_mission(tmp_path / "toy.yaml", name="toy", phases=["crisis"],
                            requirements=requirements, policies=policies or [])
    return pipeline.prepare(mission, data)


def drone(cost: float, quantity: float, task: str = "isr") -> dict[str, Any]:
    return {"pool": "drone" if task == "isr" else "sub", "quantity": quantity,
            "readiness": 1, "cost_per_unit": cost, "regions": "*", task: 1}


def isr(amount: float) -> dict[str, Any]:
    return {"task": "isr", "region": "japan", "phase": "crisis", "amount": amount,
            "penalty": 100}


def test_a_sole_provider_is_as_critical_as_the_whole_shortfall(tmp_path: Path) -> None:
    # JPN alone does ASW (2 needed, 3 each); USA does ISR. Without JPN the 2 ASW are short:
    # +200 penalty, -6 employment.
    instance = toy(tmp_path, {"USA": [drone(5, 10)], "JPN": [drone(3, 10, "asw")]},
                   [isr(4), {"task": "asw", "region": "japan", "phase": "crisis",
                             "amount": 2, "penalty": 100}])
    analysis = resilience(instance, HERE)
    table = analysis.tables["criticality"].set_index("name")
    assert table.loc["JPN", "extra_penalty"] == pytest.approx(200)
    assert table.loc["JPN", "criticality"] == pytest.approx(194)
    assert table.loc["JPN", "newly_short_detail"] == "asw in japan (crisis): 2 short"
    assert table.loc["JPN", "requirements_newly_short"] == 1
    assert table.loc["USA", "criticality"] == pytest.approx(400 - 20)
    assert analysis.facts["solves"] == 3  # the base and one per ally


def test_newly_short_and_short_in_all_are_counted_apart(tmp_path: Path) -> None:
    # By hand: USA's 10 drones leave 2 of 12 ISR short in the base plan too; JPN's one sub
    # covers 1 of 2 ASW. Without JPN: ASW 2 short (1 more), ISR still 2 short: one
    # requirement newly short, two short in all; 50 + 200 + 200 - (50 + 200 + 3 + 100) = 97.
    instance = toy(tmp_path, {"USA": [drone(5, 10)], "JPN": [drone(3, 1, "asw")]},
                   [isr(12), {"task": "asw", "region": "japan", "phase": "crisis",
                              "amount": 2, "penalty": 100}])
    analysis = resilience(instance, HERE)
    row = analysis.tables["criticality"].set_index("name").loc["JPN"]
    assert row["criticality"] == pytest.approx(97)
    assert (row["requirements_newly_short"], row["requirements_short_total"]) == (1, 2)
    assert ("Without JPN the mission costs 97.0 more: employment -3.0, shortfall penalty "
            "+100.0; 1 requirement(s) newly short (2 short in all): asw in japan (crisis): "
            "1 short.") in analysis.findings


GAME = {"USA": [drone(5, 10)], "JPN": [drone(2, 3)], "KOR": [drone(3, 2)]}
# By hand, 4 ISR needed at 100 a unit short: c(U) = 20, c(J) = 6 + 100, c(K) = 6 + 200,
# c(UJ) = 6 + 5, c(UK) = 6 + 10, c(JK) = 6 + 3, c(UJK) = 9.
HAND = {("USA",): 20, ("JPN",): 106, ("KOR",): 206, ("USA", "JPN"): 11, ("USA", "KOR"): 16,
        ("JPN", "KOR"): 9, ("USA", "JPN", "KOR"): 9}


def test_coalition_values_and_shapley_by_hand(tmp_path: Path) -> None:
    analysis = fairness(toy(tmp_path, GAME, [isr(4)]), HERE)
    games = analysis.tables["coalitions"].set_index("coalition")["cost"].to_dict()
    assert games == pytest.approx({"+".join(k): v for k, v in HAND.items()})
    shares = analysis.tables["shares"].set_index("ally")
    # Shapley over the 6 orders: USA (2*20 - 95 - 190 + 0)/6, JPN (212 - 9 - 197 - 14)/6,
    # KOR (412 - 4 - 97 - 4)/6.
    assert shares["shapley"].to_dict() == pytest.approx(
        {"USA": -245 / 6, "JPN": -8 / 6, "KOR": 307 / 6})
    assert shares["plan_cost"].to_dict() == pytest.approx({"USA": 0, "JPN": 6, "KOR": 3})
    assert analysis.facts["plan_in_core"]  # JPN+KOR pay 9, exactly what they would alone
    assert analysis.facts["solves"] == 7
    # GDP 20, 4, 2 ranks 3, 2, 1; cost shares 0, 6/9, 3/9 rank 1, 3, 2: rho = -0.5. Burden
    # indices 0, 13/3, 13/3 rank 1, 2.5, 2.5: rho = -1.5 / sqrt(2 * 1.5) = -0.87.
    assert analysis.findings[-1] == (
        "Olson-Zeckhauser (do the larger allies carry more relative to their size?): "
        "Spearman rank correlation of GDP share and cost share -0.50: the larger allies "
        "tend to have a lower share of the cost; of GDP and burden index (cost share / GDP "
        "share) -0.87: the larger allies tend to have a lower burden index, the opposite of "
        "what Olson and Zeckhauser predict (the smaller allies carry more relative to their "
        "size).")


def test_olson_zeckhauser_says_what_each_sign_means() -> None:
    assert olson_zeckhauser(1.0, 1.0).endswith(
        "and cost share +1.00: the larger the ally, the higher its share of the cost; of "
        "GDP and burden index (cost share / GDP share) +1.00: the larger the ally, the "
        "higher its burden index, as Olson and Zeckhauser predict.")
    assert olson_zeckhauser(None, 0.0).endswith(
        "and cost share undefined (a constant side); of GDP and burden index (cost share "
        "/ GDP share) +0.00, so size and its burden index are not ranked together.")


US_FLOOR_AND_CAP = [
    {"name": "us_floor", "kind": "retain_at_home", "country": "USA", "task": "isr",
     "region": "japan", "value": 1, "sentence": "The US delivers 1 ISR.", "source": "test"},
    {"name": "us_cap", "kind": "share_cap", "country": "USA", "of": "cost", "value": 0.5,
     "sentence": "The US pays at most half.", "source": "test"}]


def test_a_share_cap_is_set_aside_where_it_cannot_apply(tmp_path: Path) -> None:
    # 4 ISR at 100 a unit short; USA must deliver 1 and pay at most half of its coalition's
    # cost; KOR's only pool does ASW, which nobody needs, so KOR can spend nothing. By hand:
    # c(UJK) = c(UJ) = 3 JPN drones (6) + 1 US drone (5) = 11, the US paying 5 <= 5.5;
    # c(U) = 20: alone the cap would leave it nothing to spend against its floor, so it is
    # set aside; c(UK) = 20: KOR cannot spend, the cap cannot hold with the floor, so it
    # is set aside too; c(J) = c(JK) = 6 + 100; c(K) = 400.
    instance = toy(tmp_path, {"USA": [drone(5, 10)], "JPN": [drone(2, 3)],
                              "KOR": [drone(3, 2, "asw")]}, [isr(4)], US_FLOOR_AND_CAP)
    analysis = fairness(instance, HERE)
    games = analysis.tables["coalitions"].set_index("coalition")
    assert games["cost"].to_dict() == pytest.approx({
        "USA": 20, "JPN": 106, "KOR": 400, "USA+JPN": 11, "USA+KOR": 20, "JPN+KOR": 106,
        "USA+JPN+KOR": 11})
    assert games["set_aside"].to_dict() == {
        "USA": "us_cap", "JPN": "", "KOR": "", "USA+JPN": "", "USA+KOR": "us_cap",
        "JPN+KOR": "", "USA+JPN+KOR": ""}
    assert ("USA: us_cap set aside for its value (alone, an ally carries all of its own "
            "effort).") in analysis.findings
    assert ("USA+KOR: us_cap set aside for its value (its members cannot meet them together "
            "with their other policies).") in analysis.findings


def test_fairness_of_the_shipped_burden_shifting_mission(tmp_path: Path) -> None:
    """The US caps its share of cost at 15% and keeps a division in Korea: alone, the cap
    is set aside, and the analysis runs (it stopped with 'coalition USA has no plan')."""
    result = run_planner("analyze", "fairness", "burden-shifting", "--no-save", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("USA: us_cost_share_cap set aside for its value (alone, an ally carries all "
            "of its own effort).") in " ".join(result.stdout.split())


def test_shapley_and_nucleolus_of_the_glove_game() -> None:
    # One left glove (L), two right gloves: a pair is worth 1. Shapley (2/3, 1/6, 1/6);
    # nucleolus (1, 0, 0). As a cost game (the negative of the worth), the same negated.
    allies = ["L", "R1", "R2"]
    worth = {frozenset(c): float("L" in c and len(c) > 1) for c in coalitions(allies)}
    assert shapley(allies, worth) == pytest.approx({"L": 2 / 3, "R1": 1 / 6, "R2": 1 / 6})
    split, least = nucleolus(allies, {s: -w for s, w in worth.items()})
    assert split == pytest.approx({"L": -1, "R1": 0, "R2": 0}, abs=1e-9)
    assert least == pytest.approx(0, abs=1e-9)


def test_coalition_values_equal_missions_that_leave_allies_out(tmp_path: Path) -> None:
    """Switching allies off in place gives what a mission naming only the others gives."""
    analysis = fairness(pipeline.prepare("baseline"), HERE)
    values = analysis.tables["coalitions"].set_index("coalition")["cost"]
    plan = pipeline.solve("baseline")  # the plan's split is planner solve's plan
    paid = analysis.tables["shares"].set_index("ally")["plan_cost"]
    assert paid.to_dict() == pytest.approx({c.country: c.cost_borne for c in plan.countries})
    for coalition in ("USA", "JPN+KOR", "USA+KOR"):
        mission = tmp_path / f"{coalition}.yaml"
        shutil.copy(REPO / "missions" / "baseline.yaml", tmp_path)  # extends stays inside
        mission.write_text("name: only\nextends: baseline\n"
                           f"countries: [{', '.join(coalition.split('+'))}]\n",
                           encoding="utf-8")
        assert pipeline.solve(mission).objective == pytest.approx(values[coalition], rel=1e-9)


def test_a_process_pool_and_dask_give_what_one_process_gives(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    instance = toy(tmp_path, GAME, [isr(4)])
    here = fairness(instance, HERE)
    pool = fairness(instance, Execution(workers=2, progress=False))
    assert pool.facts["ran_on"] == "2 local processes"
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as cl:
        dask = fairness(instance, Execution(scheduler=cl.scheduler_address, progress=False))
    assert dask.facts["ran_on"].startswith("Dask at")
    for other in (pool, dask):
        for name, table in here.tables.items():
            assert other.tables[name].equals(table), name


def test_analyze_from_the_command_line(tmp_path: Path) -> None:
    result = run_planner("analyze", "fairness", "baseline", "--out", "fair", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "The plan's split lies in the core" in result.stdout
    assert {p.name for p in (tmp_path / "fair").iterdir()} == {
        ".planner-manifest.json", "analysis.json", "shares.csv", "coalitions.csv"}
    # reproducible like a plan: the same input digest and versions as plan.json records
    saved = json.loads((tmp_path / "fair" / "analysis.json").read_text(encoding="utf-8"))
    assert run_planner("solve", "baseline", "--out", "plan", cwd=tmp_path).returncode == 0
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert saved["input_digest"] == plan["input_digest"] and len(saved["input_digest"]) == 64
    assert saved["versions"] == plan["versions"]
    assert load_analysis(tmp_path / "fair").input_digest == plan["input_digest"]
    again = run_planner("analyze", "fairness", "baseline", "--out", "fair", cwd=tmp_path)
    assert again.returncode == 2 and "already holds an analysis" in again.stderr
    for name in ("fair.html", "fair.md"):
        report = run_planner("report", "fair", "--out", name, "--format",
                             name.split(".")[1], cwd=tmp_path)
        assert report.returncode == 0, report.stderr
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "Fair shares of baseline" in text and "Olson-Zeckhauser" in text
    result = run_planner("analyze", "resilience", "taiwan-contingency", "--robust",
                         "--no-save", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Without USA the mission costs" in result.stdout
    assert "Robust plan" in result.stdout


def test_us_share_front_ends_at_the_two_single_objective_optima(tmp_path: Path) -> None:
    # 4 ISR: USA at 2 a unit, JPN at 5. Least cost: USA does all (8, share 1). Least US
    # share: JPN does all (20, share 0). Between, with share cap e: USA u = 20e / (2 + 3e)
    # units, cost 20 - 3u; at e = 1/2, 80/7.
    instance = toy(tmp_path, {"USA": [drone(2, 10)], "JPN": [drone(5, 10)]}, [isr(4)])
    analysis = share_front(instance, HERE, points=3)
    front = analysis.tables["front"]
    assert list(front["us_share"]) == pytest.approx([0, 0.5, 1])
    assert list(front["objective"]) == pytest.approx([20, 80 / 7, 8])
    assert analysis.facts["least_cost"] == pytest.approx(8)
    assert "front" in analysis.charts and analysis.charts["front"].lstrip().startswith("<")


def test_persistence_front_from_an_agreed_plan(tmp_path: Path) -> None:
    # Agreed: USA does the 4 ISR (at 2). Now USA costs 10 a unit: least cost moves all 4 to
    # JPN (20, 8 units moved: 4 off USA, 4 onto JPN); keeping the agreed plan costs 40.
    from planner.reports.output import save_plan
    from planner.results.saved import load_agreed

    agreed = toy(tmp_path / "agreed", {"USA": [drone(2, 10)], "JPN": [drone(5, 10)]},
                 [isr(4)])
    save_plan(pipeline.solve_instance(agreed), tmp_path / "agreed_plan")
    now = toy(tmp_path / "now", {"USA": [drone(10, 10)], "JPN": [drone(5, 10)]}, [isr(4)])
    analysis = persistence_front(now, HERE, points=3,
                                 agreed=load_agreed(tmp_path / "agreed_plan"))
    front = analysis.tables["front"]
    assert list(front["units_moved"]) == pytest.approx([0, 4, 8], abs=1e-6)
    assert list(front["objective"]) == pytest.approx([40, 30, 20])


def test_pareto_from_the_command_line(tmp_path: Path) -> None:
    result = run_planner("analyze", "pareto", "baseline", "--points", "3", "--out", "front",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Least-cost plan: 5,577.9" in result.stdout
    assert {p.name for p in (tmp_path / "front").iterdir()} == {
        ".planner-manifest.json", "analysis.json", "front.csv", "front.svg"}
    missing = run_planner("analyze", "pareto", "--against", "persistence", "--no-save",
                          cwd=tmp_path)
    assert missing.returncode == 2 and "--plan" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_sweep_probed_here_and_finished_on_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default the first cases run here; slow ones send the rest to worker processes."""
    from planner.analyze import sweep as sweeping

    instance = pipeline.prepare("baseline")
    here = resilience(instance, HERE, pools=True)
    monkeypatch.setattr(sweeping, "POOL_WORTH", 0.0)  # any remaining work is worth a pool
    monkeypatch.setattr(sweeping.os, "cpu_count", lambda: 2)
    probed = resilience(instance, Execution(progress=False), pools=True)
    assert probed.facts["ran_on"] == "this process (8 cases) and 2 local processes"
    columns = ["what", "name", "objective", "criticality"]
    assert probed.tables["criticality"][columns].equals(here.tables["criticality"][columns])


def test_resilience_is_the_same_whatever_the_workers() -> None:
    """Every case starts from the basis of the model as built, so ties between equally
    cheap plans break the same way in one process and on a pool."""
    instance = pipeline.prepare("five-allies")
    here = resilience(instance, HERE, pools=True, links=True)
    pool = resilience(instance, Execution(workers=2, progress=False), pools=True, links=True)
    assert pool.tables["criticality"].equals(here.tables["criticality"])


def test_a_mission_without_a_plan_is_an_error_line_for_every_analysis(tmp_path: Path) -> None:
    mission = tmp_path / "clash.yaml"
    shutil.copy(REPO / "missions" / "baseline.yaml", tmp_path)
    mission.write_text(
        "name: clash\nextends: baseline\n"
        "policies:\n  - {name: kor_hold_the_peninsula, kind: retain_at_home, country: KOR,\n"
        "     task: ground_deterrence, region: korean_peninsula, value: 500, sentence: x,\n"
        "     source: test}\n", encoding="utf-8")  # more divisions than Korea has
    assert run_planner("solve", str(mission), "--no-save", cwd=tmp_path).returncode == 1
    for kind in ("resilience", "fairness", "pareto"):
        result = run_planner("analyze", kind, str(mission), "--no-save", cwd=tmp_path)
        assert result.returncode == 2, (kind, result.stderr)
        assert result.stderr.startswith("error:") and "Traceback" not in result.stderr, kind


def test_a_damaged_agreed_plan_is_located(tmp_path: Path) -> None:
    assert run_planner("solve", "--out", "agreed", cwd=tmp_path).returncode == 0
    table = tmp_path / "agreed" / "allocations.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    units = head.index("units")
    broken = lines[1].split(",")
    broken[units] = "abc"
    table.write_text("\n".join([lines[0], ",".join(broken), lines[2], lines[2]]) + "\n",
                     encoding="utf-8")
    result = run_planner("analyze", "pareto", "--against", "persistence", "--plan", "agreed",
                         "--no-save", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "row 2" in result.stderr and "'abc' is not a number of units" in result.stderr
    assert "row 4" in result.stderr and "listed twice" in result.stderr


def test_a_us_share_front_without_the_us_names_the_missions_countries(tmp_path: Path) -> None:
    mission = tmp_path / "no-us.yaml"
    shutil.copy(REPO / "missions" / "baseline.yaml", tmp_path)
    mission.write_text("name: no_us\nextends: baseline\n"
                       "countries: [JPN, KOR]\n", encoding="utf-8")
    result = run_planner("analyze", "pareto", str(mission), "--no-save", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no-us.yaml" in result.stderr and "countries" in result.stderr
    assert "USA does not take part" in result.stderr


@pytest.mark.parametrize("tables", [{}, {"empty": []}, {
    "costs": [{"draw": 0, "cost": 1.5, "note": "a \u0000 b \"q\"", "gone": None}],
    "other": [{"a": [1, 2]}, {"a": []}]}])
def test_analysis_text_reads_back_as_the_document(tables: dict) -> None:
    """analysis.json's text (a row per line, written with the C encoder) parses to exactly
    the document, whatever its tables hold, and is indented like json.dumps(indent=2)
    outside them."""
    from planner.analyze.results import analysis_text

    document = {"kind": "k", "facts": {"tables": "\u0000", "x": 1.0}, "tables": tables,
                "charts": []}
    text = analysis_text(document)
    assert json.loads(text) == document
    assert text.startswith('{\n  "kind": "k",\n  "facts": {\n')
