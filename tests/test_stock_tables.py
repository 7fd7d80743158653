"""Stocks declared in the capability tables (stocks.csv, stock_uses.csv): they reach only a
mission that says ``stocks_from_tables: true``, a mission's own stock replaces the table's,
and a mistake in the tables is located by file, row and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner import pipeline
from planner.checks.validate import load_capabilities
from planner.inputs import paths
from planner.scenario.instance import apply_mission
from planner.schema.mission import load_mission
from tests.conftest import REPO, run_planner, write_csv, write_mission, write_tiny

FLAGS = """flags:
  war:
    values: ["yes", "no"]
    default: "yes"
    description: whether the country is at war
    source: test
policies: []
"""
STOCK = {"country": "USA", "stock": "pac3", "unit": "interceptors", "opening": 60,
         "production": 1, "per": "day", "source": "test"}
USE = {"country": "USA", "pool": "patriot", "task": "amd", "stock": "pac3", "per_day": 2,
       "source": "test"}


def tables(root: Path, stocks: list[dict[str, Any]] | None = None,
           uses: list[dict[str, Any]] | None = None) -> Path:
    """The case of tests/test_stocks.py, its stock and use written in the tables: 4 Patriot
    fire units at 1 USD m per unit and phase, firing 2 interceptors a day; the US holds 60
    and makes 1 a day."""
    data = write_tiny(root / "data", {"USA": (100, 10)}, ["amd"], ["japan"], ["conflict"],
                      {"USA": [{"pool": "patriot", "quantity": 4, "readiness": 1,
                                "cost_per_unit": 1, "regions": "japan", "amd": 1}]})
    (data / "policies.yaml").write_text(FLAGS, encoding="utf-8")
    for name, rows in (("stocks.csv", stocks or [STOCK]), ("stock_uses.csv", uses or [USE])):
        write_csv(data / name, rows, list(dict.fromkeys(k for r in rows for k in r)))
    return data


def mission(root: Path, **changes: Any) -> Path:
    document: dict[str, Any] = {
        "name": "tiny", "phases": ["conflict"],
        "requirements": [{"task": "amd", "region": "japan", "phase": "conflict",
                          "amount": 4, "penalty": 30}],
        "periods": [{"phase": "conflict", "name": "p1", "days": 10},
                    {"phase": "conflict", "name": "p2", "days": 20}]}
    document.update(changes)
    return write_mission(root / "tiny.yaml", **document)


def test_table_stocks_apply_only_to_a_mission_that_asks(tmp_path: Path) -> None:
    """With the tables' stock (tests/test_stocks.py derives it): 3.5 units in p1, 0.5 in p2;
    employment 1.5 + penalty 75 = 76.5. The same mission without stocks_from_tables has no
    stock to run out: 4 units in both periods, 4 x 1 x (10 + 20) / 30 = 4."""
    data = tables(tmp_path)
    plan = pipeline.solve(mission(tmp_path, stocks_from_tables=True), data)
    assert plan.objective == pytest.approx(76.5, abs=1e-9)
    [stock] = plan.stocks
    assert (stock.country, stock.stock, stock.run_out_day) == ("USA", "pac3", 10)
    plain = pipeline.solve(mission(tmp_path), data)
    assert plain.objective == pytest.approx(4.0, abs=1e-9)
    assert plain.stocks == []


def test_the_mission_stock_replaces_the_tables(tmp_path: Path) -> None:
    """The mission declares the US pac3 again with 80 at the start (the table says 60): it
    wins. 80 + 30 produced = 110 interceptors cover 55 of the 120 unit-days (each covers half
    a unit-day; every unit-day saves the same 29/30, so any timing does): employment 55/30,
    penalty 65 x 1, and 10 interceptors held over p1 (p1 can fire only 80 of its 90) at the
    tie-break 1e-6 a unit-day: 55/30 + 65 + 10 x 10 x 1e-6 = 66.8334333."""
    data = tables(tmp_path)
    own = {**STOCK, "opening": 80}
    plan = pipeline.solve(mission(tmp_path, stocks_from_tables=True, stocks=[own]), data)
    assert plan.objective == pytest.approx(55 / 30 + 65 + 1e-4, abs=1e-9)
    [stock] = plan.stocks
    assert stock.opening == 80


def test_a_mission_use_replaces_the_tables_and_table_uses_follow_flags(
        tmp_path: Path) -> None:
    """The table's use fires only while war=yes; the mission's own use of the same pool,
    task and stock (1 a day) replaces it."""
    data = tables(tmp_path, uses=[{**USE, "when": "war=yes"}])
    caps = load_capabilities(data)
    [use] = caps.stock_uses
    assert use.when == {"war": "yes"}
    path = mission(tmp_path, stocks_from_tables=True, uses=[{**USE, "per_day": 1}])
    loaded, where = load_mission(path)
    applied = apply_mission(caps, loaded, where=where)
    assert [(u.pool, u.per_day) for u in applied.mission.uses] == [("patriot", 1)]
    # 60 + 30 interceptors at 1 a day cover 90 of the 120 unit-days: employment 90 / 30 = 3,
    # penalty 30; p1 fires only 40 of its 70, holding 30 for 10 days at the tie-break 1e-6
    plan = pipeline.solve(path, data)
    assert plan.objective == pytest.approx(3 + 30 + 30 * 10 * 1e-6, abs=1e-9)
    at_peace = pipeline.solve(mission(tmp_path, stocks_from_tables=True,
                                      flags={"war": "no"}), data)
    # nothing fired: 4 units all along (4), the 60 held 30 days at the tie-break (0.0018)
    assert at_peace.objective == pytest.approx(4 + 60 * 30 * 1e-6, abs=1e-9)


def test_mistakes_in_the_stock_tables_are_located(tmp_path: Path) -> None:
    """Every mistake at once, exit 2, each with file, row and column, no traceback."""
    data = tables(
        tmp_path,
        stocks=[{**STOCK, "country": "USX"},
                {**STOCK, "stock": "lrasm", "opening": -5, "unit": "missiles per year"},
                {**STOCK, "stock": "pac3", "country": "USA", "unit": "rounds"},
                {**STOCK, "stock": "pac3", "country": "USA", "per": "week"}],
        uses=[{**USE, "pool": "patriots"},
              {**USE, "stock": "sm3"},
              {**USE, "task": "amd", "stock": "lrasm", "when": "peace=yes"},
              {**USE, "stock": "pac3", "phases": "conflikt"}])
    result = run_planner("validate", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    err = " ".join(result.stderr.split())
    expected = [
        "data/stocks.csv, row 2, column country: unknown country 'USX' - did you mean USA?",
        "data/stocks.csv, row 3, column opening: -5 is below the minimum 0",
        "data/stocks.csv, row 3, column unit: the unit 'missiles per year' is per year: a "
        "stock is counted",
        "data/stocks.csv, row 4, column unit: pac3 is counted in 'rounds' here but in "
        "'interceptors' on row 2",
        "data/stocks.csv, row 5, column per: 'week' is not one of day, month, year",
        "data/stocks.csv, row 5, column stock: stock USA/pac3 is given twice (first on row 4)",
        "data/stock_uses.csv, row 2, column pool: unknown pool of USA 'patriots' - did you "
        "mean patriot?",
        "data/stock_uses.csv, row 3, column stock: USA has no stock 'sm3' in stocks.csv",
        "data/stock_uses.csv, row 4, column when: unknown flag 'peace'",
        "data/stock_uses.csv, row 5, column phases: unknown phase 'conflikt' - did you mean "
        "conflict?",
    ]
    missing = [e for e in expected if e not in err]
    assert not missing, err


def test_stocks_from_tables_needs_periods_and_declared_stocks(tmp_path: Path) -> None:
    data = tables(tmp_path)
    path = mission(tmp_path, stocks_from_tables=True, periods=None)
    result = run_planner("validate", str(path), "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2
    assert "stocks need periods with days" in result.stderr
    path = mission(tmp_path, stocks_from_tables=True, transfers=[
        {"name": "r", "supplier": "USA", "recipient": "JPN", "stock": "pac3",
         "source": "test"}])
    result = run_planner("validate", str(path), "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2
    err = " ".join(result.stderr.split())
    assert ("tiny.yaml, row 22, column transfers[0].stock: JPN has no stock 'pac3' in stocks"
            in err), err


def test_only_the_sustainment_mission_takes_the_shipped_stocks() -> None:
    """The shipped stocks are rows of capabilities/stocks.csv; taiwan-sustainment opts in,
    and no other shipped mission (none has periods) gets a stock."""
    caps = load_capabilities(REPO / "capabilities")
    assert {(s.country, s.stock) for s in caps.stocks} == {
        ("USA", "anti_ship_missile"), ("USA", "pac3"), ("JPN", "pac3")}
    with_stocks = []
    for path in paths.mission_files(REPO / "missions"):
        loaded, where = load_mission(path)
        if apply_mission(caps, loaded, where=where).mission.stocks:
            with_stocks.append(path.stem)
    assert with_stocks == ["taiwan-sustainment"]
