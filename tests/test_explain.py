"""`planner explain` on tiny missions whose prices, ranges, worths and conflicts were worked
out by hand. Each case is built to be non-degenerate, so its duals are unique."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import pipeline
from planner.analyze.resilience import resilience
from planner.analyze.sweep import Execution
from planner.results import explain

from .conftest import run_planner, write_mission, write_tiny

FLAGS = {"gsomia": {"values": ["active", "suspended"], "default": "active",
                    "description": "test flag", "source": "test"}}
LINK = {"name": "jk", "kind": "link", "country": "JPN", "partner": "KOR", "task": "isr",
        "active_when": {"gsomia": "active"}, "sentence": "Japan and Korea share ISR.",
        "source": "test"}


def tiny(tmp_path: Path, amount: float = 4, policies: list[dict[str, Any]] | None = None,
         standing: list[dict[str, Any]] | None = None, **mission: Any) -> tuple[Path, Path]:
    """ISR in Japan from three drone pools: USA 10 at 5, JPN 10 at 2, KOR 2.5 at 1 (each
    delivers 1); penalty 100. For 4 required: KOR 2.5 + JPN 1.5 = 5.5."""
    data = write_tiny(
        tmp_path / "data", {"USA": (3, 3), "JPN": (1, 1), "KOR": (1, 1)}, ["isr"],
        ["japan", "korean_peninsula"], ["crisis"],
        {"USA": [dict(pool="drone", quantity=10, readiness=1, cost_per_unit=5, regions="*",
                      isr=1)],
         "JPN": [dict(pool="drone", quantity=10, readiness=1, cost_per_unit=2, regions="*",
                      isr=1)],
         "KOR": [dict(pool="drone", quantity=2.5, readiness=1, cost_per_unit=1, regions="*",
                      isr=1)]},
        homes={"JPN": "japan", "KOR": "korean_peninsula"})
    (data / "policies.yaml").write_text(
        yaml.safe_dump({"flags": FLAGS, "policies": standing or []}), encoding="utf-8")
    path = write_mission(tmp_path / "m.yaml", name="tiny", phases=["crisis"],
                         requirements=[dict(task="isr", region="japan", phase="crisis",
                                            amount=amount, penalty=100)],
                         policies=policies or [], **mission)
    return path, data


def explained(path: Path, data: Path, **settings: str) -> explain.Explanation:
    return explain.explain(pipeline.prepare(path, data, settings))[1]


def ranges(items: list[explain.Range]) -> dict[str, tuple[float | None, float | None]]:
    return {r.name: (r.low, r.high) for r in items}


def test_prices_and_ranges_by_hand(tmp_path: Path) -> None:
    e = explained(*tiny(tmp_path))
    assert e.objective == pytest.approx(5.5)
    # KOR's pool binds: one more KOR unit replaces a JPN unit, saving 2 - 1.
    assert [(p.country, p.pool, p.saving) for p in e.pools] == [("KOR", "drone", 1.0)]
    # one more unit required is bought from JPN at 2
    assert [(r.task, r.marginal_cost) for r in e.requirements] == [("isr", 2.0)]
    assert [b.name for b in e.binding] == ["pool[KOR,drone,crisis]", "cover[isr,japan,crisis]"]
    # JPN stays the marginal supplier while its cost is between KOR's (1) and USA's (5);
    # KOR stays at capacity for any cost below JPN's.
    assert ranges(e.cost_ranges) == {"units[JPN,drone,isr,japan,crisis]": (1.0, 5.0),
                                     "units[KOR,drone,isr,japan,crisis]": (None, 2.0)}
    # the requirement keeps price 2 between KOR's 2.5 and KOR + JPN = 12.5;
    # KOR's capacity keeps its price until it covers all 4.
    assert ranges(e.rhs_ranges) == {"pool[KOR,drone,crisis]": (0.0, 4.0),
                                    "cover[isr,japan,crisis]": (2.5, 12.5)}
    assert e.conflict is None and e.shortfalls == []


def test_what_a_link_is_worth_both_ways(tmp_path: Path) -> None:
    path, data = tiny(tmp_path, standing=[LINK])
    active = explained(path, data)
    [worth] = active.policies
    # off: KOR cannot serve Japan, JPN delivers 4 at 2 = 8, against 5.5
    # as it stands the link saves 2.5: its cost is -2.5 (positive costs, negative saves)
    assert (worth.name, worth.in_force, worth.cost) == ("jk", True, pytest.approx(-2.5))
    suspended = explained(path, data, gsomia="suspended")
    [worth] = suspended.policies
    assert (worth.in_force, worth.objective_now, worth.cost) == (False, 8, 2.5)


KOR_IN_JAPAN = {"name": "kor_in_japan", "kind": "retain_at_home", "country": "KOR",
                "task": "isr", "region": "japan", "value": 2, "depends_on": ["jk"],
                "sentence": "Korea keeps 2 ISR in Japan while the link holds.",
                "source": "test"}


def test_switching_a_link_off_sets_aside_the_policies_that_depend_on_it(
        tmp_path: Path) -> None:
    # With the link, KOR 2.5 + JPN 1.5 = 5.5 (KOR's floor of 2 in Japan holds). Off, KOR may
    # not work in Japan and its floor, which exists by the link, goes with it: JPN 4 at 2
    # = 8. Without depends_on, switching the link off left no feasible plan.
    path, data = tiny(tmp_path, policies=[KOR_IN_JAPAN], standing=[LINK])
    [worth] = [w for w in explained(path, data).policies if w.kind == "link"]
    assert (worth.name, worth.in_force, worth.objective_switched, -worth.cost) == (
        "jk", True, pytest.approx(8), pytest.approx(2.5))
    assert worth.depend_on_it == ["kor_in_japan"]
    # the flags switch the link off: the floor is not in force, and switching the link on
    # brings it back
    suspended = pipeline.prepare(path, data, {"gsomia": "suspended"})
    assert "kor_in_japan" not in [p.name for p in suspended.policies]
    [worth] = [w for w in explained(path, data, gsomia="suspended").policies
               if w.kind == "link"]
    assert (worth.in_force, worth.objective_now, worth.cost) == (False, 8, 2.5)
    # resilience cuts the link the same way: a finite criticality, not 'no plan'
    analysis = resilience(pipeline.prepare(path, data), Execution(workers=1, progress=False),
                          links=True)
    row = analysis.tables["criticality"].set_index("name").loc["jk"]
    assert row["criticality"] == pytest.approx(2.5)
    printed = run_planner("explain", str(path), "--data", str(data), "--no-save",
                          cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert ("jk: active; costs -2.5 USD m: it saves 2.5 (switched off, the objective would "
            "rise by 2.5); off, it takes kor_in_japan with it") in " ".join(printed.stdout.split())


def test_what_a_policy_costs(tmp_path: Path) -> None:
    forbid = {"name": "no_jpn", "kind": "forbid", "country": "JPN", "task": "isr",
              "sentence": "No JPN ISR.", "source": "test"}
    e = explained(*tiny(tmp_path, policies=[forbid]))
    # KOR 2.5 at 1 + USA 1.5 at 5 = 10 against 5.5 without the policy
    assert e.objective == pytest.approx(10)
    [worth] = e.policies
    assert (worth.name, worth.cost) == ("no_jpn", pytest.approx(4.5))


def test_shortfall_traced_to_exhausted_pools_and_policies(tmp_path: Path) -> None:
    forbid = {"name": "no_kor", "kind": "forbid", "country": "KOR", "task": "isr",
              "sentence": "No KOR ISR.", "source": "test"}
    path, data = tiny(tmp_path, amount=25, policies=[forbid])
    e = explained(path, data)
    [trace] = e.shortfalls
    assert trace.shortfall == pytest.approx(5)  # 25 - USA 10 - JPN 10
    reasons = {(b.country, b.reason) for b in trace.blockers}
    assert reasons == {("USA", "exhausted"), ("JPN", "exhausted"), ("KOR", "policy")}
    kor = next(b for b in trace.blockers if b.country == "KOR")
    assert "policy[no_kor]" in kor.detail
    assert trace.incapable == []
    printed = run_planner("explain", str(path), "--data", str(data), "--no-save",
                          cwd=tmp_path)
    assert printed.returncode == 1  # short
    assert "KOR drone: held back by policy[no_kor]" in printed.stdout


def test_two_clashing_policies_are_the_conflict(tmp_path: Path) -> None:
    keep = {"name": "jpn_keeps_isr", "kind": "retain_at_home", "country": "JPN",
            "task": "isr", "region": "japan", "value": 3, "sentence": "JPN keeps 3 ISR.",
            "source": "law A"}
    forbid = {"name": "no_jpn", "kind": "forbid", "country": "JPN", "task": "isr",
              "sentence": "No JPN ISR.", "source": "law B"}
    harmless = {"name": "usa_budget", "kind": "budget_cap", "country": "USA", "value": 100,
                "sentence": "USA spends at most 100.", "source": "law C"}
    path, data = tiny(tmp_path, policies=[harmless, keep, forbid])
    e = explained(path, data)
    assert e.status == "infeasible" and e.conflict is not None
    assert e.conflict.policies == ["jpn_keeps_isr", "no_jpn"]
    assert e.conflict.sources == {"jpn_keeps_isr": "law A", "no_jpn": "law B"}
    # either JPN keeps 3 units less, or the ban lets 3 through: 3 in total
    assert sum(r.by for r in e.conflict.relaxation) == pytest.approx(3)

    result = run_planner("explain", str(path), "--data", str(data), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "cannot hold together" in result.stdout
    assert "jpn_keeps_isr" in result.stdout and "law B" in result.stdout
    assert "usa_budget" not in result.stdout.split("cannot hold together")[1]


def test_integer_mission_says_its_duals_come_from_the_fixed_lp(tmp_path: Path) -> None:
    e = explained(*tiny(tmp_path, integer_units=True))
    # KOR 2 whole units at 1 + JPN 2 at 2
    assert e.objective == pytest.approx(6)
    assert e.problem_class == "MIP" and e.duals_from == "fixed_lp"
    assert "fixed" in e.note


def test_json_format_for_scripts(tmp_path: Path) -> None:
    path, data = tiny(tmp_path)
    result = run_planner("explain", str(path), "--data", str(data), "--format", "json",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["objective"] == 5.5
    saved = json.loads((tmp_path / "plans" / "tiny" / "plan.json").read_text(encoding="utf-8"))
    assert saved["explanation"] == document  # the same content in the plan folder
    assert document["rhs_ranges"][1] == {"name": "cover[isr,japan,crisis]", "value": 4.0,
                                         "low": 2.5, "high": 12.5}
    bad = run_planner("explain", str(path), "--data", str(data), "--format", "xml",
                      cwd=tmp_path)
    assert bad.returncode == 2 and "unknown format" in bad.stderr


def test_explain_taiwan_contingency_prices_japans_threshold() -> None:
    e = explain.explain(pipeline.prepare("taiwan-contingency"))[1]
    worth = {w.name: w for w in e.policies}
    assert worth["jpn_no_force_abroad"].cost is not None
    assert worth["jpn_no_force_abroad"].cost > 0  # the threshold costs the alliance
    assert worth["japan_korea_intelligence"].in_force
    assert e.shortfalls  # the contingency leaves requirements short, each traced
    assert all(t.blockers or t.incapable for t in e.shortfalls)


def test_the_us_korea_alliance_is_priced_in_the_baseline() -> None:
    """The USFK floor exists by the alliance (depends_on in capabilities/policies.yaml), so
    switching the alliance off sets it aside and the link gets a finite worth."""
    worth = {w.name: w for w in explain.explain(pipeline.prepare("baseline"))[1].policies}
    alliance = worth["us_korea_alliance"]
    assert alliance.in_force and alliance.cost is not None and alliance.cost < 0  # it saves
    assert alliance.depend_on_it == ["usfk_stays_on_peninsula"]
    assert worth["us_japan_alliance"].depend_on_it == []


def test_mip_prices_a_policy_that_is_not_tight(tmp_path: Path) -> None:
    """5 ISR in whole units: KOR 2 at 1 + JPN 3 at 2 = 8. A JPN budget of 5 allows 2 JPN
    units, so USA adds 1 at 5: 11. The budget row keeps a slack of 1, yet the policy costs
    3; in a MIP it must be found by re-solving."""
    budget = {"name": "jpn_budget", "kind": "budget_cap", "country": "JPN", "value": 5,
              "sentence": "JPN spends at most 5.", "source": "test"}
    e = explained(*tiny(tmp_path, amount=5, policies=[budget], integer_units=True))
    assert e.objective == pytest.approx(11)
    cost = {w.name: w.cost for w in e.policies}
    assert cost["jpn_budget"] == pytest.approx(3)


def test_a_cap_does_not_blame_the_countries_it_pushes_up(tmp_path: Path) -> None:
    """USA may deliver at most 20% of the ISR: with 20 required, JPN (10) and KOR (2.5) are
    exhausted and USA is held back by the cap; JPN and KOR are not 'held back'."""
    cap = {"name": "usa_cap", "kind": "share_cap", "country": "USA", "task": "isr",
           "value": 0.2, "sentence": "USA delivers at most 20%.", "source": "test"}
    e = explained(*tiny(tmp_path, amount=20, policies=[cap]))
    [trace] = e.shortfalls
    assert {(b.country, b.reason) for b in trace.blockers} == {
        ("USA", "policy"), ("JPN", "exhausted"), ("KOR", "exhausted")}


def test_markup_in_a_description_is_printed_verbatim(tmp_path: Path) -> None:
    path, data = tiny(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "description: test mission", "description: '[bold]Plan[/bold] for [/red] ISR'")
    path.write_text(text, encoding="utf-8")
    result = run_planner("solve", str(path), "--data", str(data), "--no-save", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[bold]Plan[/bold] for [/red] ISR" in result.stdout
