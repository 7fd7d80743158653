"""Read input files as text, keeping the line number of every row.

Nothing is interpreted here beyond splitting cells: validation needs the raw text and the
spreadsheet row so that its messages can point at the exact cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, Problem, refusal

MAX_YAML_BYTES = 2_000_000
MAX_TABLE_BYTES = 100_000_000  # far above any theatre's tables; a memory error's far below
SURROGATE_ESCAPE = re.compile(  # a YAML escape of half a UTF-16 pair
    r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
MAX_YAML_DEPTH = 32  # PyYAML builds documents recursively: refuse before it overflows
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


def read_input(path: Path, label: str, limit: int, hint: str,
               too_large: Callable[[int], str] | None = None) -> bytes:
    """An input file's bytes, once it is known to be a plain file (a FIFO or a device would
    block or never end) no larger than ``limit``: the size is checked before reading, and
    no more than ``limit`` bytes are ever read."""
    import stat

    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError([Problem(label, "does not exist", hint="check the path")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError([Problem(label, "is a folder, not a file", hint="check the path")])
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(label, "is not a plain file (a pipe, a device or a "
                                  "socket)", hint="give a saved file")])
    def message(size: int) -> str:
        return too_large(size) if too_large else (
            f"the file is {size:,} bytes; such files are limited to {limit:,}")

    if info.st_size > limit:
        raise InputError([Problem(label, message(info.st_size), hint=hint)])
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise InputError([Problem(label, message(len(data)), hint=hint)])
    return data


def read_optional(root: Path, file: str, check: Callable[[RawTable], list[Problem]],
                  columns: list[str]) -> tuple[list[dict[str, str]] | None, list[Problem]]:
    """An optional table of a capability folder (cost bearers, platforms), with exactly
    ``columns``: its rows' cells, or None with its problems (every one located) when it is
    absent (no problem) or wrong."""
    path = root / file
    if not path.exists():
        return None, []
    raw, problems = read_csv(path, label_for(path, root))
    if raw is None:
        return None, problems
    missing = [c for c in columns if c not in raw.header]
    extra = [c for c in raw.header if c not in columns]
    if missing or extra:  # the rows cannot be read: their checks would only repeat it
        return None, [*problems, Problem(
            raw.label, f"columns {', '.join(missing)} missing" if missing else
            f"unknown column {', '.join(extra)}", row=raw.header_row,
            hint=f"the columns are {', '.join(columns)}")]
    problems += check(raw)
    if problems:
        return None, problems
    return [{c: r[c] for c in columns} for r in raw.rows], []


def read_csv(path: Path, label: str) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV as stripped text cells; blank rows and empty trailing columns are ignored."""
    try:
        data = read_input(path, label, MAX_TABLE_BYTES, "split the table")
    except InputError as exc:
        return None, exc.problems
    text, problems = decode(data, label)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1  # a record's first line: a quoted cell may span several lines
    try:
        for cells in reader:
            stripped = [c.strip() for c in cells]
            if any(stripped):
                records.append((start, stripped))
            start = reader.line_num + 1
    except csv.Error as exc:  # a NUL byte, a cell over the csv module's size limit...
        return None, [Problem(label, f"the file cannot be read as CSV here ({exc})", row=start,
                              hint="check this row for a stray quote or binary content, "
                              "or save the table again as CSV UTF-8")]
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


def yaml_structure(text: str, loader: type = yaml.SafeLoader
                   ) -> tuple[dict[tuple[Any, ...], int], list[tuple[Any, ...]]]:
    """Lines of every key path, and the key paths given twice (YAML keeps the last silently)."""
    lines: dict[tuple[Any, ...], int] = {}
    duplicates: list[tuple[Any, ...]] = []

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, value in node.value:
                child = (*path, key.value)
                if key.value in seen:
                    duplicates.append(child)
                seen.add(key.value)
                walk(value, child)
                lines[child] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return lines, duplicates
    if root is not None:
        walk(root, ())
    return lines, duplicates


