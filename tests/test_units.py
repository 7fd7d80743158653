"""Rate units: a task is a level on station or a flow per day, month or year (tasks.csv
``per``); a mission's amount and a pool's delivery given per another time unit are
converted to the task's, and a table whose units disagree is a located error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner import pipeline
from planner.checks.validate import load_capabilities, time_units_named
from planner.schema import tables as schema
from tests.conftest import run_planner, write_csv, write_mission, write_tiny


def shell_tables(root: Path, quantity: float, shells_per: str = "year",
                 unit: str = "thousand rounds per month", per: str = "month") -> Path:
    """One flow task, shells, counted in thousand rounds per month; one plant in AAA whose
    delivery of 120 a unit is given per year (10 a month), at 2 USD m per unit and phase."""
    data = write_tiny(root / "data", {"AAA": (100, 10)}, ["shells"], ["home"], ["war"],
                      {"AAA": [{"pool": "plant", "quantity": quantity, "readiness": 1,
                                "cost_per_unit": 2, "regions": "home", "shells": 120,
                                "shells_per": shells_per}]})
    write_csv(data / "tasks.csv", [{"task": "shells", "unit": unit, "per": per,
                                    "description": "artillery rounds", "source": "test"}])
    return data


def solve(root: Path, data: Path, **requirement: Any) -> float:
    required = {"task": "shells", "region": "home", "phase": "war", **requirement}
    mission = write_mission(root / "m.yaml", name="m", phases=["war"],
                            requirements=[required],
                            objective={"shortfall_penalty": 1000})
    return pipeline.solve(mission, data).objective


def test_time_units_are_read_from_the_words_of_a_unit() -> None:
    assert time_units_named("thousand 155 mm rounds per month") == {"month"}
    assert time_units_named("PAC-3 interceptors per year") == {"year"}
    assert time_units_named("sorties a day") == {"day"}
    assert time_units_named("annual overhauls") == {"year"}
    assert time_units_named("fire units on station") == set()
    assert time_units_named("ISR orbits") == set()  # 'orbits' is not 'per'
    assert schema.rate_factor("year", "month") == pytest.approx(1 / 12)
    assert schema.rate_factor("month", "day") == pytest.approx(12 / 365)


def test_a_per_year_delivery_meets_a_per_month_requirement(tmp_path: Path) -> None:
    """shells is counted per month. The plant delivers 120 a unit per year: 120 / 12 = 10 a
    month. The mission asks for 300 per year: 300 / 12 = 25 a month.

    With 5 plants: 25 / 10 = 2.5 units employed at 2 USD m: objective 5.
    With 2 plants: 20 a month delivered, 5 short at 1000 each: 2 x 2 + 5 x 1000 = 5004.
    The same requirement given as 25 per month (per left out: the task's) costs the same.
    Without the conversions (120 and 300 read as per month) 5 plants would need 2.5 units
    too, but 2 plants would cover 240 of 300: 4 + 60,000 - the numbers below rule that out.
    """
    data = shell_tables(tmp_path / "five", quantity=5)
    assert solve(tmp_path, data, amount=300, per="year") == pytest.approx(5.0, abs=1e-9)
    assert solve(tmp_path, data, amount=25) == pytest.approx(5.0, abs=1e-9)
    data = shell_tables(tmp_path / "two", quantity=2)
    assert solve(tmp_path, data, amount=300, per="year") == pytest.approx(5004.0, abs=1e-6)
    caps = load_capabilities(data)
    [row] = caps.deliveries[["delivers", "given", "given_per"]].values.tolist()
    assert row == [pytest.approx(10.0), 120.0, "year"]


def test_a_per_day_requirement_against_a_per_month_task(tmp_path: Path) -> None:
    """1 thousand rounds a day is 365 / 12 = 30.4167 a month; the plant delivers 10 a month
    a unit (120 a year), so 3.04167 units at 2 USD m: objective 6.08333 (= 73 / 12)."""
    data = shell_tables(tmp_path, quantity=5)
    assert solve(tmp_path, data, amount=1, per="day") == pytest.approx(73 / 12, abs=1e-9)


def test_a_table_that_mixes_units_is_a_located_error(tmp_path: Path) -> None:
    """tasks.csv says 'per month' in words and year in per; the pool table gives a time unit
    for a level task and a time unit that is not one: every mistake at once, exit 2, each
    with file, row and column, no traceback."""
    data = write_tiny(tmp_path / "data", {"AAA": (100, 10)}, ["shells", "guard"], ["home"],
                      ["war"], {"AAA": [{"pool": "plant", "quantity": 1, "readiness": 1,
                                         "cost_per_unit": 2, "regions": "home",
                                         "shells": 120, "shells_per": "week", "guard": 1,
                                         "guard_per": "day"}]})
    write_csv(data / "tasks.csv", [
        {"task": "shells", "unit": "thousand rounds per month", "per": "year",
         "description": "rounds", "source": "test"},
        {"task": "guard", "unit": "units on station", "per": "", "description": "guard",
         "source": "test"}])
    result = run_planner("validate", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    err = " ".join(result.stderr.split())
    assert ("data/tasks.csv, row 2, column per: per is year but the unit 'thousand rounds "
            "per month' is per month - make them agree") in err
    assert "data/AAA.csv, row 2, column shells_per: 'week' is not one of day, month, year" in err
    assert ("data/AAA.csv, row 2, column guard_per: guard is a level on station (per in "
            "tasks.csv), so its delivery has no time unit") in err


def test_a_flow_whose_unit_names_no_time_and_a_level_that_does(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "data", {"AAA": (100, 10)}, ["a", "b"], ["home"], ["war"],
                      {"AAA": [{"pool": "p", "quantity": 1, "readiness": 1,
                                "cost_per_unit": 1, "regions": "home", "a": 1}]})
    write_csv(data / "tasks.csv", [
        {"task": "a", "unit": "rounds", "per": "month", "description": "a", "source": "t"},
        {"task": "b", "unit": "overhauls per year", "per": "", "description": "b",
         "source": "t"}])
    result = run_planner("validate", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2
    err = " ".join(result.stderr.split())
    assert ("tasks.csv, row 2, column per: per is month but the unit 'rounds' names no time "
            "unit - make them agree: write the unit as '... per month'") in err
    assert ("tasks.csv, row 3, column per: per is blank (a level) but the unit 'overhauls per "
            "year' is per year - set per to year") in err


def test_a_time_unit_on_a_level_requirement_is_a_located_error(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "data", {"AAA": (100, 10)}, ["guard"], ["home"], ["war"],
                      {"AAA": [{"pool": "p", "quantity": 1, "readiness": 1,
                                "cost_per_unit": 1, "regions": "home", "guard": 1}]})
    write_mission(tmp_path / "m.yaml", name="m", phases=["war"], requirements=[
        {"task": "guard", "region": "home", "phase": "war", "amount": 1, "per": "month"}])
    result = run_planner("solve", "m.yaml", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    err = " ".join(result.stderr.split())
    assert ("m.yaml, row 9, column requirements[0].per: guard is a level on station (per in "
            "tasks.csv), so its amount has no time unit") in err


def test_the_shipped_flows_say_their_time_unit() -> None:
    """The shipped tables give their flows in the units their words say, and no pool or
    mission converts: every factor is 1, so the recorded plans stand (test_recorded)."""
    from tests.conftest import REPO

    caps = load_capabilities(REPO / "capabilities")
    flows = {t: p for t, p in caps.task_per.items() if p != schema.LEVEL}
    assert flows == {"munitions_supply": "month", "interceptor_supply": "year",
                     "ship_mro": "year"}
    assert (caps.deliveries["delivers"] == caps.deliveries["given"]).all()
