"""The Python API, Excel workbooks and model files, used as an analyst in a notebook would.

Every function of ``planner.api`` is exercised; the numbers it returns are checked against a
tiny hand-solved case and against what the command line writes for the same inputs.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import highspy
import pandas as pd
import pytest
from openpyxl import load_workbook

import planner.api as pl
from planner.inputs.workbook import cell_text, cell_value

from .conftest import REPO, run_planner, write_mission, write_tiny


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """One task in one region and phase: 10 units needed. A has 6 units at 2 each, B has 8
    at 5 each; both deliver 1 per unit. Least cost: all 6 of A (12) and 4 of B (20), 32."""
    data = write_tiny(tmp_path / "data", {"AAA": (100, 10), "BBB": (300, 30)}, ["patrol"],
                      ["sea"], ["peace"], {
                          "AAA": [{"pool": "ships", "quantity": 6, "readiness": 1,
                                   "cost_per_unit": 2, "regions": "sea", "patrol": 1}],
                          "BBB": [{"pool": "ships", "quantity": 8, "readiness": 1,
                                   "cost_per_unit": 5, "regions": "sea", "patrol": 1}]})
    mission = write_mission(tmp_path / "tiny.yaml", name="tiny", phases=["peace"],
                            requirements=[{"task": "patrol", "region": "sea",
                                           "phase": "peace", "amount": 10}])
    return data, mission


def test_solve_returns_the_plan_as_dataframes(tiny: tuple[Path, Path]) -> None:
    data, mission = tiny
    result = pl.solve(mission, data=data)
    assert result.status == "optimal" and result.covered
    assert result.objective == pytest.approx(32.0)
    units = result.allocations.set_index("country")["units"]
    assert units.to_dict() == pytest.approx({"AAA": 6.0, "BBB": 4.0})
    countries = result.countries.set_index("country")
    assert countries.loc["AAA", "cost"] == pytest.approx(12.0)
    assert countries.loc["BBB", "cost_share"] == pytest.approx(20 / 32)
    assert result.shortfalls.empty
    cover = result.duals.set_index("name").loc["cover[patrol,sea,peace]"]
    assert cover["dual"] == pytest.approx(5.0)  # one more unit needed comes from B at 5
    assert list(result.coverage.columns)[:3] == ["task", "region", "phase"]
    assert isinstance(result.leads, pd.DataFrame) and result.leads.empty


def test_overrides_and_flags_as_arguments(tiny: tuple[Path, Path]) -> None:
    """B's quantity cut to 2 leaves 2 units short at the default penalty of 1,000 each:
    6 x 2 + 2 x 5 + 2 x 1000 = 2,022."""
    data, mission = tiny
    cut = pl.solve(mission, data=data, overrides=[
        {"country": "BBB", "pool": "ships", "quantity": 2, "source": "assumption: test"}])
    assert cut.objective == pytest.approx(2022.0)
    assert cut.shortfalls["shortfall"].tolist() == pytest.approx([2.0])
    assert [o.after for o in cut.plan.overrides] == [2.0]


def test_bad_arguments_raise_one_error_with_every_problem(tiny: tuple[Path, Path]) -> None:
    data, mission = tiny
    with pytest.raises(pl.PlannerError) as caught:
        pl.solve(mission, data=data, overrides=[{"country": "BBB", "pool": "ships",
                                                 "quantity": -1}])
    messages = {(p.column, p.message) for p in caught.value.problems}
    assert ("source", "required key is missing") in messages
    assert any(column == "quantity" for column, _ in messages)
    with pytest.raises(pl.PlannerError) as caught:
        pl.solve(mission, data=data, overrides=[{"country": "BBB", "pool": "shipz",
                                                 "quantity": 1, "source": "test"}])
    assert "shipz" in str(caught.value)
    with pytest.raises(pl.PlannerError) as caught:
        pl.solve("no-such-mission", data=data)
    assert caught.value.problems[0].file == "no-such-mission"


def test_flags_match_the_command_line(tmp_path: Path) -> None:
    """The API and `planner solve --set` give the same plan for the same flags."""
    result = pl.solve("gsomia-suspended", flags={"topology": "hub_and_spokes"})
    done = run_planner("solve", "gsomia-suspended", "--set", "topology=hub_and_spokes",
                       "--format", "json", "--no-save", cwd=tmp_path)
    printed = json.loads(done.stdout)
    assert printed["objective"] == result.objective
    assert printed["flags"] == result.plan.flags


def test_loaded_mission_and_tables(tiny: tuple[Path, Path]) -> None:
    data, mission = tiny
    tables = pl.load_tables(data)
    assert tables.pools["country"].tolist() == ["AAA", "BBB"]
    loaded = pl.load_mission(mission, data=data)
    again = loaded.model_copy(update={"name": "tiny_copy"})
    assert pl.solve(again, data=data).objective == pytest.approx(32.0)


def test_save_read_and_compare(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    data, mission = tiny
    base = pl.solve(mission, data=data)
    folder = base.save(tmp_path / "plans" / "tiny")
    assert {p.name for p in folder.iterdir()} >= {"plan.json", "allocations.csv", "plan.xlsx"}
    with pytest.raises(pl.PlannerError):
        base.save(folder)  # exists: replaced only with force
    back = pl.read_plan(folder)
    assert back.objective == base.objective
    cut = pl.solve(mission, data=data, overrides=[
        {"country": "BBB", "pool": "ships", "quantity": 2, "source": "assumption: test"}])
    table = pl.compare(back, cut)
    assert table["objective_change"].tolist() == pytest.approx([0.0, 1990.0])
    with pytest.raises(pl.PlannerError):
        pl.compare(base)


def test_analyses_return_tables(tiny: tuple[Path, Path]) -> None:
    """Without BBB, A alone covers 6 of 10: 12 + 4 x 1000 = 4,012, so BBB is worth 3,980."""
    data, mission = tiny
    result = pl.resilience(mission, data=data)
    ranking = result.tables["criticality"].set_index("name")
    assert ranking.loc["BBB", "objective"] == pytest.approx(4012.0)
    shares = pl.fairness(mission, data=data).tables["shares"]
    assert set(shares["ally"]) == {"AAA", "BBB"}
    room = pl.alternatives(mission, data=data, slack=0.0).tables["ranges"]
    assert room.set_index("country").loc["BBB", "least"] == pytest.approx(4.0)
    front = pl.pareto("baseline", points=3)
    assert front.kind == "pareto" and all(len(t) for t in front.tables.values())


def test_montecarlo_through_the_api() -> None:
    result = pl.montecarlo("readiness-uncertainty", draws=10, seed=1)
    assert result.facts["draws"] == 10 if "draws" in result.facts else result.tables
    again = pl.montecarlo("readiness-uncertainty", draws=10, seed=1)
    pd.testing.assert_frame_equal(result.tables["coverage"], again.tables["coverage"])


# --- workbooks -----------------------------------------------------------------------------


def cells(text: str) -> list[list[str]]:
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text)) if any(row)]


def test_workbook_round_trip_leaves_every_table_identical(tmp_path: Path) -> None:
    book = tmp_path / "tables.xlsx"
    done = run_planner("export-workbook", "--data", str(REPO / "capabilities"), "--out",
                       str(book), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run_planner("import-workbook", str(book), "--out", str(tmp_path / "back"),
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for original in sorted((REPO / "capabilities").iterdir()):
        back = (tmp_path / "back" / original.name).read_text(encoding="utf-8")
        text = original.read_text(encoding="utf-8")
        if original.suffix == ".csv":
            assert cells(back) == cells(text), original.name
        else:
            assert back == text, original.name
    from_folder, from_book = pl.load_tables(REPO / "capabilities"), pl.load_tables(book)
    for name in ("countries", "tasks", "regions", "phases", "pools", "deliveries",
                 "pool_regions"):
        pd.testing.assert_frame_equal(getattr(from_folder, name), getattr(from_book, name))
    assert from_folder.standing == from_book.standing
    assert pl.solve(data=book).objective == pl.solve().objective


def test_workbook_numbers_are_numbers_and_text_stays_text(tmp_path: Path) -> None:
    for text in ("20", "0.85", "-3", "1.5"):
        assert isinstance(cell_value(text), int | float) and cell_text(cell_value(text)) == text
    for text in ("007", "1e-05", "2.50", "=1+1", "+44", "korea", "1,000"):
        assert cell_value(text) == text
    book = tmp_path / "tables.xlsx"
    run_planner("export-workbook", "--out", str(book), cwd=tmp_path)
    sheet = load_workbook(book)["KOR"]
    header = [c.value for c in sheet[1]]
    quantity = sheet.cell(row=2, column=header.index("quantity") + 1)
    assert quantity.data_type == "n"


def broken_workbook(tmp_path: Path) -> tuple[Path, Any]:
    """The shipped tables as a workbook, with 'lots' in KOR's quantity on Excel row 5; the
    workbook is returned open, for more damage, and saved by the caller."""
    book = tmp_path / "tables.xlsx"
    run_planner("export-workbook", "--out", str(book), cwd=tmp_path)
    loaded = load_workbook(book)
    sheet = loaded["KOR"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=5, column=header.index("quantity") + 1, value="lots")
    return book, loaded


def test_bad_workbook_cells_are_named_by_sheet_row_and_column(tmp_path: Path) -> None:
    book, loaded = broken_workbook(tmp_path)
    loaded.save(book)
    with pytest.raises(pl.PlannerError) as caught:
        pl.load_tables(book)
    problem = caught.value.problems[0]
    assert problem.file.endswith("tables.xlsx, sheet KOR")
    assert (problem.row, problem.column) == (5, "quantity")
    assert "'lots' is not a number" in problem.message
    assert load_workbook(book)["KOR"]["C5"].value == "lots"  # the input is left as it was


def test_a_missing_sheet_or_a_file_that_is_no_workbook_is_one_error_line(
        tmp_path: Path) -> None:
    book, loaded = broken_workbook(tmp_path)
    loaded["tasks"].title = "taskz"
    loaded.save(book)
    done = run_planner("solve", "--data", str(book), "--no-save", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    # a missing reference table stops the cascade, as it does for a folder of CSVs
    assert "tables.xlsx, sheet tasks: missing sheet tasks" in done.stderr
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    done = run_planner("solve", "--data", str(tmp_path / "junk.xlsx"), "--no-save",
                       cwd=tmp_path)
    assert done.returncode == 2 and "cannot be read as an Excel workbook" in done.stderr


def test_export_refuses_to_replace_without_force(tmp_path: Path) -> None:
    book = tmp_path / "tables.xlsx"
    book.write_text("mine")
    done = run_planner("export-workbook", "--out", str(book), cwd=tmp_path)
    assert done.returncode == 2 and book.read_text() == "mine"
    done = run_planner("export-workbook", "--out", str(tmp_path / "t.csv"), cwd=tmp_path)
    assert done.returncode == 2
    done = run_planner("import-workbook", str(book), "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "already exists" in done.stderr


def test_workbook_text_with_control_characters_is_written() -> None:
    """A cell a workbook cannot hold as it is (a control character) is written with a space
    in its place, not refused: a plan folder is always written."""
    from planner.reports.output import frames_workbook

    data = frames_workbook({"notes.csv": pd.DataFrame({"note": ["a\x01b", "=cmd", "\x1b[2J"]})})
    book = load_workbook(io.BytesIO(data))
    assert [c.value for c in book["notes"]["A"]] == ["note", "a b", "'=cmd", " [2J"]


def test_plan_workbook_holds_the_plan_tables_without_formulas(tiny: tuple[Path, Path],
                                                              tmp_path: Path) -> None:
    data, mission = tiny
    folder = pl.solve(mission, data=data).save(tmp_path / "plan")
    book = load_workbook(folder / "plan.xlsx")
    assert book.sheetnames == ["allocations", "countries", "shortfalls", "coverage", "duals"]
    rows = list(book["allocations"].iter_rows(values_only=True))
    assert rows[0][:2] == ("country", "pool") and len(rows) == 3
    assert all(c.data_type != "f" for row in book["duals"].iter_rows() for c in row)
    again = pl.solve(mission, data=data).save(tmp_path / "plan2")
    assert (again / "plan.xlsx").read_bytes() == (folder / "plan.xlsx").read_bytes()


# --- model files ---------------------------------------------------------------------------


def test_written_lp_and_mps_solve_to_the_plan_objective(tmp_path: Path) -> None:
    """Another solver reading the files finds the same optimum, and the rows keep the
    planner's names (brackets as parentheses)."""
    done = run_planner("solve", "lead-nation", "--no-save", "--format", "json", "--write-lp",
                       "m.lp", "--write-mps", "m.mps", cwd=tmp_path)
    objective = json.loads(done.stdout)["objective"]
    text = (tmp_path / "m.lp").read_text()
    assert "pool(JPN,aegis_ddg,conflict)" in text and "units(JPN,aegis_ddg," in text
    for name in ("m.lp", "m.mps"):
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        solver.readModel(str(tmp_path / name))
        solver.setOptionValue("mip_rel_gap", 0.0)
        solver.run()
        assert solver.getInfo().objective_function_value == pytest.approx(objective, rel=1e-9)
    again = run_planner("solve", "--no-save", "--write-lp", "m.lp", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_notebook_example_answers_the_tutorial_question(tmp_path: Path) -> None:
    """docs/examples/gsomia.py, run as a user runs a script."""
    done = subprocess.run([sys.executable, str(REPO / "docs" / "examples" / "gsomia.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "today: GSOMIA is worth 46.8 USD m" in done.stdout
    assert "2030: GSOMIA is worth 311.7 USD m" in done.stdout  # the tutorial's figure
