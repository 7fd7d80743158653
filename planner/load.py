"""Read input files as text, keeping the line number of every row.

Nothing is interpreted here beyond splitting cells: validation needs the raw text and the
spreadsheet row so that its messages can point at the exact cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from planner.errors import Problem

ROW = "_row"  # the line number a row came from, as a spreadsheet shows it


@dataclass(frozen=True)
class RawTable:
    """A CSV file as text cells, with the line number of each row."""

    path: Path
    label: str  # how messages name the file, e.g. capabilities/JPN.csv
    header: tuple[str, ...]
    rows: tuple[dict[str, str], ...]  # each row also carries ROW
    header_row: int = 1


def label_for(path: Path, root: Path) -> str:
    """The file name as the user knows it: relative to the data folder's parent."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def decode(data: bytes, label: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text (a byte-order mark from Excel is dropped), or a problem saying how to save."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [
            Problem(
                label,
                f"the file is not UTF-8 text (byte {exc.start} cannot be read)",
                hint="save it as 'CSV UTF-8' in Excel, or with UTF-8 encoding in your editor",
            )
        ]


def read_csv(path: Path, label: str) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV as stripped text cells; blank rows and empty trailing columns are ignored."""
    text, problems = decode(path.read_bytes(), label)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1  # a record's first line: a quoted cell may span several lines
    for cells in reader:
        stripped = [c.strip() for c in cells]
        if any(stripped):
            records.append((start, stripped))
        start = reader.line_num + 1
    if not records:
        return None, [Problem(label, "the file is empty", hint="it needs a header row")]
    header_line, header = records[0]
    if len(header) == 1 and ";" in header[0]:
        return None, [
            Problem(
                label,
                "the file is separated by semicolons, not commas",
                row=header_line,
                hint="save it as 'CSV UTF-8 (comma delimited)'",
            )
        ]
    while header and header[-1] == "":
        header.pop()
    for position, name in enumerate(header, start=1):
        if name == "":
            problems.append(
                Problem(label, f"column {position} has no name", row=header_line,
                        hint="name it or delete the column")
            )
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(
                Problem(label, f"column '{name}' appears twice", row=header_line, column=name,
                        hint="keep one of them")
            )
        seen.add(name)
    rows = []
    for line, cells in records[1:]:
        extra = [c for c in cells[len(header):] if c]
        if extra:
            problems.append(
                Problem(label, f"the row has {len(cells)} cells but the header has "
                        f"{len(header)} columns", row=line,
                        hint="remove the extra cells or add a column name")
            )
        row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        row[ROW] = str(line)
        rows.append(row)
    return RawTable(path, label, tuple(header), tuple(rows), header_line), problems


def digest_files(paths: list[Path], root: Path) -> str:
    """A content hash of input files, so a plan records exactly what it was solved from."""
    sha = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        sha.update(path.relative_to(root).as_posix().encode())
        sha.update(b"\0")
        sha.update(path.read_bytes())
        sha.update(b"\0")
    return sha.hexdigest()