def format_path(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def locate(label: str, lines: dict[tuple[Any, ...], int], path: tuple[Any, ...], message: str,
           hint: str | None = None) -> Problem:
    """A problem at a key path, with the nearest line that exists in the document."""
    probe = path
    while probe and probe not in lines:
        probe = probe[:-1]
    return Problem(label, message, row=lines.get(probe), column=format_path(path), hint=hint)


@dataclass(frozen=True)
class Where:
    """Where each key path of a YAML document was written, so a problem names its file and
    line. A mission merged from the missions it extends redirects the inherited parts to the
    file and key path they came from."""

    label: str
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    inherited: dict[tuple[Any, ...], tuple[Where, tuple[Any, ...]]] = field(
        default_factory=dict)

    def problem(self, path: tuple[Any, ...], message: str, hint: str | None = None) -> Problem:
        for prefix, (origin, original) in self.inherited.items():
            if path[:len(prefix)] == prefix:
                return origin.problem((*original, *path[len(prefix):]), message, hint)
        return locate(self.label, self.lines, path, message, hint)

    def place(self, path: tuple[Any, ...]) -> str:
        """Where a key path was written, for messages that point back to it."""
        found = self.problem(path, "")
        return f"{found.file} row {found.row}"


def shape(text: str, loader: type = yaml.SafeLoader) -> tuple[int, int | None]:
    """The deepest nesting of mappings and sequences, and the line of the first alias, from
    the parser's event stream (which, unlike building the document, does not recurse)."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            return deepest, event.start_mark.line + 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest, None


FAST_LOADER: type | None = getattr(yaml, "CSafeLoader", None)  # libyaml, when PyYAML has it


def quick_read(text: str) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]] | None:
    """A well-formed, plain document read with libyaml (a few milliseconds, where PyYAML's
    own parser takes tens); None whenever anything is unusual, so that the careful reader
    below reports it with its usual messages."""
    if FAST_LOADER is None or "\t" in text or SURROGATE_ESCAPE.search(text):
        return None  # libyaml accepts tabs where PyYAML's own parser refuses them
    try:
        depth, alias = shape(text, FAST_LOADER)
        if depth > MAX_YAML_DEPTH or alias is not None:
            return None
        document = yaml.load(text, Loader=FAST_LOADER)  # CSafeLoader: as safe as safe_load
        lines, duplicates = yaml_structure(text, FAST_LOADER)
    except (yaml.YAMLError, ValueError, IndexError, KeyError, TypeError, OverflowError,
            AttributeError, RecursionError):
        return None
    if not isinstance(document, dict) or duplicates:
        return None
    return document, lines


# What no YAML file may be, whatever its keys (missions and capabilities/policies.yaml). The
# first two have no example short enough to print.
TOO_LARGE = refusal(
    "YAML", f"A file larger than {MAX_YAML_BYTES:,} bytes.",
    "the file is {size} bytes; YAML files are limited to {limit}")
NOT_UTF8 = refusal(
    "YAML", "A file that is not UTF-8 text (a Latin-1 export, say).",
    "the file is not UTF-8 text")
TOO_DEEP = refusal(
    "YAML", f"A document nested more than {MAX_YAML_DEPTH} levels deep.",
    "the document is nested {depth} levels deep; at most {limit} are allowed",
    "a: " + "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1))
ALIAS = refusal(
    "YAML", "An alias (`*name`).",
    "YAML aliases (*name) are not accepted: a few of them can expand into a huge document",
    "a: &x 1\nb: *x")
UNREADABLE_VALUE = refusal(
    "YAML", "A value YAML recognises but cannot build, such as a date that does not exist.",
    "a value cannot be read ({reason})", "a: 2024-02-30")
NOT_YAML = refusal("YAML", "Text that is not YAML.", "not valid YAML: {reason}", "a: [1")
NOT_A_MAPPING = refusal(
    "YAML", "A document that is not a mapping of keys.",
    "the file must be a mapping of keys (name: value)", "- a")
HALF_CHARACTER = refusal(
    "YAML", "An escape of half a UTF-16 pair, which cannot be written back out.",
    "'{escape}' is half of a character, not text", 'a: "\\ud800"')
KEY_TWICE = refusal(
    "YAML", "A key given twice in one mapping (YAML would silently keep the last).",
    "key '{key}' is given twice", "a: 1\na: 2")


def read_yaml(path: Path, label: str) -> tuple[dict[str, Any], Where]:
    """A mapping from a YAML file, loaded safely; InputError when it cannot be one."""
    data = read_input(path, label, MAX_YAML_BYTES, "split the file",
                      lambda size: TOO_LARGE.text(size=f"{size:,}",
                                                  limit=f"{MAX_YAML_BYTES:,}"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(label, NOT_UTF8.text(),
                                  hint="save it with UTF-8 encoding")]) from None
    quick = quick_read(text)
    if quick is not None:
        return quick[0], Where(label, quick[1])
    try:
        depth, alias = shape(text)
        if depth > MAX_YAML_DEPTH:
            raise InputError([Problem(label, TOO_DEEP.text(depth=depth,
                                                           limit=MAX_YAML_DEPTH),
                                      hint="a mission needs only a few levels")])
        if alias is not None:
            raise InputError([Problem(label, ALIAS.text(),
                                      row=alias, hint="write the values out in full")])
        document = yaml.safe_load(text)
    except (ValueError, IndexError, KeyError, TypeError, OverflowError, AttributeError) as exc:
        # a value PyYAML recognises but cannot build: 2024-02-30, !!int abc, !!bool maybe,
        # !!timestamp 2020-13-45 (its pattern does not match: PyYAML fails on None.groupdict)
        raise InputError([Problem(label, UNREADABLE_VALUE.text(reason=exc),
                                  hint="quote it to keep it as text, or correct it")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError([Problem(label, NOT_YAML.text(reason=getattr(exc, "problem", exc)),
                                  row=mark.line + 1 if mark else None,
                                  hint="check indentation and quoting")]) from None
    if not isinstance(document, dict):
        raise InputError([Problem(label, NOT_A_MAPPING.text())])
    surrogate = SURROGATE_ESCAPE.search(text)
    if surrogate:  # "\ud800" loads as half a character that cannot be written back out
        line = text.count("\n", 0, surrogate.start()) + 1
        raise InputError([Problem(label, HALF_CHARACTER.text(escape=surrogate.group()),
                                  row=line, hint="write the character itself")])
    lines, duplicates = yaml_structure(text)
    if duplicates:
        raise InputError([locate(label, lines, path, KEY_TWICE.text(key=path[-1]),
                                 "keep one: YAML would silently use the last")
                          for path in duplicates])
    return document, Where(label, lines)
