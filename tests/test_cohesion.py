"""Cohesion and asset specificity (issue 18, item 4): common platforms' share of the plan,
the links it relies on, each ally's dependence on another's yards, by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner import pipeline
from planner.errors import InputError

from .conftest import run_planner, write_mission, write_tiny

PLATFORMS = ("country,pool,platform,production,source\n"
             "USA,ddg,aegis,common,test\nJPN,aegis,aegis,common,test\n")


def allies(root: Path, platforms: str = PLATFORMS) -> Path:
    """USA: two destroyers at 10 (sea control, Japan and the rear); JPN (home: japan): one
    Aegis ship at 8 (sea control in Japan) and a yard of two overhauls at 12, which the US
    pays for (cost_bearers.csv). Both destroyer pools are Aegis."""
    data = write_tiny(root, {"USA": (8, 9), "JPN": (2, 1)}, ["sea_control", "ship_mro"],
                      ["japan", "rear"], ["conflict"],
                      {"USA": [dict(pool="ddg", quantity=2, readiness=1, cost_per_unit=10,
                                    regions="japan;rear", sea_control=1)],
                       "JPN": [dict(pool="aegis", quantity=1, readiness=1, cost_per_unit=8,
                                    regions="japan", sea_control=1),
                               dict(pool="yard", quantity=2, readiness=1, cost_per_unit=12,
                                    regions="japan", ship_mro=1)]},
                      homes={"JPN": "japan"})
    (data / "cost_bearers.csv").write_text(
        "country,pool,task,region,bearer,share,source\nJPN,yard,ship_mro,*,USA,1,test\n",
        encoding="utf-8")
    (data / "platforms.csv").write_text(platforms, encoding="utf-8")
    return data


def mission(path: Path) -> Path:
    return write_mission(path, name="cohesion", phases=["conflict"], policies=[
        dict(name="us_japan", kind="link", country="USA", partner="JPN", task="sea_control",
             sentence="The US and Japan work together on sea control.", source="test")],
        requirements=[
        dict(task="sea_control", region="japan", phase="conflict", amount=2, penalty=1000),
        dict(task="sea_control", region="rear", phase="conflict", amount=1, penalty=1000),
        dict(task="ship_mro", region="japan", phase="conflict", amount=2, penalty=1000)])


def test_platform_share_links_and_dependence_by_hand(tmp_path: Path) -> None:
    """Sea control: Japan's Aegis ship (8) and one US destroyer (10) in Japan, the other US
    destroyer (10) in the rear; two overhauls in Japan's yard (2 x 12 = 24): 52 in all.
    The Aegis pools carry 8 + 10 + 10 = 28 of 52 (53.8462%) and all 3 units of sea
    control. The US destroyer in Japan (Japan's home region) works under the us_japan
    link: the plan relies on it for 10. The US pays the 24 of Japan's yard work: its
    dependence on Japan's yards."""
    plan = pipeline.solve(mission(tmp_path / "m.yaml"), allies(tmp_path / "data"))
    assert plan.objective == pytest.approx(52)
    cohesion = plan.cohesion
    assert cohesion is not None
    assert cohesion.platform_cost_share == pytest.approx(28 / 52, abs=1e-6)
    (aegis,) = cohesion.platforms
    assert (aegis.platform, aegis.allies, aegis.used_by, aegis.cost) == (
        "aegis", ["JPN", "USA"], ["JPN", "USA"], pytest.approx(28))
    assert [(t.task, t.delivered, t.share) for t in aegis.tasks] == [
        ("sea_control", pytest.approx(3), pytest.approx(1))]
    (link,) = cohesion.links
    assert (link.link, link.in_force, link.relies, link.cost, link.allocations) == (
        "us_japan", True, True, pytest.approx(10), 1)
    assert [(d.payer, d.provider, d.pool, d.cost) for d in cohesion.dependence] == [
        ("USA", "JPN", "yard", pytest.approx(24))]
    assert cohesion.shipments == []


def test_cohesion_in_solve_output_plan_json_and_compare(tmp_path: Path) -> None:
    """The user sees the measures: planner solve prints them, plan.json holds them, and
    planner compare sets them side by side."""
    data, path = allies(tmp_path / "data"), mission(tmp_path / "m.yaml")
    done = run_planner("solve", str(path), "--data", str(data), "--out", "plans/one",
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Common or co-produced platforms carry 53.8% of the employment cost" in done.stdout
    assert "Links the plan relies on: us_japan." in done.stdout
    assert "USA on JPN 24.0 USD m" in done.stdout
    saved = json.loads((tmp_path / "plans/one/plan.json").read_text(encoding="utf-8"))
    assert saved["cohesion"]["platform_cost_share"] == pytest.approx(28 / 52, abs=1e-6)
    compared = run_planner("compare", "plans/one", "plans/one", "--format", "md", "--out",
                           "both.md", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    text = (tmp_path / "both.md").read_text(encoding="utf-8")
    assert "## Cohesion and asset specificity" in text
    assert "| cohesion | 53.8% | us_japan | 24.0 | 0 |" in text
    reported = run_planner("report", "plans/one", "--format", "md", "--out", "one.md",
                           cwd=tmp_path)
    assert reported.returncode == 0, reported.stderr
    text = (tmp_path / "one.md").read_text(encoding="utf-8")
    assert "Common or co-produced platforms carry 53.8% of the employment cost" in text
    assert "| aegis | JPN, USA | common | JPN, USA | 28.0 | 53.8% | sea_control 100.0% |" in text


def test_bad_platform_rows_are_located(tmp_path: Path) -> None:
    data = allies(tmp_path / "data", PLATFORMS + "JPN,ships,aegis,shared,\n")
    with pytest.raises(InputError) as caught:
        pipeline.prepare(str(mission(tmp_path / "m.yaml")), data)
    found = {(p.row, p.column): p.message for p in caught.value.problems}
    assert found == {(4, "pool"): "JPN has no pool 'ships'",
                     (4, "production"): "'shared' is not common or co-produced",
                     (4, "source"): "the source is blank"}


def test_shipped_missions_mark_platforms_and_ship_stocks() -> None:
    """On the shipped tables: the baseline's common platforms are Aegis, P-8 and PAC-3 (no
    F-35 force is in the tables), its plan relies on both US alliances, and the US bears
    the Korean and Japanese yard work on its ships (129.0 and 86.4 USD m, the cost borne
    less the cost provided in its burden table); in taiwan-sustainment, the interceptors
    Japan ships to the US are the plan's transfers between the two."""
    plan = pipeline.solve("baseline")
    cohesion = plan.cohesion
    assert cohesion is not None
    assert [p.platform for p in cohesion.platforms] == ["aegis", "p8", "pac3"]
    assert {"us_japan_alliance", "us_korea_alliance"} <= {u.link for u in cohesion.links
                                                         if u.relies}
    paid = {(d.payer, d.provider): 0.0 for d in cohesion.dependence}
    for d in cohesion.dependence:
        paid[(d.payer, d.provider)] += d.cost
    assert paid == {("USA", "JPN"): pytest.approx(86.4), ("USA", "KOR"): pytest.approx(129.0)}
    us = next(c for c in plan.countries if c.country == "USA")
    assert us.cost_borne - us.cost == pytest.approx(sum(paid.values()))

    sustained = pipeline.solve("taiwan-sustainment")
    shipped = sum(t.amount for t in sustained.transfers if t.supplier != t.recipient)
    assert shipped > 0
    assert sum(s.amount for s in sustained.cohesion.shipments) == pytest.approx(shipped)
