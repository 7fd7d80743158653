"""Deliberately broken inputs: every mistake is reported at once, exactly located, with a hint.

Each test copies the shipped capability tables to a temporary folder, breaks them the way an
analyst editing them in a spreadsheet might, and checks the file, row, column and hint of every
problem. Row numbers are derived from the file the test wrote (the header is line 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from planner.checks.validate import Capabilities, load_capabilities
from planner.errors import InputError, Problem
from planner.pipeline import prepare

REPO = Path(__file__).resolve().parents[1]
JPN = "capabilities/JPN.csv"  # how messages name the table: relative to the data folder's parent
FRAMES = ("countries", "tasks", "regions", "phases", "pools", "deliveries", "pool_regions")


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def caps(tmp_path: Path) -> Path:
    """A private copy of the shipped capability tables, safe to break."""
    return Path(shutil.copytree(REPO / "capabilities", tmp_path / "capabilities"))


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """One record per line, LF line ends, so row i of ``rows`` is line i + 1 of the file."""
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def line_of(path: Path, start: str) -> int:
    """The 1-based line number of the only line of ``path`` that starts with ``start``."""
    found = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if line.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def set_cell(path: Path, pool: str, column: str, value: str) -> int:
    """Set one cell of a pool table; return the line number of the edited row."""
    rows = read_rows(path)
    col = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == pool:
            row[col] = value
            break
    else:
        raise AssertionError(f"no pool {pool}")
    write_rows(path, rows)
    return line_of(path, f"{pool},")


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_capabilities(root)
    assert info.value.problems, "InputError without problems"
    return info.value.problems


def run_planner(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the planner as a user does, in a plain (uncoloured, non-terminal) environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(NO_COLOR="1", COLUMNS="200", TERM="dumb")
    return subprocess.run([sys.executable, "-m", "planner", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def break_jpn_three_ways(caps: Path) -> tuple[int, int]:
    """Header sea_control -> sea_contrl, frigate quantity -3, aew_aircraft readiness abc."""
    path = caps / "JPN.csv"
    frigate = set_cell(path, "frigate", "quantity", "-3")
    aew = set_cell(path, "aew_aircraft", "readiness", "abc")
    rows = read_rows(path)
    rows[0][rows[0].index("sea_control")] = "sea_contrl"
    write_rows(path, rows)
    return frigate, aew


def three_problems(frigate: int, aew: int) -> list[Problem]:
    return [
        Problem(JPN, "unknown column 'sea_contrl'", row=1, column="sea_contrl",
                hint="did you mean sea_control?"),
        Problem(JPN, "-3 is below the minimum 0", row=frigate, column="quantity",
                hint="enter a value of at least 0"),
        Problem(JPN, "'abc' is not a number", row=aew, column="readiness",
                hint="enter a number (fraction)"),
    ]


def digests(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def excel_style(path: Path) -> None:
    """Rewrite a table as Excel saves 'CSV UTF-8': BOM, CRLF, every cell quoted, plus a
    trailing empty column and a trailing empty row."""
    rows = read_rows(path)
    width = len(rows[0]) + 1
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([*([*row, ""] for row in rows), [""] * width])
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


# --- 1. one table, three mistakes ----------------------------------------------------------


def test_three_mistakes_in_one_table_all_reported_with_locations(caps: Path) -> None:
    frigate, aew = break_jpn_three_ways(caps)
    assert (frigate, aew) == (4, 7)  # the shipped order: header, aegis_ddg, destroyer, frigate..
    problems = problems_of(caps)
    for expected in three_problems(frigate, aew):
        assert expected in problems
    assert str(problems[0]) == ("capabilities/JPN.csv, row 1, column sea_contrl: unknown "
                                "column 'sea_contrl' - did you mean sea_control?")
    # Anything else is the knock-on of the renamed column: its cost column lost its task.
    others = [p for p in problems if p not in three_problems(frigate, aew)]
    assert all(p.file == JPN and p.column == "sea_control_cost" for p in others), others
    assert all(p.file.endswith("JPN.csv") for p in problems)


# --- 2. the same through the command line --------------------------------------------------


def test_cli_validate_prints_every_located_error_without_traceback(
        caps: Path, tmp_path: Path) -> None:
    frigate, aew = break_jpn_three_ways(caps)
    result = run_planner("validate", "--data", str(caps), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = error_lines(result)
    for expected in three_problems(frigate, aew):
        assert f"error: {expected}" in lines
    assert "error: capabilities/JPN.csv, row 4, column quantity: -3 is below the minimum 0 - " \
           "enter a value of at least 0" in lines
    assert f"{len(lines)} problem(s) found." in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_cli_solve_with_bad_tables_exits_2_and_writes_no_plan(
        caps: Path, tmp_path: Path) -> None:
    frigate, aew = break_jpn_three_ways(caps)
    result = run_planner("solve", "--data", str(caps), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    for expected in three_problems(frigate, aew):
        assert f"error: {expected}" in error_lines(result)
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "plans").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["capabilities"]


# --- 3. one mistake each -------------------------------------------------------------------


def test_unknown_region_in_pool_regions_cell_suggests_the_close_one(caps: Path) -> None:
    line = set_cell(caps / "JPN.csv", "aegis_ddg", "regions",
                    "japn;korean_peninsula;east_china_sea")
    assert problems_of(caps) == [
        Problem(JPN, "unknown region 'japn'", row=line, column="regions",
                hint="did you mean japan?"),
    ]


def test_duplicated_pool_row_names_the_first_row(caps: Path) -> None:
    path = caps / "JPN.csv"
    rows = read_rows(path)
    first = next(i for i, row in enumerate(rows) if row[0] == "frigate") + 1
    write_rows(path, [*rows, rows[first - 1]])
    second = len(rows) + 1
    assert path.read_text(encoding="utf-8").splitlines()[second - 1].startswith("frigate,")
    assert problems_of(caps) == [
        Problem(JPN, f"'frigate' is duplicated (first on row {first})", row=second,
                column="pool", hint="merge the two rows or rename one"),
    ]


def test_missing_required_column(caps: Path) -> None:
    path = caps / "JPN.csv"
    rows = read_rows(path)
    col = rows[0].index("readiness")
    write_rows(path, [row[:col] + row[col + 1:] for row in rows])
    assert problems_of(caps) == [
        Problem(JPN, "missing required column 'readiness'", row=1,
                hint="add a column named 'readiness'"),
    ]


def test_blank_required_numeric_cell(caps: Path) -> None:
    line = set_cell(caps / "JPN.csv", "submarine", "cost_per_unit", "")
    assert problems_of(caps) == [
        Problem(JPN, "the cell is blank", row=line, column="cost_per_unit",
                hint="enter a number (USD m per unit per phase)"),
    ]


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "NaN", "Infinity", "1e400"])
def test_non_finite_number_is_rejected(caps: Path, text: str) -> None:
    line = set_cell(caps / "JPN.csv", "tanker", "quantity", text)
    assert problems_of(caps) == [
        Problem(JPN, f"'{text}' is not a finite number", row=line, column="quantity",
                hint="enter a finite number"),
    ]


def test_non_finite_task_delivery_is_rejected(caps: Path) -> None:
    line = set_cell(caps / "JPN.csv", "submarine", "asw", "nan")
    assert problems_of(caps) == [
        Problem(JPN, "'nan' is not a finite number", row=line, column="asw",
                hint="enter a finite number"),
    ]


def test_readiness_above_one(caps: Path) -> None:
    line = set_cell(caps / "JPN.csv", "p1_patrol_aircraft", "readiness", "1.5")
    assert problems_of(caps) == [
        Problem(JPN, "1.5 is above the maximum 1", row=line, column="readiness",
                hint="enter a value of at most 1"),
    ]


def test_unexpected_table_suggests_the_country(caps: Path) -> None:
    shutil.copyfile(caps / "JPN.csv", caps / "JNP.csv")
    assert problems_of(caps) == [
        Problem("capabilities/JNP.csv", "unexpected table: 'JNP' is not a country in "
                "countries.csv", hint="did you mean JPN?"),
    ]


def test_unexpected_table_far_from_every_country_gets_no_suggestion(caps: Path) -> None:
    """JAP shares two of three letters with JPN (similarity 0.67, as korea and rear):
    below the threshold, the hint says what to do instead of guessing."""
    shutil.copyfile(caps / "JPN.csv", caps / "JAP.csv")
    assert problems_of(caps) == [
        Problem("capabilities/JAP.csv", "unexpected table: 'JAP' is not a country in "
                "countries.csv", hint="add the country to countries.csv or remove the file"),
    ]


def test_country_without_pool_table(caps: Path) -> None:
    with (caps / "countries.csv").open("a", newline="", encoding="utf-8") as f:
        f.write("NZL,New Zealand,250,4,,test\n")
    assert problems_of(caps) == [
        Problem("capabilities/NZL.csv", "missing pool table for NZL",
                hint="add NZL.csv or remove NZL from countries.csv"),
    ]


@pytest.mark.parametrize("content", [b"", b"\n\n", b",,,\r\n,,,\r\n"],
                         ids=["zero-bytes", "blank-lines", "empty-cells"])
def test_empty_file(caps: Path, content: bytes) -> None:
    (caps / "JPN.csv").write_bytes(content)
    assert problems_of(caps) == [
        Problem(JPN, "the file is empty", hint="it needs a header row"),
    ]


def test_latin1_file_is_not_utf8_and_says_how_to_save(caps: Path) -> None:
    path = caps / "JPN.csv"
    data = path.read_text(encoding="utf-8").encode("latin-1")  # the section sign becomes 0xA7
    path.write_bytes(data)
    offset = data.index(b"\xa7")
    assert all(b < 0x80 for b in data[:offset])
    assert problems_of(caps) == [
        Problem(JPN, f"the file is not UTF-8 text (byte {offset} cannot be read)",
                hint="save it as 'CSV UTF-8' in Excel, or with UTF-8 encoding in your editor"),
    ]


def test_semicolon_delimited_file(caps: Path) -> None:
    path = caps / "JPN.csv"
    rows = read_rows(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=";", lineterminator="\n").writerows(rows)
    assert problems_of(caps) == [
        Problem(JPN, "the file is separated by semicolons, not commas", row=1,
                hint="save it as 'CSV UTF-8 (comma delimited)'"),
    ]


def test_mistakes_in_several_tables_are_all_reported(caps: Path) -> None:
    usa = set_cell(caps / "USA.csv", "thaad_battery", "readiness", "2")
    kor = set_cell(caps / "KOR.csv", "army_division", "quantity", "twenty")
    problems = problems_of(caps)
    assert Problem("capabilities/USA.csv", "2 is above the maximum 1", row=usa,
                   column="readiness", hint="enter a value of at most 1") in problems
    assert Problem("capabilities/KOR.csv", "'twenty' is not a number", row=kor,
                   column="quantity", hint="enter a number (units)") in problems
    assert len(problems) == 2


# --- 4. an Excel save loads to the same data -----------------------------------------------


def assert_same_data(a: Capabilities, b: Capabilities) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def test_excel_style_save_of_one_table_loads_identically(caps: Path, tmp_path: Path) -> None:
    original = load_capabilities(Path(shutil.copytree(caps, tmp_path / "original")))
    excel_style(caps / "JPN.csv")
    data = (caps / "JPN.csv").read_bytes()
    assert data.startswith(b'\xef\xbb\xbf"pool","description",')
    assert data.count(b"\r\n") == len(read_rows(tmp_path / "original" / "JPN.csv")) + 1
    assert data.endswith(b'"",""\r\n')
    assert_same_data(original, load_capabilities(caps))


def test_excel_style_save_of_every_table_loads_identically(caps: Path, tmp_path: Path) -> None:
    original = load_capabilities(Path(shutil.copytree(caps, tmp_path / "original")))
    for path in caps.glob("*.csv"):
        excel_style(path)
    assert_same_data(original, load_capabilities(caps))


# --- 5. missions ---------------------------------------------------------------------------


@pytest.fixture
def write_mission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a mission file in the working folder, so messages name it 'mission.yaml'."""
    monkeypatch.chdir(tmp_path)

    def write(text: str) -> Path:
        path = tmp_path / "mission.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def yaml_line(path: Path, needle: str) -> int:
    found = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


