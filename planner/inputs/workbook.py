"""Excel workbooks read as capability tables: one sheet per table.

Analysts who live in Excel keep their tables in one workbook. ``--data tables.xlsx`` reads it
by unpacking each sheet into the CSV text the folder loader reads, so a workbook is checked
by exactly the same rules as the CSV files; the messages then name the workbook, the sheet,
the row as Excel numbers it and the column. ``planner export-workbook`` writes the tables of a
folder into a workbook (numbers as numbers, everything else as text) and
``planner import-workbook`` writes a workbook back as a folder; a cell's text survives both
ways unchanged. Standing policies (``policies.yaml``) sit in a sheet ``policies``, one line of
YAML per row in column A.

openpyxl does the file format. This module only reads and unpacks; the checks of the unpacked
tables are ``planner.checks.validate``'s, and writing workbooks (the tables, a plan's tables)
is ``planner.reports.workbook``'s.
"""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from planner.errors import InputError, Problem

POLICIES_SHEET = "policies"
POLICIES_FILE = "policies.yaml"
MAX_ROWS = 100_000  # per sheet: far above any theatre's tables, far below what hangs a read
PLAIN_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d*[1-9])?$")
FIXED_TIME = datetime(2000, 1, 1)  # workbook properties: two saves of one plan are identical


def is_workbook(path: Path | None) -> bool:
    return path is not None and path.suffix.lower() in (".xlsx", ".xlsm")


def cell_text(value: Any) -> str:
    """What a cell holds, as the text a CSV cell would: numbers in their shortest exact form
    (20, not 20.0), dates as ISO dates, booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell_value(text: str) -> str | int | float | None:
    """The value to store for a CSV cell: a number when the text is a plain number whose
    stored form reads back as the same text, else the text itself."""
    if text == "":
        return None
    if PLAIN_NUMBER.match(text):
        number: int | float = int(text) if "." not in text else float(text)
        if cell_text(number) == text:
            return number
    return text


def sheet_name(file_name: str) -> str:
    return POLICIES_SHEET if file_name == POLICIES_FILE else Path(file_name).stem


def file_name(sheet: str) -> str:
    return POLICIES_FILE if sheet == POLICIES_SHEET else f"{sheet}.csv"


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unpacked:
    """A workbook laid out as a capability folder, and how to name its places in messages."""

    folder: Path
    label: str  # the workbook as messages name it
    lines: dict[str, dict[int, int]]  # file name -> {CSV line of a record: sheet row}

    def relabel(self, problem: Problem) -> Problem:
        """A problem found in the unpacked folder, named by workbook, sheet, row and column."""
        name = Path(problem.file).name
        prefix = f"{self.folder.name}/"
        if not problem.file.startswith(prefix) and problem.file != str(self.folder / name):
            return problem
        row = self.lines.get(name, {}).get(problem.row, problem.row) if problem.row else None
        return replace(problem, file=f"{self.label}, sheet {sheet_name(name)}", row=row,
                       message=self.words(problem.message),
                       hint=self.words(problem.hint) if problem.hint else problem.hint)

    def words(self, text: str) -> str:
        """File names in a message as the sheets the user sees."""
        def sheet(match: re.Match[str]) -> str:
            return f"sheet {sheet_name(match.group(0))}"
        text = text.replace("remove the file", "remove the sheet")
        text = re.sub(r"\btable ([A-Za-z_][A-Za-z0-9_]*)\.csv\b", r"sheet \1", text)
        return re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\.csv\b|\bpolicies\.yaml\b", sheet, text)


def open_workbook(path: Path, label: str) -> Any:
    from openpyxl import load_workbook

    if not path.is_file():
        raise InputError([Problem(label, "the workbook does not exist",
                                  hint="give the path of an .xlsx file, or a folder of CSVs")])
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError([Problem(label, f"the file cannot be read as an Excel workbook ({exc})",
                                  hint="save it from Excel as 'Excel Workbook (.xlsx)'")]
                         ) from None


@contextmanager
def unpacked(path: Path, label: str) -> Iterator[Unpacked]:
    """The workbook's sheets as CSV files (and policies.yaml) in a temporary folder named
    ``capabilities``, removed afterwards."""
    book = open_workbook(path, label)
    problems: list[Problem] = []
    temporary = Path(tempfile.mkdtemp(prefix=".workbook-"))
    folder = temporary / "capabilities"
    folder.mkdir()
    lines: dict[str, dict[int, int]] = {}
    try:
        for worksheet in book.worksheets:
            name = file_name(worksheet.title)
            where = f"{label}, sheet {worksheet.title}"
            rows = []
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS:
                    problems.append(Problem(where, f"the sheet has more than {MAX_ROWS:,} "
                                            "rows", hint="a capability table needs far fewer: "
                                            "check for stray content far down the sheet"))
                    break
                rows.append([cell_text(v) for v in row])
            if name == POLICIES_FILE:
                extra = [i for i, r in enumerate(rows, start=1) if any(c for c in r[1:])]
                if extra:
                    problems.append(Problem(where, "only column A holds the policies' YAML",
                                            row=extra[0], hint="one line of YAML per row, "
                                            "in column A"))
                text = "\n".join(r[0] if r else "" for r in rows) + "\n"
                (folder / name).write_text(text, encoding="utf-8")
                continue
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            starts: dict[int, int] = {}
            line = 1
            for number, cells in enumerate(rows, start=1):
                starts[line] = number
                before = buffer.tell()
                writer.writerow(cells)
                line += buffer.getvalue()[before:].count("\n")
            lines[name] = starts
            (folder / name).write_text(buffer.getvalue(), encoding="utf-8")
        book.close()
        if problems:
            raise InputError(problems)
        yield Unpacked(folder, label, lines)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
