"""Edit the capability tables from the command line, changing only what was asked.

``planner set`` rewrites the bytes of the edited cells and nothing else: column order, the
quoting of other cells, line endings, a UTF-8 byte-order mark and blank lines stay as the
analyst's spreadsheet or editor left them. ``planner new-country`` adds a country row and a
template pool table. Every edit is first applied to a temporary copy of the data folder and
validated; a change that adds a problem is refused and nothing is written. Files are replaced
atomically, and the previous version of an edited file is kept as ``<file>.bak``.
``planner schema`` prints the column reference straight from ``planner/schema/tables.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from planner.errors import InputError, Problem, unknown
from planner.inputs import paths
from planner.inputs.load import label_for, read_csv
from planner.reports.output import protect_cell, write_atomic
from planner.schema import tables as schema

BOM = codecs.BOM_UTF8
NEEDS_QUOTES = re.compile(r'[,"\r\n]')
TEMPLATE_SOURCE = "assumption: template row, replace it"
TEMPLATE_POOL = "example_pool"


# --- the column reference ------------------------------------------------------------------


def all_tables() -> tuple[schema.Table, ...]:
    return (*schema.REFERENCE_TABLES, schema.POOLS)


def find_table(name: str) -> schema.Table:
    """A table by name (tasks), file name (tasks.csv) or, for the pool table, a country code."""
    given = name.removesuffix(".csv")
    for table in all_tables():
        if given.lower() in (table.name, table.filename.removesuffix(".csv")):
            return table
    if re.match(schema.COUNTRY_PATTERN, given):
        return schema.POOLS
    message, hint = unknown("table", name, [t.name for t in all_tables()])
    raise InputError([Problem("schema", message, hint=f"{hint} (or a country code, e.g. JPN)")])


def column_range(column: schema.Column) -> str:
    if column.choices:
        return ", ".join(column.choices)
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    if low is not None:
        return f">= {low:g}"
    return f"<= {high:g}" if high is not None else ""


def column_need(column: schema.Column) -> str:
    if column.required:
        return "required"
    if column.default in (None, ""):
        return "optional"
    shown = f"{column.default:g}" if isinstance(column.default, float) else column.default
    return f"optional, default {shown}"


def column_doc(column: schema.Column) -> dict[str, Any]:
    return {**asdict(column), "range": column_range(column), "need": column_need(column)}


def data_tasks(root: Path) -> list[dict[str, str]] | None:
    """The tasks of a data folder's tasks.csv with their units, or None when it does not load."""
    path = root / schema.TASKS.filename
    if not path.is_file():
        return None
    try:
        raw, problems = read_csv(path, label_for(path, root))
    except (OSError, csv.Error):
        return None
    if raw is None or problems or schema.TASKS.key not in raw.header:
        return None
    return [{"task": r[schema.TASKS.key], "unit": r.get("unit", "")} for r in raw.rows
            if r[schema.TASKS.key]]


def schema_document(tables: list[schema.Table], root: Path) -> dict[str, Any]:
    """The reference as data (``planner schema --format json``)."""
    out: list[dict[str, Any]] = []
    for table in tables:
        entry: dict[str, Any] = {"name": table.name, "filename": table.filename,
                                 "key": table.key, "description": table.description,
                                 "columns": [column_doc(c) for c in table.columns]}
        if table is schema.POOLS:
            entry["task_columns"] = [column_doc(c) for c in schema.TASK_COLUMNS]
            entry["tasks"] = data_tasks(root)
        out.append(entry)
    return {"data_dir": paths.display(root), "tables": out}


def schema_rows(tables: list[schema.Table]) -> Any:
    """The reference as one table, a row per column of each table (``--format csv``)."""
    import pandas as pd

    rows = [{"table": table.name, "file": table.filename, "column": c.name, "kind": c.kind,
             "unit": c.unit, "need": column_need(c), "range": column_range(c),
             "meaning": c.description}
            for table in tables for c in table.columns]
    return pd.DataFrame(rows, columns=["table", "file", "column", "kind", "unit", "need",
                                       "range", "meaning"])