def prepare_problems(mission: Path, data: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        prepare(mission, data)
    return info.value.problems


HEAD = "name: test\ndescription: a broken mission\nphases: [peacetime, crisis]\n"


def test_mission_unknown_key_is_located_with_path_and_hint(caps: Path, write_mission) -> None:
    mission = write_mission(HEAD + "requirements:\n"
                            "  - task: sea_control\n"
                            "    region: japan\n"
                            "    phase: peacetime\n"
                            "    amout: 4\n")
    problems = prepare_problems(mission, caps)
    assert Problem("mission.yaml", "unknown key 'amout'", row=yaml_line(mission, "amout:"),
                   column="requirements[0].amout", hint="did you mean amount?") in problems
    assert str(problems[-1]) == ("mission.yaml, row 8, column requirements[0].amout: unknown "
                                 "key 'amout' - did you mean amount?")
    # One message: the key it stands for being missing is not reported a second time.
    assert len(problems) == 1


def test_mission_missing_key_without_a_typo_is_reported(caps: Path, write_mission) -> None:
    mission = write_mission(HEAD + "requirements:\n"
                            "  - task: sea_control\n"
                            "    region: japan\n"
                            "    phase: peacetime\n")
    assert prepare_problems(mission, caps) == [
        Problem("mission.yaml", "required key is missing", row=yaml_line(mission, "- task:"),
                column="requirements[0].amount")]


def test_mission_unknown_task_suggests_the_close_one(caps: Path, write_mission) -> None:
    mission = write_mission(HEAD + "requirements:\n"
                            "  - {task: asw, region: japan, phase: peacetime, amount: 2}\n"
                            "  - {task: sea_contrl, region: japan, phase: crisis, amount: 3}\n")
    assert prepare_problems(mission, caps) == [
        Problem("mission.yaml", "unknown task 'sea_contrl'",
                row=yaml_line(mission, "sea_contrl"), column="requirements[1].task",
                hint="did you mean sea_control?"),
    ]


def test_mission_unknown_region_gets_no_far_fetched_suggestion(
        caps: Path, write_mission) -> None:
    """'korea' shares only 'rea' with 'rear' (similarity 0.67): no 'did you mean rear?', but
    the known regions, where the analyst finds korean_peninsula."""
    mission = write_mission(HEAD + "requirements:\n"
                            "  - {task: sea_control, region: korea, phase: crisis, amount: 3}\n"
                            "  - {task: sea_contrl, region: japan, phase: crisis, amount: 3}\n")
    problems = prepare_problems(mission, caps)
    assert [(p.column, p.message) for p in problems] == [
        ("requirements[0].region", "unknown region 'korea'"),
        ("requirements[1].task", "unknown task 'sea_contrl'")]
    assert problems[0].hint is not None and "did you mean" not in problems[0].hint
    assert "korean_peninsula" in problems[0].hint
    assert problems[1].hint == "did you mean sea_control?"


def test_mission_requirement_given_twice(caps: Path, write_mission) -> None:
    mission = write_mission(HEAD + "requirements:\n"
                            "  - {task: asw, region: japan, phase: peacetime, amount: 2}\n"
                            "  - task: asw\n"
                            "    region: japan\n"
                            "    amount: {crisis: 3, peacetime: 1}\n")
    assert prepare_problems(mission, caps) == [
        Problem("mission.yaml", "requirement asw in japan, peacetime is given twice (first at "
                f"mission.yaml row {yaml_line(mission, 'phase: peacetime, amount: 2')})",
                row=yaml_line(mission, "{crisis: 3, peacetime: 1}"),
                column="requirements[1].amount.peacetime", hint="merge the two into one amount"),
    ]


def test_mission_requirement_phase_not_among_the_mission_phases(
        caps: Path, write_mission) -> None:
    mission = write_mission(HEAD + "requirements:\n"
                            "  - {task: asw, region: japan, phase: peacetime, amount: 2}\n"
                            "  - {task: isr, region: japan, phase: conflict, amount: 1}\n")
    assert prepare_problems(mission, caps) == [
        Problem("mission.yaml", "unknown phase 'conflict' (not among the mission's phases)",
                row=yaml_line(mission, "phase: conflict"), column="requirements[1].phase",
                hint="known phases: crisis, peacetime"),
    ]


def test_mission_phase_not_in_phases_table(caps: Path, write_mission) -> None:
    mission = write_mission("name: test\ndescription: d\nphases: [peacetime, confict]\n"
                            "requirements:\n"
                            "  - {task: asw, region: japan, phase: peacetime, amount: 2}\n")
    assert prepare_problems(mission, caps) == [
        Problem("mission.yaml", "unknown phase 'confict'", row=3, column="phases[1]",
                hint="did you mean conflict?"),
    ]


def test_mission_invalid_yaml_is_located(caps: Path, write_mission) -> None:
    mission = write_mission("name: test\ndescription: d\n  phases: [peacetime]\n")
    problems = prepare_problems(mission, caps)
    assert len(problems) == 1
    (problem,) = problems
    assert (problem.file, problem.row, problem.column) == ("mission.yaml", 3, None)
    assert problem.message.startswith("not valid YAML: ")
    assert problem.hint == "check indentation and quoting"


@pytest.mark.parametrize("value", ["!!timestamp 2020-13-45", "2024-02-30", "!!int abc"])
def test_mission_value_yaml_cannot_build_is_one_located_problem(
        caps: Path, write_mission, value: str) -> None:
    """A value YAML recognises but cannot build (a timestamp whose pattern does not match
    made PyYAML fail inside its constructor, found by the fuzz test) is the file's one
    problem, with a fix, not a traceback."""
    mission = write_mission(HEAD + f"note: {value}\n")
    (problem,) = prepare_problems(mission, caps)
    assert problem.file == "mission.yaml"
    assert problem.message.startswith("a value cannot be read (")
    assert problem.hint == "quote it to keep it as text, or correct it"


def test_table_and_mission_problems_are_reported_together(caps: Path, write_mission) -> None:
    frigate, aew = break_jpn_three_ways(caps)
    mission = write_mission(HEAD + "requirements:\n"
                            "  - {task: asw, region: japan, phase: peacetime, amout: 2}\n")
    problems = prepare_problems(mission, caps)
    for expected in three_problems(frigate, aew):
        assert expected in problems
    assert Problem("mission.yaml", "unknown key 'amout'", row=5,
                   column="requirements[0].amout", hint="did you mean amount?") in problems
    assert {p.file for p in problems} == {JPN, "mission.yaml"}


def test_cli_validate_reports_table_and_mission_problems_together(
        caps: Path, tmp_path: Path) -> None:
    set_cell(caps / "JPN.csv", "aew_aircraft", "readiness", "abc")
    (tmp_path / "mission.yaml").write_text(
        HEAD + "requirements:\n  - {task: asw, region: japan, phase: peacetime, amout: 2}\n",
        encoding="utf-8")
    result = run_planner("validate", "mission.yaml", "--data", str(caps), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = error_lines(result)
    assert "error: capabilities/JPN.csv, row 7, column readiness: 'abc' is not a number - " \
           "enter a number (fraction)" in lines
    assert "error: mission.yaml, row 5, column requirements[0].amout: unknown key 'amout' - " \
           "did you mean amount?" in lines
    assert "Traceback" not in result.stdout + result.stderr


# --- 6. inputs are never modified ----------------------------------------------------------


@pytest.mark.parametrize("style", ["shipped", "excel", "broken"])
def test_validate_and_solve_never_modify_inputs(caps: Path, tmp_path: Path, style: str) -> None:
    missions = Path(shutil.copytree(REPO / "missions", tmp_path / "missions"))
    if style == "excel":
        for path in caps.glob("*.csv"):
            excel_style(path)
    elif style == "broken":
        break_jpn_three_ways(caps)
    before = digests(caps, missions)
    mission = str(missions / "baseline.yaml")

    checked = run_planner("validate", mission, "--data", str(caps), cwd=tmp_path)
    solved = run_planner("solve", mission, "--data", str(caps), "--out", "out", cwd=tmp_path)

    assert digests(caps, missions) == before
    for result in (checked, solved):
        assert "Traceback" not in result.stdout + result.stderr
    if style == "broken":
        assert (checked.returncode, solved.returncode) == (2, 2)
        assert not (tmp_path / "out").exists()
    else:
        assert checked.returncode == 0, checked.stderr
        assert solved.returncode in (0, 1), solved.stderr
        assert (tmp_path / "out" / "plan.json").is_file()


# --- regressions: bugs these tests found, now fixed ---------------------------------------


def test_header_problem_row_with_blank_line_after_header(caps: Path) -> None:
    path = caps / "JPN.csv"
    rows = read_rows(path)
    rows[0][rows[0].index("sea_control")] = "sea_contrl"
    write_rows(path, [rows[0], [], *rows[1:]])
    assert line_of(path, "pool,") == 1
    problems = [p for p in problems_of(caps) if p.column == "sea_contrl"]
    assert [p.row for p in problems] == [1]


def test_row_with_multiline_cell_is_located_at_its_first_line(caps: Path) -> None:
    path = caps / "JPN.csv"
    rows = read_rows(path)
    row = next(r for r in rows if r[0] == "destroyer")
    row[0] = "Destroyer"  # an invalid identifier, before the multi-line cell
    row[1] = "General-purpose destroyers\n(excluding Aegis)"
    write_rows(path, rows)
    line = line_of(path, "Destroyer,")
    assert problems_of(caps) == [
        Problem(JPN, "'Destroyer' is not a valid identifier", row=line, column="pool",
                hint="use lower_snake_case letters, digits and _"),
    ]


@pytest.mark.parametrize("text", ["[/b]", "[x]8"])
def test_cli_prints_cell_text_with_brackets_verbatim(
        caps: Path, tmp_path: Path, text: str) -> None:
    line = set_cell(caps / "JPN.csv", "frigate", "quantity", text)
    result = run_planner("validate", "--data", str(caps), cwd=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 2
    assert error_lines(result) == [
        f"error: capabilities/JPN.csv, row {line}, column quantity: '{text}' is not a number "
        "- enter a number (units)"
    ]


def test_mission_key_given_twice_is_an_error(tmp_path: Path) -> None:
    mission = tmp_path / "twice.yaml"
    mission.write_text(
        "name: twice\ndescription: d\nphases: [crisis]\nrequirements:\n"
        "  - {task: isr, region: japan, phase: crisis, amount: 2, amount: 9}\n",
        encoding="utf-8")
    with pytest.raises(InputError) as info:
        prepare(mission, REPO / "capabilities")
    [problem] = info.value.problems
    assert problem.row == 5
    assert problem.column == "requirements[0].amount"
    assert "given twice" in problem.message


def test_number_with_underscore_is_rejected(caps: Path) -> None:
    path = caps / "JPN.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[1][rows[0].index("quantity")] = "1_000"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    with pytest.raises(InputError) as info:
        load_capabilities(caps)
    [problem] = info.value.problems
    assert (problem.row, problem.column, problem.message) == (
        2, "quantity", "'1_000' is not a number")


def test_deeply_nested_yaml_is_refused_cleanly(tmp_path: Path) -> None:
    mission = tmp_path / "deep.yaml"
    mission.write_text("name: deep\ndescription: " + "[" * 3000 + "]" * 3000 + "\n",
                       encoding="utf-8")
    result = run_planner("validate", str(mission), cwd=tmp_path)
    assert result.returncode == 2
    # the top-level mapping counts as one level
    assert "nested 3001 levels deep; at most 32 are allowed" in result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    laughs += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]"
               for i in range(8)]
    mission = tmp_path / "laughs.yaml"
    mission.write_text("\n".join(laughs) + "\n", encoding="utf-8")
    result = run_planner("validate", str(mission), cwd=tmp_path)
    assert result.returncode == 2
    assert "laughs.yaml, row 2: YAML aliases (*name) are not accepted" in result.stderr


def test_interrupted_plan_write_leaves_the_previous_plan_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner import pipeline
    from planner.reports import output

    plan = pipeline.solve("baseline")
    folder = output.save_plan(plan, tmp_path / "plan")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def fail_midway(frame: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_midway)  # after plan.json is written
    with pytest.raises(OSError, match="disk full"):
        output.save_plan(plan, folder, force=True)
    assert output.why_not_ours(folder, "plan") is None
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]  # no staging folder left behind


