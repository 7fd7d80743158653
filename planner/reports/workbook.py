"""Excel workbooks written: the capability tables (``planner export-workbook``) and a plan's
tables (``plan.xlsx`` in a plan folder, made by ``planner.reports.output``), one sheet per table.

openpyxl does the file format; cells are never written as formulas (text that a spreadsheet
would run is protected as in the CSV files), and two saves of the same content give the same
bytes. Reading workbooks is ``planner.inputs.workbook``'s.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from planner.inputs.workbook import (
    FIXED_TIME,
    POLICIES_FILE,
    POLICIES_SHEET,
    cell_value,
    sheet_name,
)
from planner.schema import tables as schema


def new_workbook() -> Any:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.properties.creator = "alliance-planner"
    return book


def add_rows(book: Any, title: str, rows: list[list[Any]]) -> None:
    """A sheet of values. Text is never a formula, and the control characters a workbook
    cannot hold (all below space but tab, newline and carriage return) become spaces."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    sheet = book.create_sheet(title)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)


def saved(book: Any) -> bytes:
    """The workbook's bytes, identical for identical content (fixed zip entry times)."""
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)",
                                 rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            zipped.writestr(fixed, content)
    return out.getvalue()


def tables_workbook(root: Path) -> bytes:
    """A capability folder as a workbook: each CSV's cells as they are written (blank rows
    too, so Excel's row numbers are the CSV's lines), and policies.yaml line by line. The
    tables are checked first: a workbook is only made of tables that load."""
    from planner.checks.validate import load_capabilities
    from planner.schema.tables import STOCK_TABLES

    capabilities = load_capabilities(root)
    names = [f"{t}.csv" for t in ("countries", "tasks", "regions", "phases")]
    names += [f"{c}.csv" for c in capabilities.country_codes]
    names += [name for name in ("cost_bearers.csv", *(t.filename for t in
                                                    schema.OPTIONAL_TABLES))
              if (root / name).is_file()]
    names += [t.filename for t in STOCK_TABLES if (root / t.filename).is_file()]
    book = new_workbook()
    for name in names:
        text = (root / name).read_bytes().decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline="")))
        add_rows(book, sheet_name(name), [[cell_value(c.strip()) for c in r] for r in records])
    policies = root / POLICIES_FILE
    if policies.is_file():
        lines = policies.read_bytes().decode("utf-8-sig").splitlines()
        add_rows(book, POLICIES_SHEET, [[line if line else None] for line in lines])
    return saved(book)
