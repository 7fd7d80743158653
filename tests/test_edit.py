"""Editing commands: `planner schema`, `planner new-country` and `planner set`.

Edits run on a private copy of the shipped tables; every test checks the bytes on disk, so a
change touches exactly the cells asked for and a refused change touches nothing.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.inputs import edit, paths
from planner.schema import tables as schema

from .conftest import REPO, run_planner

BOM = b"\xef\xbb\xbf"
TABLES = (*schema.REFERENCE_TABLES, schema.POOLS)


def tasks_of(root: Path) -> list[str]:
    with (root / "tasks.csv").open(newline="", encoding="utf-8-sig") as f:
        return [row["task"] for row in csv.DictReader(f)]


def changed_region(old: bytes, new: bytes) -> tuple[int, bytes, bytes]:
    """Where two byte strings differ: (offset, old middle, new middle) after the common
    prefix and suffix."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while (end < min(len(old), len(new)) - start
           and old[len(old) - 1 - end] == new[len(new) - 1 - end]):
        end += 1
    return start, old[start:len(old) - end], new[start:len(new) - end]


def excel_style(path: Path) -> bytes:
    """Rewrite a file as Excel saves 'CSV UTF-8': a byte-order mark and CRLF line ends (and a
    blank line at the end, as a careless edit leaves)."""
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    data = BOM + (text + "\n").replace("\n", "\r\n").encode("utf-8")
    path.write_bytes(data)
    return data


def plan_pool(folder: Path, country: str, pool: str) -> dict:
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    [found] = [p for p in plan["pools"] if (p["country"], p["pool"]) == (country, pool)]
    return found


# --- planner schema ------------------------------------------------------------------------


def test_schema_json_is_the_schema_module(shipped_copy: Path) -> None:
    result = run_planner("schema", "--format", "json", "--data", str(shipped_copy),
                         cwd=shipped_copy.parent)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [t["name"] for t in document["tables"]] == [t.name for t in TABLES]
    for table, shown in zip(TABLES, document["tables"], strict=True):
        assert (shown["filename"], shown["key"], shown["description"]) == (
            table.filename, table.key, table.description)
        fields = ("name", "kind", "unit", "required", "default", "minimum", "maximum",
                  "description")
        assert [tuple(c[f] for f in fields) for c in shown["columns"]] == [
            tuple(getattr(c, f) for f in fields) for c in table.columns]
    pools = document["tables"][-1]
    assert [c["name"] for c in pools["task_columns"]] == ["<task>", "<task>_cost",
                                                          "<task>_per"]
    assert [t["task"] for t in pools["tasks"]] == tasks_of(shipped_copy)


def test_schema_text_lists_every_column_of_every_table(shipped_copy: Path) -> None:
    result = run_planner("schema", "--data", str(shipped_copy), cwd=shipped_copy.parent)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for table in TABLES:
        assert f"{table.name}: {table.filename}" in out
        for column in table.columns:
            assert f"│ {column.name} " in out, (table.name, column.name)
            assert column.kind in out
            if column.unit:
                assert column.unit.split()[0] in out
    assert "│ <task> " in out and "│ <task>_cost " in out
    assert "0 to 1" in out and ">= 0" in out  # readiness range, minimums
    flat = " ".join(out.split())
    for task in tasks_of(shipped_copy):
        assert task in flat


def test_schema_of_one_table_and_unknown_table(shipped_copy: Path) -> None:
    result = run_planner("schema", "JPN", "--data", str(shipped_copy), cwd=shipped_copy.parent)
    assert result.returncode == 0, result.stderr
    assert "pools: <country>.csv" in result.stdout and "countries.csv" not in result.stdout
    result = run_planner("schema", "taks", cwd=shipped_copy.parent)
    assert result.returncode == 2
    assert "unknown table 'taks' - did you mean tasks?" in result.stderr
    assert "Traceback" not in result.stderr


# --- planner new-country -------------------------------------------------------------------