def print_schema(tables: list[schema.Table], root: Path, console: Any) -> None:
    """One rich table per capability table; every text comes from planner/schema/tables.py, except
    the task names read from the data folder."""
    from rich.table import Table as RichTable
    from rich.text import Text

    for number, table in enumerate(tables):
        if number:
            console.print()
        grid = RichTable(title=Text(f"{table.name}: {table.filename}, one row per {table.key}",
                                    style="bold"),
                         caption=Text(table.description), caption_justify="left",
                         title_justify="left", expand=True)
        grid.add_column("column", no_wrap=True, style="bold")
        grid.add_column("kind", no_wrap=True)
        grid.add_column("unit", max_width=12)
        grid.add_column("required", max_width=9)
        grid.add_column("range", no_wrap=True)
        grid.add_column("meaning", ratio=1, overflow="fold")
        columns = list(table.columns)
        if table is schema.POOLS:
            columns += schema.TASK_COLUMNS
        for column in columns:
            grid.add_row(*(Text(str(cell)) for cell in (
                column.name, column.kind, column.unit, column_need(column),
                column_range(column), column.description)))
        console.print(grid)
        if table is schema.POOLS:
            tasks = data_tasks(root)
            where = paths.display(root / schema.TASKS.filename)
            if tasks is None:
                console.print(Text(f"The per-task columns are named after the tasks of "
                                   f"tasks.csv; {where} could not be read (run planner "
                                   "validate)."))
            else:
                names = ", ".join(f"{t['task']} ({t['unit']})" if t["unit"] else t["task"]
                                  for t in tasks)
                console.print(Text(f"Per-task columns: for each task, '<task>', "
                                   f"'<task>{schema.TASK_COST_SUFFIX}' and, for a flow, "
                                   f"'<task>{schema.TASK_PER_SUFFIX}'. Tasks in {where}: "
                                   f"{names}."))


# --- reading a CSV file with its layout ----------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One CSV record: the lines it spans (0-based, end exclusive) and its cells as parsed."""

    start: int
    end: int
    cells: list[str]

    @property
    def row(self) -> int:
        """The line number a spreadsheet and the validator's messages show."""
        return self.start + 1

    @property
    def blank(self) -> bool:
        return not any(c.strip() for c in self.cells)


@dataclass(frozen=True)
class CsvFile:
    """A CSV file as bytes, lines and records, so that a record can be rewritten in place."""

    path: Path
    label: str
    data: bytes
    lines: list[str]
    records: list[Record]

    @property
    def bom(self) -> bool:
        return self.data.startswith(BOM)

    @property
    def content(self) -> list[Record]:
        return [r for r in self.records if not r.blank]

    @property
    def header(self) -> list[str]:
        names = [c.strip() for c in self.content[0].cells]
        while names and names[-1] == "":
            names.pop()
        return names

    @property
    def rows(self) -> list[Record]:
        return self.content[1:]

    def terminator(self, record: Record | None = None) -> str:
        """The line ending of a record (default: the header's); LF when it has none."""
        return line_ending(self.lines[(record or self.content[0]).end - 1]) or "\n"

    def encode(self, lines: list[str]) -> bytes:
        return (BOM if self.bom else b"") + "".join(lines).encode("utf-8")


