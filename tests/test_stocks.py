"""Periods and stocks on tiny missions checked by hand: objective, the day a stock runs out,
and the prices of more stock, more production and an earlier surge, each price checked
against a re-solve; then the shipped sustainment mission's effects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner import pipeline
from planner.errors import InputError
from planner.formulation.stocks import HOLD
from planner.results.plan import Plan
from planner.results.stocks import StockSummary
from tests.conftest import run_planner, write_mission, write_tiny

FLAGS = """flags:
  transfers:
    values: [open, closed]
    default: open
    description: whether the route is open
    source: test
policies: []
"""


def tables(root: Path, countries: tuple[str, ...] = ("USA",)) -> Path:
    """One task, one region, one phase; each country a pool of 4 fire units at 1 USD m per
    unit and phase, and a second pool that uses no stock (quantity 0 unless asked)."""
    data = write_tiny(root / "data", {c: (100, 10) for c in countries}, ["amd"], ["japan"],
                      ["conflict"], {c: [{"pool": "patriot", "quantity": 4, "readiness": 1,
                                          "cost_per_unit": 1, "regions": "japan", "amd": 1}]
                                     for c in countries})
    (data / "policies.yaml").write_text(FLAGS, encoding="utf-8")
    return data


def solve(root: Path, data: Path, **changes: Any) -> Plan:
    document: dict[str, Any] = {
        "name": "tiny", "phases": ["conflict"],
        "requirements": [{"task": "amd", "region": "japan", "phase": "conflict",
                          "amount": 4, "penalty": 30}],
        "periods": [{"phase": "conflict", "name": "p1", "days": 10},
                    {"phase": "conflict", "name": "p2", "days": 20}],
        "stocks": [{"country": "USA", "stock": "pac3", "opening": 60, "production": 1,
                    "per": "day", "source": "test"}],
        "uses": [{"country": "USA", "pool": "patriot", "task": "amd", "stock": "pac3",
                  "per_day": 2, "source": "test"}]}
    document.update(changes)
    return pipeline.solve(write_mission(root / "tiny.yaml", **document), data)


def stock(plan: Plan, country: str = "USA", name: str = "pac3") -> StockSummary:
    [found] = [s for s in plan.stocks if s.country == country and s.stock == name]
    return found


def test_a_stock_runs_out_and_prices_match_re_solves(tmp_path: Path) -> None:
    """Conflict of 30 days in two periods, p1 (days 1-10) and p2 (days 11-30). Four fire units
    cost 1 USD m per unit and phase (1/30 a unit-day); the requirement of 4 fire units
    costs 30 per unit short and phase (1 a unit-day). A fire unit fires 2 interceptors a day;
    the US holds 60 and produces 1 a day.

    p1 needs 4 x 2 x 10 = 80 and has 60 + 10 = 70: 3.5 units on station, 0.5 short, the
    stock empty at the end of p1: it runs out on day 10. p2 has only its production, 20: 0.5
    units, 3.5 short. (Keeping stock for p2 would cover the same unit-days and cost the
    holding tie-break, so the plan fires in p1.)

        employment  3.5 x 10/30 + 0.5 x 20/30          =  1.5
        penalty     0.5 x 30 x 10/30 + 3.5 x 30 x 20/30 = 75
        objective                                         76.5

    An interceptor covers half a unit-day, worth 1 - 1/30 = 29/30 net: its price is 29/60.
    One more a day of production adds 10 + 20 = 30 interceptors, 30 x 29/60 = 14.5; one more
    at the start 29/60. Re-solving with each change gives exactly these savings.
    """
    data = tables(tmp_path)
    plan = solve(tmp_path, data)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(76.5, abs=1e-9)
    assert plan.total_cost == pytest.approx(1.5)
    us = stock(plan)
    assert us.run_out_day == 10
    assert (us.produced, us.used, us.closing) == pytest.approx((30, 90, 0))
    assert us.price_opening == pytest.approx(29 / 60, abs=1e-8)
    assert us.price_production == pytest.approx(14.5, abs=1e-6)
    assert us.days_of_supply == pytest.approx(60 / 7)  # 60 at 3.5 x 2 a day
    stock_spec = {"country": "USA", "stock": "pac3", "production": 1, "per": "day",
                  "source": "test"}
    more_stock = solve(tmp_path, data, stocks=[{**stock_spec, "opening": 61}])
    assert plan.objective - more_stock.objective == pytest.approx(29 / 60, abs=1e-8)
    more_production = solve(tmp_path, data, stocks=[{**stock_spec, "opening": 60,
                                                     "production": 2}])
    assert plan.objective - more_production.objective == pytest.approx(14.5, abs=1e-8)
    assert [(s.empty, s.period) for s in plan.stock_periods] == [(True, "p1"), (True, "p2")]
    assert {(r.task, r.period, r.stock) for r in plan.stock_shortfalls} == {
        ("amd", "p1", "pac3"), ("amd", "p2", "pac3")}


def test_rates_per_month_and_year_are_converted_to_days(tmp_path: Path) -> None:
    """365 a year and 365/12 a month are one a day: the same plan as 1 a day (76.5)."""
    data = tables(tmp_path)
    for rate, per in ((365, "year"), (365 / 12, "month")):
        plan = solve(tmp_path, data, stocks=[{"country": "USA", "stock": "pac3",
                                              "opening": 60, "production": rate, "per": per,
                                              "source": "test"}])
        assert plan.objective == pytest.approx(76.5, abs=1e-9)


def test_the_price_of_an_earlier_surge_matches_a_re_solve(tmp_path: Path) -> None:
    """90 days in three periods of 30; one fire unit required (penalty 90 a phase: 1 a
    unit-day), one unit at no cost, firing 1 a day; no stock and no production, but a surge
    of half an interceptor a day from day 60.

    p1 and p2 are short all 30 days (60); p3 has 0.5 x 30 = 15 interceptors, 15 unit-days:
    15 short. Objective 75. An interceptor is worth a unit-day, 1 USD m, in every period.
    The surge 30 days earlier (from day 30) adds 15 in p2: price 15, and the re-solve
    with surge_after_days 30 costs 60.
    """
    data = tables(tmp_path)
    surge = {"country": "USA", "stock": "pac3", "opening": 0, "surge": 0.5, "per": "day",
             "surge_after_days": 60, "source": "test"}
    changes: dict[str, Any] = {
        "requirements": [{"task": "amd", "region": "japan", "phase": "conflict",
                          "amount": 1, "penalty": 90}],
        "periods": [{"phase": "conflict", "name": f"p{i}", "days": 30} for i in (1, 2, 3)],
        "uses": [{"country": "USA", "pool": "patriot", "task": "amd", "stock": "pac3",
                  "per_day": 1, "source": "test"}],
        "overrides": [{"country": "USA", "pool": "patriot", "cost_per_unit": 0,
                       "source": "test"}]}
    plan = solve(tmp_path, data, stocks=[surge], **changes)
    assert plan.objective == pytest.approx(75, abs=1e-9)
    us = stock(plan)
    assert us.produced == pytest.approx(15)
    assert us.run_out_day == 90
    assert us.price_surge_earlier == pytest.approx(15, abs=1e-6)
    earlier = solve(tmp_path, data, stocks=[{**surge, "surge_after_days": 30}], **changes)
    assert earlier.objective == pytest.approx(60, abs=1e-9)


def two_allies(tmp_path: Path, lead_days: float, **changes: Any) -> Plan:
    """JPN holds 100 and uses none; the US holds 20 and its 2 fire units (required: 2, 30
    a unit short per phase, 1 USD m a unit and phase) fire 1 a day each."""
    data = tables(tmp_path, ("USA", "JPN"))
    document: dict[str, Any] = {
        "requirements": [{"task": "amd", "region": "japan", "phase": "conflict",
                          "amount": 2, "penalty": 30}],
        "stocks": [{"country": "USA", "stock": "pac3", "opening": 20, "source": "test"},
                   {"country": "JPN", "stock": "pac3", "opening": 100, "source": "test"}],
        "uses": [{"country": "USA", "pool": "patriot", "task": "amd", "stock": "pac3",
                  "per_day": 1, "source": "test"}],
        "transfers": [{"name": "jpn_to_usa", "supplier": "JPN", "recipient": "USA",
                       "stock": "pac3", "lead_days": lead_days,
                       "when": {"transfers": "open"}, "source": "test"}],
        "policies": [{"name": "jpn_holds_fire", "kind": "forbid", "country": "JPN",
                      "sentence": "Japan does not fire.", "source": "test"}]}
    document.update(changes)
    return solve(tmp_path, data, **document)


def test_transfers_delay_the_run_out_and_a_lead_time_can_make_them_too_late(
        tmp_path: Path) -> None:
    """p1 (10 days) needs 2 x 10 = 20 and p2 (20 days) 40; penalty 1 a unit-day, employment
    1/30 a unit-day (2 units for the whole phase: 2).

    Route closed: the US stock of 20 covers p1 (2 x 10/30 = 2/3) and is empty on day 10,
    worth 1 - 1/30 a unit; p2 is short 2 x 20 = 40; Japan holds its 100 for 30 days:
    objective 40 + 2/3 + HOLD x 3,000. Lead time 0: Japan ships in p1, everything is covered
    (2) and the US never runs short (its stock is worth no more than the holding tie-break:
    Japan can always ship more). The alliance holds 100 after p1 and 60 after p2 wherever
    they are: objective 2 + HOLD x (100 x 10 + 60 x 20). Lead time 10: what Japan ships in
    p1 arrives at day 20, in p2 (nothing shipped in p2 arrives by day 30): p1 runs out on
    day 10 as with the route closed, p2 is covered; in transit nothing is held, so Japan
    ships all 100 in p1 and the objective is 2 plus the holding of what the plan's stocks
    keep.
    """
    closed = two_allies(tmp_path, 0, flags={"transfers": "closed"})
    assert closed.objective == pytest.approx(40 + 2 / 3 + HOLD * 100 * 30, abs=1e-9)
    assert stock(closed).run_out_day == 10
    assert closed.transfers == []
    open_now = two_allies(tmp_path, 0)
    assert open_now.objective == pytest.approx(2 + HOLD * (100 * 10 + 60 * 20), abs=1e-9)
    assert stock(open_now).run_out_day is None
    assert sum(s.shortfall for s in open_now.coverage) == pytest.approx(0)
    assert stock(open_now, "JPN").shipped == pytest.approx(stock(open_now).received)
    assert stock(open_now).received >= 40 - 1e-9
    later = two_allies(tmp_path, 10)
    assert stock(later).run_out_day == 10
    assert [(t.shipped_in, t.arrives_in) for t in later.transfers] == [("p1", "p2")]
    assert sum(c.shortfall for c in later.coverage) == pytest.approx(0)
    held = sum(HOLD * (r.end_day - r.start_day) * r.closing for r in later.stock_periods)
    assert later.objective == pytest.approx(2 + held, abs=1e-9)


def test_a_phase_in_one_period_keeps_the_plan_without_periods(tmp_path: Path) -> None:
    """Without stocks, days change nothing: 4 units at 1 USD m, objective 4, with or
    without periods; split into two periods each carries its share (4 x 10/30 + 4 x
    20/30 = 4)."""
    data = tables(tmp_path)
    plain = solve(tmp_path, data, periods=None, stocks=[], uses=[])
    one = solve(tmp_path, data, periods=[{"phase": "conflict", "days": 30}], stocks=[],
                uses=[])
    split = solve(tmp_path, data, stocks=[], uses=[])
    assert plain.objective == one.objective == pytest.approx(4)
    assert split.objective == pytest.approx(4)
    assert [c.phase for c in split.coverage] == ["p1", "p2"]


def test_a_stock_without_periods_is_refused(tmp_path: Path) -> None:
    data = tables(tmp_path)
    with pytest.raises(InputError, match="stocks need periods with days"):
        solve(tmp_path, data, periods=None)


def test_solve_prints_the_run_out_days(tmp_path: Path) -> None:
    """What `planner solve` prints for a mission with stocks: when each runs out, and why a
    requirement is short."""
    data = tables(tmp_path)
    solve(tmp_path, data)
    result = run_planner("solve", str(tmp_path / "tiny.yaml"), "--data", str(data),
                         "--no-save", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Stocks over the mission" in result.stdout
    assert "day 10" in result.stdout
    assert "amd in japan, p1: short while the stock of USA's pac3 is empty" in result.stdout


@pytest.fixture(scope="module")
def sustainment() -> dict[str, Plan]:
    return {"allowed": pipeline.solve("taiwan-sustainment"),
            "barred": pipeline.solve("taiwan-sustainment",
                                     settings={"allied_transfers": "barred"})}


def test_shipped_sustainment_runs_out_and_transfers_help(sustainment: dict[str, Plan]
                                                         ) -> None:
    """The shipped 90-day mission: the US anti-ship missiles, fired on maritime strike (a
    vital aim in this mission, worth more a unit than the stock lasts at the full rate), are
    empty by day 60 whatever the allies do (no ally makes them; maritime strike is short
    after that); Japanese PAC-3 shipped to US stocks lower the objective, and with
    transfers barred Japan's stock stays idle in an important-influence situation (its own
    units do not fire)."""
    allowed, barred = sustainment["allowed"], sustainment["barred"]
    assert allowed.status == barred.status == "optimal"
    missiles = [stock(p, "USA", "anti_ship_missile").run_out_day for p in (allowed, barred)]
    assert missiles == [60, 60]  # within days 31-60 either way
    assert stock(allowed).received > 0
    jpn_barred = stock(barred, "JPN")
    assert jpn_barred.shipped == 0 and jpn_barred.closing == pytest.approx(200)
    assert allowed.objective < barred.objective


def test_report_and_compare_show_the_stocks(sustainment: dict[str, Plan]) -> None:
    """A plan with stocks gets a stocks chart and table in its report; a comparison shows the
    stocks of both plans, side by side, in one chart (one line style per plan)."""
    from planner.reports.report import compare_document, report_document

    report = report_document(sustainment["allowed"])
    assert "<svg" in str(report.charts["stocks"])
    assert list(report.tables["stocks"]["runs_out"]) == ["day 60", "day 60", "none"]
    both = compare_document([sustainment["allowed"], sustainment["barred"]])
    assert str(both.charts["stocks"]).count("<path") > str(report.charts["stocks"]).count(
        "<path")
    assert len(both.tables["stocks"]) == 2
    plain = pipeline.solve("baseline")
    assert "stocks" not in report_document(plain).charts


def test_a_use_of_an_unknown_pool_or_task_is_a_located_error(tmp_path: Path) -> None:
    """A misspelt pool or task in `uses` is reported with its place and a suggestion, like
    every other reference to the tables."""
    data = tables(tmp_path)
    with pytest.raises(InputError) as caught:
        solve(tmp_path, data, uses=[{"country": "USA", "pool": "patriots", "task": "amdd",
                                     "stock": "pac3", "per_day": 2, "source": "test"}])
    messages = [(p.message, p.hint) for p in caught.value.problems]
    assert messages == [("USA has no pool 'patriots'", "did you mean patriot?"),
                        ("unknown task 'amdd'", "did you mean amd?")]


def test_a_use_with_no_units_to_draw_is_no_row() -> None:
    """A use whose pool has no column (no requirement it could serve; found by the fuzz test)
    draws nothing: an empty table, not an error."""
    import pandas as pd

    from planner.formulation.stocks import period_uses
    from planner.schema.sustainment import Span, Use

    use = Use(country="USA", pool="patriot", task="amd", stock="pac3", per_day=1,
              source="test")
    units = pd.DataFrame({"country": ["JPN"], "pool": ["patriot"], "task": ["amd"],
                          "region": ["japan"], "phase": ["p1"]})
    table = period_uses(units, [use], [Span("p1", "conflict", 10, 0, 1)])
    assert table.empty and list(table.columns) == ["country", "stock", "period", "unit",
                                                   "per_day", "days"]


def test_explain_names_the_empty_stock_behind_a_shortfall(tmp_path: Path) -> None:
    """In taiwan-sustainment the US anti-ship missiles (250 opening, 15 produced) are all
    fired by day 60, so maritime strike in the Taiwan Strait area is short in days 61-90
    with the stock the carrier and the destroyers need empty: explain says so, in its text
    and in its JSON, and ends with the shortfall code (1), not a traceback."""
    text = run_planner("explain", "taiwan-sustainment", "--no-save", cwd=tmp_path)
    assert text.returncode == 1, text.stderr
    assert "Traceback" not in text.stderr
    lines = text.stdout.splitlines()
    at = lines.index(next(line for line in lines if line.startswith(
        "Short: maritime_strike in taiwan_strait, conflict_d61_90")))
    assert lines[at + 1].strip() == ("the stock it needs is empty: USA's anti_ship_missile "
                                     "(empty on day 90)")
    data = json.loads(run_planner("explain", "taiwan-sustainment", "--no-save", "--format",
                                  "json", cwd=tmp_path).stdout)
    [trace] = [t for t in data["shortfalls"]
               if (t["task"], t["region"], t["phase"])
               == ("maritime_strike", "taiwan_strait", "conflict_d61_90")]
    assert trace["empty_stocks"] == ["USA's anti_ship_missile (empty on day 90)"]