def test_new_country_validates_and_solves(shipped_copy: Path, tmp_path: Path) -> None:
    before = (shipped_copy / "countries.csv").read_bytes()
    result = run_planner("new-country", "NZL", "--name", "New Zealand", "--gdp", "470",
                         "--budget", "4.2", "--source", "assumption: test",
                         "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = (shipped_copy / "countries.csv").read_bytes()
    assert after == before + b"NZL,New Zealand,470,4.2,,assumption: test\n"
    assert (shipped_copy / "countries.csv.bak").read_bytes() == before
    with (shipped_copy / "NZL.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    tasks = tasks_of(shipped_copy)
    assert header == [*[c.name for c in schema.POOLS.columns[:-1]],
                      *[n for t in tasks for n in (t, f"{t}_cost")], "source"]
    assert len(rows) == 1 and rows[0]["source"] == "assumption: template row, replace it"
    assert run_planner("validate", "--data", str(shipped_copy), cwd=tmp_path).returncode == 0
    result = run_planner("solve", "--data", str(shipped_copy), "--no-save", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_new_country_keeps_an_excel_folder_excel_style(shipped_copy: Path,
                                                       tmp_path: Path) -> None:
    before = excel_style(shipped_copy / "countries.csv")
    result = run_planner("new-country", "NZL", "--gdp", "1,800", "--budget", "33",
                         "--source", "assumption: test, with a comma", "--data",
                         str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = (shipped_copy / "countries.csv").read_bytes()
    head, blank = before[:-2], before[-2:]  # the new row goes before the trailing blank line
    assert blank == b"\r\n"
    assert after == head + b'NZL,NZL,"1,800",33,,"assumption: test, with a comma"\r\n' + blank
    table = (shipped_copy / "NZL.csv").read_bytes()
    assert table.startswith(BOM) and table.count(b"\r\n") == 2
    assert b"\n" not in table.replace(b"\r\n", b"")
    assert run_planner("validate", "--data", str(shipped_copy), cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(("code", "options", "message"), [
    ("JPN", [], "country JPN already exists"),
    ("nzl", [], "did you mean NZL?"),
    ("PH", [], "is not an ISO 3166 alpha-3 code"),
    ("NZL", ["--gdp", "abc"], "column gdp_usd_bn: 'abc' is not a number"),
    ("NZL", ["--budget", "-3"], "column defense_budget_usd_bn: -3 is below the minimum 0"),
    ("NZL", ["--home-region", "luzon"], "unknown region 'luzon'"),
])
def test_new_country_refuses_and_writes_nothing(shipped_copy: Path, tmp_path: Path, code: str,
                                                options: list[str], message: str) -> None:
    before = {p.name: p.read_bytes() for p in shipped_copy.iterdir()}
    defaults = {"--gdp": "470", "--budget": "4.2", "--source": "assumption: test"}
    given_options = dict(zip(options[::2], options[1::2], strict=True))
    args = [a for k, v in {**defaults, **given_options}.items() for a in (k, v)]
    result = run_planner("new-country", code, *args, "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in shipped_copy.iterdir()} == before


def test_new_country_needs_its_numbers(shipped_copy: Path, tmp_path: Path) -> None:
    result = run_planner("new-country", "NZL", "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 2
    assert "--gdp" in result.stderr
    assert not (shipped_copy / "NZL.csv").exists()


# --- planner set ---------------------------------------------------------------------------


def test_set_changes_only_the_cell(shipped_copy: Path, tmp_path: Path) -> None:
    path = shipped_copy / "JPN.csv"
    before = path.read_bytes()
    result = run_planner("set", "JPN", "aegis_ddg", "quantity=10", "--data", str(shipped_copy),
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "quantity 8 -> 10" in result.stdout
    after = path.read_bytes()
    offset, old, new = changed_region(before, after)
    assert (old, new) == (b"8", b"10")
    line = before[:offset].rsplit(b"\n", 1)[-1]
    assert line == b'aegis_ddg,"Aegis destroyers (Kongo, Atago, Maya classes)",'  # quantity
    assert (shipped_copy / "JPN.csv.bak").read_bytes() == before


def test_set_keeps_crlf_bom_quoting_and_blank_lines(shipped_copy: Path, tmp_path: Path) -> None:
    path = shipped_copy / "KOR.csv"
    before = excel_style(path)
    result = run_planner("set", "KOR", "submarine", "quantity=19", "readiness=0.6",
                         "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = path.read_bytes()
    old_row = b'submarine,"Chang Bogo, Son Won-il and Dosan Ahn Changho submarines",20,0.67,'
    new_row = b'submarine,"Chang Bogo, Son Won-il and Dosan Ahn Changho submarines",19,0.6,'
    assert before.count(old_row) == 1
    assert after == before.replace(old_row, new_row)
    assert after.startswith(BOM) and after.endswith(b"\r\n\r\n")
    assert (shipped_copy / "KOR.csv.bak").read_bytes() == before
    assert run_planner("validate", "--data", str(shipped_copy), cwd=tmp_path).returncode == 0


def test_set_quotes_a_new_value_only_when_needed(shipped_copy: Path, tmp_path: Path) -> None:
    path = shipped_copy / "JPN.csv"
    before = path.read_bytes()
    result = run_planner("set", "JPN", "frigate", 'description=Frigates, "escorts"',
                         "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == before.replace(b"frigate,Frigates and destroyer escorts,",
                                               b'frigate,"Frigates, ""escorts""",')
    # a quoted cell given a plain value is written plain; the other quoted cells stay quoted
    result = run_planner("set", "JPN", "frigate", "description=Frigates",
                         "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == before.replace(b"frigate,Frigates and destroyer escorts,",
                                               b"frigate,Frigates,")


def test_set_writes_text_that_looks_like_a_formula_as_text(shipped_copy: Path,
                                                           tmp_path: Path) -> None:
    result = run_planner("set", "countries", "JPN", "name==HYPERLINK(1)",
                         "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert b"\nJPN,'=HYPERLINK(1),3950," in (shipped_copy / "countries.csv").read_bytes()


@pytest.mark.parametrize(("assignment", "message"), [
    ("readiness=1.5", "row 2, column readiness: 1.5 is above the maximum 1"),
    ("quantity=abc", "row 2, column quantity: 'abc' is not a number"),
    ("quantity=", "row 2, column quantity: the cell is blank"),
    ("regions=japan;mars", "row 2, column regions: unknown region 'mars'"),
    ("air_missile_defense=", "row 2, column air_missile_defense_cost: a cost is given for "
     "air_missile_defense but the pool does not deliver"),
    ("sea_control=-1", "row 2, column sea_control: -1 is below the minimum 0"),
])
def test_set_refuses_an_invalid_value_and_writes_nothing(shipped_copy: Path, tmp_path: Path,
                                                         assignment: str, message: str) -> None:
    path = shipped_copy / "JPN.csv"
    before = path.read_bytes()
    result = run_planner("set", "JPN", "aegis_ddg", assignment, "--data", str(shipped_copy),
                         cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert f"capabilities/JPN.csv, {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == before
    assert not (shipped_copy / "JPN.csv.bak").exists()


def test_set_refuses_changes_that_break_other_tables(shipped_copy: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in shipped_copy.iterdir()}
    result = run_planner("set", "countries", "KOR", "home_region=mars",
                         "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 2
    assert "column home_region: unknown region 'mars'" in result.stderr
    assert {p.name: p.read_bytes() for p in shipped_copy.iterdir()} == before


@pytest.mark.parametrize(("args", "message"), [
    (["JNP", "aegis_ddg", "quantity=1"], "unknown table 'JNP' - did you mean JPN?"),
    (["JAP", "aegis_ddg", "quantity=1"], "unknown table 'JAP' - known tables: AUS, JPN, "),
    (["jpn", "aegis_ddg", "quantity=1"], "did you mean JPN?"),
    (["task", "isr", "unit=orbits"], "did you mean tasks?"),
    (["JPN", "aegis", "quantity=1"], "unknown pool 'aegis' - did you mean aegis_ddg?"),
    (["JPN", "aegis_ddg", "quantiy=1"], "unknown column 'quantiy' - did you mean quantity?"),
    (["JPN", "aegis_ddg", "quantity"], "not a COLUMN=VALUE assignment"),
    (["JPN", "aegis_ddg", "quantity=1", "quantity=2"], "column 'quantity' is given twice"),
    (["JPN", "aegis_ddg", "pool=aegis"], "'pool' is the key of the table"),
    (["JPN", "aegis_ddg", "interceptor_supply_cost=1"],
     "the file has no 'interceptor_supply_cost' column"),
    (["countries", "FRA", "name=France"], "unknown country 'FRA'"),
])
def test_set_unknown_names_are_refused_with_suggestions(shipped_copy: Path, tmp_path: Path,
                                                        args: list[str], message: str) -> None:
    before = {p.name: p.read_bytes() for p in shipped_copy.iterdir()}
    result = run_planner("set", *args, "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in shipped_copy.iterdir()} == before


def test_set_same_value_writes_nothing(shipped_copy: Path, tmp_path: Path) -> None:
    before = (shipped_copy / "JPN.csv").read_bytes()
    result = run_planner("set", "JPN", "aegis_ddg", "quantity=8", "--data", str(shipped_copy),
                         cwd=tmp_path)
    assert result.returncode == 0 and "Nothing to change" in result.stdout
    assert (shipped_copy / "JPN.csv").read_bytes() == before
    assert not (shipped_copy / "JPN.csv.bak").exists()


def test_set_refuses_the_shipped_tables(tmp_path: Path) -> None:
    """Without --data or ./capabilities the tables are the planner's own: never edited. The
    value given is the current one, so even a wrong acceptance could not change them."""
    before = (REPO / "capabilities" / "JPN.csv").read_bytes()
    for args in (["set", "JPN", "aegis_ddg", "quantity=8"],
                 ["new-country", "NZL", "--gdp", "1", "--budget", "1", "--source", "x"]):
        result = run_planner(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert "tables shipped with the planner" in result.stderr
        assert "--data" in result.stderr
    assert (REPO / "capabilities" / "JPN.csv").read_bytes() == before
    assert not (REPO / "capabilities" / "JPN.csv.bak").exists()
    assert not (REPO / "capabilities" / "NZL.csv").exists()


def test_packaged_tables_are_refused_even_with_data(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "planner"
    inside = Path(shutil.copytree(REPO / "capabilities", package / "_shipped" / "capabilities"))
    monkeypatch.setattr(paths, "PACKAGE", package)
    with pytest.raises(InputError, match="shipped with the planner"):
        edit.editable_root(inside)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="shipped with the planner"):
        edit.editable_root(None)
    local = Path(shutil.copytree(REPO / "capabilities", tmp_path / "capabilities"))
    assert edit.editable_root(None) == local


def test_a_local_capabilities_folder_is_edited_without_data(shipped_copy: Path) -> None:
    result = run_planner("set", "JPN", "aegis_ddg", "quantity=9", cwd=shipped_copy.parent)
    assert result.returncode == 0, result.stderr
    assert b",9,0.67," in (shipped_copy / "JPN.csv").read_bytes()


def test_set_is_allowed_in_a_broken_folder_when_it_breaks_nothing(shipped_copy: Path,
                                                                  tmp_path: Path) -> None:
    kor = shipped_copy / "KOR.csv"
    kor.write_bytes(kor.read_bytes().replace(b"submarine,", b"Submarine,"))  # a bad pool id
    result = run_planner("set", "JPN", "aegis_ddg", "quantity=9", "--data", str(shipped_copy),
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: capabilities/KOR.csv, row 4, column pool" in result.stderr
    assert "still has 1 problem(s)" in result.stderr
    before = (shipped_copy / "JPN.csv").read_bytes()
    result = run_planner("set", "JPN", "aegis_ddg", "quantity=nine", "--data",
                         str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 2 and "'nine' is not a number" in result.stderr
    assert "KOR.csv" not in result.stderr  # only what the change would add
    assert (shipped_copy / "JPN.csv").read_bytes() == before


def test_solve_after_set_uses_the_new_quantity(shipped_copy: Path, tmp_path: Path) -> None:
    result = run_planner("set", "JPN", "aegis_ddg", "quantity=12", "readiness=0.5",
                         "--data", str(shipped_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = run_planner("solve", "--data", str(shipped_copy), "--out", str(tmp_path / "plan"),
                         cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    pool = plan_pool(tmp_path / "plan", "JPN", "aegis_ddg")
    assert (pool["quantity"], pool["readiness"]) == (12, 0.5)


# --- the in-place rewrite itself -----------------------------------------------------------


def write_table(root: Path, rows: list[list[str]], ending: str, bom: bool) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=ending).writerows(rows)
    path = root / "t.csv"
    path.write_bytes((BOM if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


cell_text = st.text(alphabet='ab ,"\n\r;é', max_size=6).map(str.strip)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(cell_text, min_size=3, max_size=3), min_size=2, max_size=5),
       ending=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(), value=cell_text,
       row=st.integers(1, 4), column=st.integers(0, 2))
@example(rows=[["", "", ";\r;"], ["", "", ""]], ending="\n", bom=False, value="", row=2,
         column=2)
@example(rows=[["", "", ";\r;"], ["", "", ""]], ending="\n", bom=False, value="", row=2,
         column=0)
def test_rewrite_changes_exactly_one_cell(tmp_path_factory: pytest.TempPathFactory,
                                          rows: list[list[str]], ending: str, bom: bool,
                                          value: str, row: int, column: int) -> None:
    rows = [["k", "x", "y"], *[[f"r{i}", *r[1:]] for i, r in enumerate(rows)]]
    root = tmp_path_factory.mktemp("t")
    path = write_table(root, rows, ending, bom)
    file = edit.read_file(path, root)
    record = file.rows[min(row, len(file.rows)) - 1]
    data = edit.rewrite_record(file, record, {column: value})  # checks the read-back itself
    head = (BOM if bom else b"") + "".join(file.lines[:record.start]).encode("utf-8")
    tail = "".join(file.lines[record.end:]).encode("utf-8")
    assert data.startswith(head) and data.endswith(tail)
    cells = list(csv.reader(io.StringIO(data[len(head):len(data) - len(tail)]
                                       .decode("utf-8"), newline="")))
    # a short record is first padded with blank cells up to the edited column, as the
    # validator reads missing cells as blank (e.g. a bare CR, which csv.writer leaves unquoted
    # under a LF lineterminator, ends a record early: r0,,;<CR>;<LF> is two records)
    old = record.cells + [""] * (column + 1 - len(record.cells))
    assert cells == [[*old[:column], value, *old[column + 1:]]]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab ,"', max_size=12))
def test_cells_are_found_as_the_csv_module_reads_them(body: str) -> None:
    [expected] = list(csv.reader([body])) or [[""]]
    assert [v for _, _, v in edit.cell_spans(body)] == (expected or [""])


@pytest.mark.parametrize(("before", "at", "changes", "after"), [
    # a one-cell record made blank is written "" (an empty line would read as no cells, and
    # here its LF would join the bare CR before it into one CRLF)
    (b"k,x,y\nr0,,;\r;\nr1,,\n", 1, {0: ""}, b'k,x,y\nr0,,;\r""\nr1,,\n'),
    # a file ending inside a quoted cell: the CR is the cell's; the cell is closed (same
    # value) before the cells a short row is padded with
    (b'k,x,y\nr0,"a\r', 0, {2: "b"}, b'k,x,y\nr0,"a\r",b'),
    (b'k,x,y\nr0,"a\r', 0, {0: "r1"}, b'k,x,y\nr1,"a\r'),
])
def test_rewrite_of_records_csv_writer_does_not_write(tmp_path: Path, before: bytes, at: int,
                                                      changes: dict[int, str],
                                                      after: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(before)
    file = edit.read_file(path, tmp_path)
    assert edit.rewrite_record(file, file.rows[at], changes) == after