def line_ending(line: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return ""


def parse_records(text: str) -> tuple[list[str], list[Record]]:
    """Lines as csv reads them (line endings kept) and the records with the lines they span."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines))
    records = []
    start = 0
    for cells in reader:
        records.append(Record(start, reader.line_num, cells))
        start = reader.line_num
    return lines, records


def read_file(path: Path, root: Path) -> CsvFile:
    """A table to edit; InputError when it cannot be read as the validator reads it."""
    label = label_for(path, root)
    try:
        raw, problems = read_csv(path, label)
        if raw is None:  # not UTF-8, not CSV, empty: the validator's own words
            raise InputError(problems)
        data = path.read_bytes()
        lines, records = parse_records(data.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(label, f"cannot be read: {getattr(exc, 'strerror', exc)}",
                                  hint="check that it is a readable UTF-8 file")]) from None
    except csv.Error as exc:
        raise InputError([Problem(label, f"is not a readable CSV file: {exc}",
                                  hint="open it in a spreadsheet and save it as CSV")]) from None
    if raw is None:
        raise InputError(problems)
    return CsvFile(path, label, data, lines, records)


def cell_spans(body: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, value) of each cell of one record's text (without its line ending), read
    as Python's csv module reads it: a cell is quoted only when its first character is '"',
    and text after the closing quote belongs to the cell."""
    position, size = 0, len(body)
    while True:
        start = position
        value = []
        if position < size and body[position] == '"':
            position += 1
            while position < size:
                if body[position] == '"':
                    if body[position + 1:position + 2] == '"':
                        value.append('"')
                        position += 2
                        continue
                    position += 1
                    break
                value.append(body[position])
                position += 1
        end = body.find(",", position)
        end = size if end < 0 else end
        value.append(body[position:end])
        yield start, end, "".join(value)
        if end == size:
            return
        position = end + 1


def open_quote(body: str) -> bool:
    """Whether the last cell of a record's text is quoted and never closed: the csv module
    reads such a cell, line endings included, to the end of the file."""
    *_, (start, end, _) = cell_spans(body)
    position = start + 1
    if body[start:start + 1] != '"':
        return False
    while position < end:
        if body[position] == '"':
            if body[position + 1:position + 2] != '"':
                return False
            position += 1
        position += 1
    return True


def format_cell(value: str) -> str:
    """A cell's text: quoted only when CSV needs it."""
    if NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def rewrite_record(file: CsvFile, record: Record, changes: dict[int, str]) -> bytes:
    """The file with the given cells of one record replaced (by column position), every other
    byte as it was."""
    text = "".join(file.lines[record.start:record.end])
    ending = line_ending(text)
    body = text[:len(text) - len(ending)]
    if open_quote(body):  # the file ends inside a quoted cell: its last line ending is text
        body, ending = text, ""
    spans = list(cell_spans(body))
    if [v for _, _, v in spans] != record.cells:
        raise InputError([Problem(file.label, "this row cannot be edited in place",
                                  row=record.row, hint="edit it in a spreadsheet")])
    missing = max(changes) + 1 - len(spans)
    if missing > 0:  # a short row: the validator reads the missing cells as blank
        if open_quote(body):  # close the last cell (same value) so the new cells follow it
            body += '"'
        body += "," * missing
        spans = list(cell_spans(body))
    for index in sorted(changes, reverse=True):
        start, end, _ = spans[index]
        body = body[:start] + format_cell(changes[index]) + body[end:]
    if not body:
        # a record of one cell made blank: an empty line reads as no cells at all, and after
        # a line ended by a bare CR its LF would join that CR into one CRLF line ending, so
        # the record would vanish; the csv module writes a lone empty cell as "" for this
        body = '""'
    lines = [*file.lines[:record.start], body + ending, *file.lines[record.end:]]
    data = file.encode(lines)
    check_rewrite(file, record, changes, data)
    return data


def check_rewrite(file: CsvFile, record: Record, changes: dict[int, str], data: bytes) -> None:
    """The rewritten file reads back as the old one with exactly the asked cells changed."""
    _, after = parse_records(data.decode("utf-8-sig"))
    expected = []
    for old in file.records:
        cells = list(old.cells)
        if old == record:
            cells += [""] * (max(changes) + 1 - len(cells))
            for index, value in changes.items():
                cells[index] = value
        expected.append(cells)
    if [r.cells for r in after] != expected or data.startswith(BOM) != file.bom:
        raise InputError([Problem(file.label, "this row cannot be edited in place: the "
                                  "rewrite would change more than the asked cells",
                                  row=record.row, hint="edit it in a spreadsheet")])


def append_record(file: CsvFile, cells: list[str]) -> bytes:
    """The file with one record added after its last non-blank record, in its line ending."""
    last = file.content[-1]
    lines = list(file.lines)
    ending = file.terminator()
    new = ",".join(format_cell(c) for c in cells)
    if line_ending(lines[last.end - 1]):
        new += ending
    else:  # the file ends without a line ending: keep it so
        lines[last.end - 1] += ending
    lines.insert(last.end, new)
    return file.encode(lines)


# --- where edits may go, validation and writing --------------------------------------------


def editable_root(data: Path | None) -> Path:
    """The data folder to edit; never the tables shipped with the planner."""
    root = paths.data_dir(data)
    packaged = paths.PACKAGE / "_shipped"
    inside_package = root.resolve().is_relative_to(packaged.resolve())
    fallback = data is None and root != Path.cwd() / "capabilities"
    if inside_package or fallback:
        raise InputError([Problem(paths.display(root), "these are the tables shipped with the "
                                  "planner; they are not edited",
                                  hint="copy them and pass --data DIR, or work in a folder "
                                  "with its own ./capabilities")])
    if not (root / schema.COUNTRIES.filename).is_file():
        raise InputError([Problem(paths.display(root), "is not a capability folder (no "
                                  f"{schema.COUNTRIES.filename})",
                                  hint="pass --data DIR with countries.csv, tasks.csv, ...")])
    return root


def problems_of(root: Path) -> list[Problem]:
    from planner.checks.validate import load_capabilities

    try:
        load_capabilities(root)
    except InputError as exc:
        return exc.problems
    return []


def check_change(root: Path, changed: dict[str, bytes]) -> list[Problem]:
    """Validate the folder with ``changed`` files (name -> bytes) on a temporary copy.

    Raises InputError with the problems the change adds; returns the problems the folder
    already had and still has (the change is allowed: it makes nothing worse)."""
    with tempfile.TemporaryDirectory(prefix=".planner-edit-") as scratch:
        # the same folder name, so the messages name files as the real folder's do
        copy = Path(scratch) / (root.resolve().name or "capabilities")
        copy.mkdir()
        for path in root.iterdir():
            if path.is_file() and (path.suffix == ".csv" or path.name == "policies.yaml"):
                shutil.copy2(path, copy / path.name)
        before = problems_of(copy)
        for name, data in changed.items():
            (copy / name).write_bytes(data)
        after = problems_of(copy)
        labels = {label_for(copy / p.name, copy): label_for(root / p.name, root)
                  for p in copy.iterdir()}
    after = [replace(p, file=labels.get(p.file, p.file)) for p in after]
    before_text = {str(replace(p, file=labels.get(p.file, p.file))) for p in before}
    added = [p for p in after if str(p) not in before_text]
    if added:
        raise InputError(added)
    return after


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def commit(file: CsvFile, data: bytes) -> None:
    """Write a file's new bytes, keeping the previous version as <file>.bak; refuse when the
    file changed since it was read. A table that is a symbolic link is edited where it points
    (the link stays a link); the backup sits beside the link, where the message says."""
    try:
        target = file.path.resolve(strict=True) if file.path.is_symlink() else file.path
        if target.read_bytes() != file.data:
            raise InputError([Problem(file.label, "changed while it was being edited; nothing "
                                      "was written", hint="run the command again")])
        write_atomic(backup_path(file.path), file.data)
        write_atomic(target, data)
    except OSError as exc:
        raise InputError([Problem(file.label, f"cannot be written: {exc.strerror}",
                                  hint="check the folder's permissions")]) from None


def warn_remaining(problems: list[Problem], console: Any) -> None:
    """Problems the folder had before an edit and still has (the edit made none worse)."""
    from rich.text import Text

    if problems:
        for problem in problems:
            console.print(Text.assemble(("warning:", "yellow"), " ", str(problem)))
        console.print(f"The folder still has {len(problems)} problem(s) it had before; run "
                      "planner validate.")


def as_text(value: str) -> str:
    """A text cell a spreadsheet would run as a formula is written as text (as protect())."""
    return str(protect_cell(value))


def clean_value(value: str, column: str) -> str:
    value = value.strip()
    if any(ord(ch) < 32 for ch in value):
        raise InputError([Problem(f"{column}=", "the value has a line break or control "
                                  "character", hint="give the value on one line")])
    return value


# --- planner set ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    column: str
    before: str
    after: str


@dataclass(frozen=True)
class Edit:
    """What ``planner set`` did."""

    label: str
    row: int
    key: str
    changes: list[Change]
    backup: str
    remaining: list[Problem]


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for text in assignments:
        column, equals, value = text.partition("=")
        column = column.strip()
        if not equals or not column:
            raise InputError([Problem(text, "not a COLUMN=VALUE assignment",
                                      hint="e.g. quantity=10 (quote values with spaces)")])
        if column in parsed:
            raise InputError([Problem(text, f"column '{column}' is given twice",
                                      hint="give each column once")])
        parsed[column] = clean_value(value, column)
    if not parsed:
        raise InputError([Problem("set", "nothing to set", hint="give COLUMN=VALUE")])
    return parsed


def country_codes(root: Path) -> list[str]:
    return sorted(p.stem for p in root.glob("*.csv") if re.match(schema.COUNTRY_PATTERN, p.stem))


def resolve_table(root: Path, name: str) -> tuple[schema.Table, Path]:
    """The table and file for a table name (countries, tasks, ...) or a country code."""
    given = name.removesuffix(".csv")
    for table in schema.REFERENCE_TABLES:
        if given == table.name or name == table.filename:
            return table, root / table.filename
    codes = country_codes(root)
    if given in codes:
        return schema.POOLS, root / f"{given}.csv"
    choices = [t.name for t in schema.REFERENCE_TABLES] + codes
    message, hint = unknown("table", name, choices)
    folded = [c for c in choices if c.lower() == given.lower()]
    if folded:
        hint = f"did you mean {folded[0]}?"
    raise InputError([Problem(paths.display(root), message,
                              hint=f"{hint} (a country code for its pool table, or "
                              "countries, tasks, regions, phases)")])


def allowed_columns(table: schema.Table, root: Path) -> list[str]:
    names = list(table.column_names)
    if table is schema.POOLS:
        for task in data_tasks(root) or []:
            names += [task["task"], f"{task['task']}{schema.TASK_COST_SUFFIX}",
                      f"{task['task']}{schema.TASK_PER_SUFFIX}"]
    return names


def column_kind(table: schema.Table, name: str) -> str:
    if name in table.column_names:
        return table.column(name).kind
    if name.endswith(schema.TASK_PER_SUFFIX):
        return schema.TASK_PER.kind  # a pool table's <task>_per columns
    return "number"  # a pool table's <task> and <task>_cost columns


def set_cells(root: Path, table_name: str, key: str, assignments: list[str]) -> Edit | None:
    """Change cells of one row; validated on a copy first. None when nothing changes."""
    values = parse_assignments(assignments)
    table, path = resolve_table(root, table_name)
    file = read_file(path, root)
    header = file.header
    known = allowed_columns(table, root)
    changes: dict[int, str] = {}
    for column, value in values.items():
        if column == table.key:
            raise InputError([Problem(file.label, f"'{column}' is the key of the table and "
                                      "is not changed by set", column=column,
                                      hint="other tables and missions refer to it: rename it "
                                      "in the file itself")])
        if column not in header:
            if column in known:
                raise InputError([Problem(file.label, f"the file has no '{column}' column",
                                          row=file.content[0].row, column=column,
                                          hint=f"add the column {column} to the header first")])
            message, hint = unknown("column", column, [*header, *known])
            raise InputError([Problem(file.label, message, hint=hint)])
        if header.count(column) > 1:
            raise InputError([Problem(file.label, f"column '{column}' appears twice",
                                      column=column, hint="keep one of them")])
        if column_kind(table, column) == "text":
            value = as_text(value)
        changes[header.index(column)] = value
    if table.key not in header:
        raise InputError([Problem(file.label, f"missing required column '{table.key}'",
                                  row=file.content[0].row, hint="run planner validate")])
    at = header.index(table.key)
    matches = [r for r in file.rows if len(r.cells) > at and r.cells[at].strip() == key]
    if not matches:
        keys = [r.cells[at].strip() for r in file.rows if len(r.cells) > at]
        message, hint = unknown(table.key, key, [k for k in keys if k])
        raise InputError([Problem(file.label, message, column=table.key, hint=hint)])
    if len(matches) > 1:
        raise InputError([Problem(file.label, f"'{key}' is on rows "
                                  f"{', '.join(str(r.row) for r in matches)}",
                                  column=table.key, hint="merge the rows or rename one first")])
    [record] = matches

    def old(index: int) -> str:
        return record.cells[index].strip() if index < len(record.cells) else ""

    done = [Change(header[i], old(i), v) for i, v in changes.items() if old(i) != v]
    if not done:
        return None
    data = rewrite_record(file, record, {header.index(c.column): c.after for c in done})
    check_cells_of(file, table, record, header, done, root)
    remaining = check_change(root, {path.name: data})
    commit(file, data)
    return Edit(file.label, record.row, key, done,
                label_for(backup_path(path), root), remaining)


def check_cells_of(file: CsvFile, table: schema.Table, record: Record, header: list[str],
                   done: list[Change], root: Path) -> None:
    """The new values checked by the validator's cell rules on their own, so a bad value is
    refused even when the folder has other problems that stop validation early."""
    from planner.checks.validate import check_cells, check_pool_tasks
    from planner.inputs.load import ROW, RawTable

    cells = [c.strip() for c in record.cells] + [""] * len(header)
    row = dict(zip(header, cells, strict=False))
    row.update({c.column: c.after for c in done})
    row[ROW] = str(record.row)
    raw = RawTable(file.path, file.label, tuple(header), (row,), file.content[0].row)
    found = check_cells(raw, table.columns)
    if table is schema.POOLS:
        found += check_pool_tasks(raw, [t["task"] for t in data_tasks(root) or []])
    touched = {c.column for c in done} | {f"{c.column}{schema.TASK_COST_SUFFIX}" for c in done}
    found = [p for p in found if p.column in touched]
    if found:
        raise InputError(found)


# --- planner new-country -------------------------------------------------------------------


@dataclass(frozen=True)
class NewCountry:
    """What ``planner new-country`` did."""

    code: str
    table: str
    countries: str
    backup: str
    remaining: list[Problem]


def template_table(tasks: list[str], ending: str, bom: bool) -> bytes:
    """A pool table: every pool column, a delivery and a cost column per task, and one
    example pool of zero units (so the plan does not change until it is filled in)."""
    fixed = [c.name for c in schema.POOLS.columns if c.name != schema.SOURCE.name]
    task_columns = [name for task in tasks
                    for name in (task, f"{task}{schema.TASK_COST_SUFFIX}")]
    header = [*fixed, *task_columns, schema.SOURCE.name]
    example = {"pool": TEMPLATE_POOL,
               "description": "Example pool: replace this row with the country's asset pools",
               "quantity": "0", "readiness": "1", "cost_per_unit": "0",
               "regions": schema.ALL_REGIONS, schema.SOURCE.name: TEMPLATE_SOURCE}
    if tasks:
        example[tasks[0]] = "1"
    row = [example.get(name, "") for name in header]
    text = "".join(",".join(format_cell(c) for c in cells) + ending for cells in (header, row))
    return (BOM if bom else b"") + text.encode("utf-8")


def new_country(root: Path, code: str, name: str | None, gdp: str, budget: str, source: str,
                home_region: str = "") -> NewCountry:
    """Add a country row and a template pool table; validated on a copy first."""
    code = code.strip()
    countries_path = root / schema.COUNTRIES.filename
    if not re.match(schema.COUNTRY_PATTERN, code):
        hint = "use three capital letters, e.g. JPN"
        if re.match(schema.COUNTRY_PATTERN, code.upper()):
            hint = f"did you mean {code.upper()}?"
        raise InputError([Problem(code, "is not an ISO 3166 alpha-3 code", hint=hint)])
    file = read_file(countries_path, root)
    header = file.header
    at = header.index(schema.COUNTRIES.key) if schema.COUNTRIES.key in header else None
    existing = [r for r in file.rows if at is not None and len(r.cells) > at
                and r.cells[at].strip() == code]
    table_path = root / f"{code}.csv"
    if existing:
        raise InputError([Problem(file.label, f"country {code} already exists",
                                  row=existing[0].row, column=schema.COUNTRIES.key,
                                  hint=f"edit it with: planner set countries {code} "
                                  "COLUMN=VALUE")])
    if table_path.exists():
        raise InputError([Problem(label_for(table_path, root), "already exists; it is left "
                                  "untouched", hint="remove it or choose another code")])
    values = {"country": code, "name": as_text(clean_value(name or code, "name")),
              "gdp_usd_bn": clean_value(gdp, "gdp"),
              "defense_budget_usd_bn": clean_value(budget, "budget"),
              "home_region": clean_value(home_region, "home-region"),
              schema.SOURCE.name: as_text(clean_value(source, "source"))}
    countries_data = append_record(file, [values.get(c, "") for c in header])
    tasks = [t["task"] for t in data_tasks(root) or []]
    table_data = template_table(tasks, file.terminator(), file.bom)
    remaining = check_change(root, {countries_path.name: countries_data,
                                    table_path.name: table_data})
    table_label = label_for(table_path, root)
    try:
        write_atomic(table_path, table_data)
    except OSError as exc:
        raise InputError([Problem(table_label, f"cannot be written: {exc.strerror}",
                                  hint="check the folder's permissions")]) from None
    try:
        commit(file, countries_data)
    except BaseException:
        table_path.unlink(missing_ok=True)  # no pool table without its country row
        raise
    return NewCountry(code, table_label, file.label,
                      label_for(backup_path(countries_path), root), remaining)
