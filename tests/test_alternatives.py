"""Near-optimal alternatives on a two-country toy whose ranges are derived by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner import pipeline
from planner.analyze.alternatives import alternatives
from planner.analyze.sweep import Execution

from .conftest import run_planner, write_mission, write_tiny


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    """One task in one region and phase, 10 units required. AAA: 6 units at 2 each; BBB: 8
    at 5 each; each unit delivers 1. Least cost: a = 6, b = 4, cost 32."""
    data = write_tiny(tmp_path / "capabilities", {"AAA": (100, 10), "BBB": (300, 30)},
                      ["patrol"], ["sea"], ["peace"], {
                          "AAA": [{"pool": "ships", "quantity": 6, "readiness": 1,
                                   "cost_per_unit": 2, "regions": "sea", "patrol": 1}],
                          "BBB": [{"pool": "ships", "quantity": 8, "readiness": 1,
                                   "cost_per_unit": 5, "regions": "sea", "patrol": 1}]})
    write_mission(tmp_path / "toy.yaml", name="toy", phases=["peace"],
                  requirements=[{"task": "patrol", "region": "sea", "phase": "peace",
                                 "amount": 10}])
    return data


def test_ranges_within_a_quarter_of_the_least_cost(toy: Path) -> None:
    """Slack 25%: 2a + 5b + 1000s <= 40 with a + b + s >= 10, a <= 6, b <= 8, s the
    shortfall. The slack buys a sliver of shortfall: with a = 6, BBB delivers at least the b
    with 12 + 5b + 1000(4 - b) = 40, b = 3972/995. It delivers at most the b with
    2(10 - b) + 5b = 40, b = 20/3 (a shortfall never beats a unit of AAA at 2), so AAA
    delivers at least 10/3 and at most 6. BBB's share of employment cost 5b / (2a + 5b)
    rises with b and falls with a: least at a = 6, b = 3972/995, most at a = 10/3,
    b = 20/3, (100/3) / 40 = 5/6. Both parts are essential."""
    b_least = 3972 / 995
    instance = pipeline.prepare(toy.parent / "toy.yaml", toy)
    result = alternatives(instance, Execution(workers=1), slack=0.25)
    ranges = result.tables["ranges"].set_index("country")
    assert ranges.loc["BBB", "least"] == pytest.approx(b_least, abs=1e-6)
    assert ranges.loc["BBB", "most"] == pytest.approx(20 / 3, abs=1e-6)
    assert ranges.loc["AAA", "least"] == pytest.approx(10 / 3, abs=1e-6)
    assert ranges.loc["AAA", "most"] == pytest.approx(6.0)
    assert ranges.loc["BBB", "least_cost_plan"] == pytest.approx(4.0)
    assert set(ranges["status"]) == {"essential"}
    shares = result.tables["shares"].set_index("country")
    assert shares.loc["BBB", "least_cost_share"] == pytest.approx(
        5 * b_least / (12 + 5 * b_least), abs=1e-6)
    assert shares.loc["BBB", "most_cost_share"] == pytest.approx(5 / 6, abs=1e-6)
    assert shares.loc["AAA", "least_cost_share"] == pytest.approx(1 / 6, abs=1e-6)
    assert shares.loc["AAA", "most_cost_share"] == pytest.approx(
        12 / (12 + 5 * b_least), abs=1e-6)
    assert shares.loc["BBB", "least_cost_plan_share"] == pytest.approx(20 / 32)
    assert result.facts["cost_bound"] == pytest.approx(40.0)


def test_zero_slack_keeps_the_least_cost_plan_and_a_part_can_become_negotiable(
        toy: Path) -> None:
    """Slack 0: only the least-cost plan (unique here), so least = most. With AAA's cost
    raised to 5 both cost the same: any split with a <= 6, b <= 8, a + b = 10 is optimal,
    so AAA ranges over [2, 6] and BBB over [4, 8]; still both essential."""
    instance = pipeline.prepare(toy.parent / "toy.yaml", toy)
    ranges = alternatives(instance, Execution(workers=1), slack=0.0).tables["ranges"]
    assert (ranges["least"] - ranges["most"]).abs().max() < 1e-6
    (toy / "AAA.csv").write_text((toy / "AAA.csv").read_text().replace(",2,sea", ",5,sea"))
    instance = pipeline.prepare(toy.parent / "toy.yaml", toy)
    ranges = alternatives(instance, Execution(workers=1), slack=0.0).tables["ranges"]
    ranges = ranges.set_index("country")
    assert (ranges.loc["AAA", "least"], ranges.loc["AAA", "most"]) == pytest.approx((2, 6))
    assert (ranges.loc["BBB", "least"], ranges.loc["BBB", "most"]) == pytest.approx((4, 8))


def test_negotiable_part_on_the_shipped_baseline(tmp_path: Path) -> None:
    done = run_planner("analyze", "alternatives", "--slack", "5%", "--format", "json",
                       "--out", "alt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    analysis = json.loads(done.stdout)
    ranges = analysis["tables"]["ranges"]
    statuses = {r["status"] for r in ranges}
    assert statuses >= {"essential", "negotiable"}
    for row in ranges:
        assert row["least"] <= row["most"] + 1e-6
        assert row["least"] <= row["least_cost_plan"] + 1e-6 <= row["most"] + 2e-6
    for row in analysis["tables"]["shares"]:
        assert row["least_cost_share"] <= row["least_cost_plan_share"] + 1e-6
        assert row["least_cost_plan_share"] <= row["most_cost_share"] + 1e-6
    assert (tmp_path / "alt" / "ranges.svg").is_file()
    bad = run_planner("analyze", "alternatives", "--slack", "lots", "--no-save", cwd=tmp_path)
    assert bad.returncode == 2 and "is not a slack" in bad.stderr