def test_misspelt_header_is_one_message(caps: Path) -> None:
    path = caps / "JPN.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("quantity", "quantty", 1),
                    encoding="utf-8")
    assert problems_of(caps) == [
        Problem(JPN, "column 'quantty' should be 'quantity'", row=1, column="quantty",
                hint="rename the header to quantity")]


@pytest.mark.parametrize("mistake", ["latin1", "semicolons"])
def test_an_unreadable_reference_table_is_the_only_message(caps: Path, mistake: str) -> None:
    """Every other table names countries and tasks: while countries.csv or tasks.csv cannot
    be read, those references are not reported as unknown, one by one."""
    if mistake == "latin1":
        path = caps / "countries.csv"
        text = path.read_text(encoding="utf-8").replace("South Korea", "Corée du Sud")
        path.write_bytes(text.encode("latin-1"))
        expected = "the file is not UTF-8 text"
    else:
        path = caps / "tasks.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
        expected = "the file is separated by semicolons, not commas"
    [problem] = problems_of(caps)
    assert problem.file == f"capabilities/{path.name}" and expected in problem.message


def test_a_tab_in_yaml_is_refused_with_or_without_libyaml(tmp_path: Path) -> None:
    """libyaml accepts tabs PyYAML's own parser refuses: the same file must not be valid on
    one machine and an error on another."""
    from planner.inputs.load import read_yaml

    path = tmp_path / "m.yaml"
    path.write_text("name: m\ndescription:\tx\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_yaml(path, "m.yaml")
    [problem] = caught.value.problems
    assert problem.row == 2 and "not valid YAML" in problem.message


def test_a_cost_bearer_row_given_twice_is_named_at_both_rows(caps: Path) -> None:
    """A row of cost_bearers.csv copied (found by the fuzz test): both rows named, at the
    pool, not a sum of shares over 1 at one of them."""
    path = caps / "cost_bearers.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_capabilities(caps)
    found = [(p.row, p.column) for p in info.value.problems]
    assert found == [(2, "pool"), (len(lines) + 1, "pool")]
    assert "is given twice (rows 2 and" in info.value.problems[0].message


def test_a_phase_listed_twice_in_a_policy_is_located(caps: Path, write_mission) -> None:
    """A policy's list of names gives each once: ``phase: [crisis, crisis]`` would make two
    rows named ``policy[hold,crisis]``, which the model refuses; the mission's check says
    where instead (exit 2 from the command line, no traceback)."""
    mission = write_mission(HEAD + "requirements:\n"
                            "  - {task: sea_control, region: japan, phase: crisis, amount: 3}\n"
                            "policies:\n"
                            "  - name: hold\n"
                            "    kind: forbid\n"
                            "    country: JPN\n"
                            "    task: sea_control\n"
                            "    phase: [crisis, crisis]\n"
                            "    sentence: s\n"
                            "    source: 'assumption: test'\n")
    problems = prepare_problems(mission, caps)
    assert [(p.row, p.column) for p in problems] == [
        (yaml_line(mission, "phase: [crisis, crisis]"), "policies[0].phase")]
    # only the list's own check: not that the value is no single name either
    assert problems[0].message == "'crisis' is listed more than once: give each name once"
