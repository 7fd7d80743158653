"""Fuzzing the input edge: corrupted tables and missions end in located input errors.

Each example copies the shipped capability tables and missions to a fresh temporary folder,
corrupts them in one random way (a cell, a header, a row, raw bytes, a YAML key or value)
and runs the planner. The property: the run either solves (exit 0 or 1) or stops with an
``InputError`` whose every problem names an input file, and a row for a table cell or a
mission key (exit 2); never any other exception, never a traceback, and no input file's
bytes change. Mutations that leave the input valid (a note reworded, rows reordered, an
Excel-style save, a flag set to a declared value) must solve, and a bad number or
identifier written into a known cell must be reported at exactly that row and column.

Valid random variations of the shipped missions (requirements scaled by a factor in
[0, 3] or dropped, flags set among their declared values) must solve to optimality.

Example counts: by default 1,058 examples (625 tables and 200 missions through the readers,
225 end-to-end runs in-process, 8 through the command line), about a minute.
``PLANNER_FUZZ_EXAMPLES=N`` runs N examples per in-process property (and N // 25, at least
the default, through the command line). A failure prints the drawn mutation (``note``) and a
``@reproduce_failure`` blob to replay it; no example database is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from planner import pipeline
from planner.errors import InputError, Problem
from planner.inputs import paths
from planner.inputs.load import read_csv
from planner.reports.output import save_plan
from planner.results.explain import find_conflict
from planner.results.plan import Plan
from planner.schema import tables as schema

from .conftest import REPO, run_planner

Draw = Callable[..., Any]
# The test's own YAML work (not the planner's) uses libyaml when PyYAML has it: faster.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

CAPS, MISSIONS = REPO / "capabilities", REPO / "missions"
TABLES = sorted(p.name for p in CAPS.glob("*.csv"))
MISSION_NAMES = sorted(p.stem for p in MISSIONS.glob("*.yaml"))
POLICIES = "policies.yaml"


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]], **dialect: Any) -> None:
    """One record per line with LF line ends: record i is line i + 1 unless a cell spans lines."""
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n", **dialect).writerows(rows)


def column_of(table: str, name: str) -> list[str]:
    rows = read_rows(CAPS / table)
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def load(path: Path) -> Any:
    return yaml.load(path.read_text("utf-8"), Loader=LOADER)


def ancestors(stem: str) -> list[str]:
    """The shipped missions a shipped mission extends, nearest first."""
    chain: list[str] = []
    while True:
        parent = load(MISSIONS / f"{stem}.yaml").get("extends")
        if not parent or parent in chain:
            return chain
        chain.append(parent)
        stem = parent


FLAGS: dict[str, list[str]] = {
    name: list(flag["values"]) for name, flag in
    load(CAPS / POLICIES)["flags"].items()}
ANCESTORS = {stem: ancestors(stem) for stem in MISSION_NAMES}
TASKS, REGIONS = column_of("tasks.csv", "task"), column_of("regions.csv", "region")
PHASES, COUNTRIES = column_of("phases.csv", "phase"), column_of("countries.csv", "country")
POOLS = sorted({pool for country in COUNTRIES for pool in column_of(f"{country}.csv", "pool")})
HEADERS = sorted({name for table in TABLES for name in read_rows(CAPS / table)[0]})
NAMES = sorted({*TASKS, *REGIONS, *PHASES, *COUNTRIES, *POOLS, *FLAGS, *HEADERS, "*"})

# What kind of value each column holds, from the one schema source.
KINDS: dict[str, dict[str, str]] = {
    t.filename: {c.name: c.kind for c in t.columns} for t in schema.REFERENCE_TABLES}
POOL_KINDS = {c.name: c.kind for c in schema.POOLS.columns} | {
    name: "number" for task in TASKS for name in (task, f"{task}{schema.TASK_COST_SUFFIX}")}
KEYS = {t.filename: t.key for t in schema.REFERENCE_TABLES}
# the stock tables' keys span columns: a row given twice is reported at its stock
KEYS |= {t.filename: "stock" for t in schema.STOCK_TABLES}
# text columns whose words are checked: a task's unit names its time unit (tasks.csv per)
CHECKED_TEXT = {("tasks.csv", "unit")}

# Cell texts that are wrong in any cell of their kind: each must be reported at its cell.
BAD_NUMBERS = ("abc", "-1", "-0.5", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "=1+1",
               "twelve", "1_000", "N/A", "#REF!", "5 units", "0x10", "1,0", "1.2.3", "--1")
BAD_IDS = ("Bad Name", "1abc", "with-dash", "UPPER", "a b", "x.y", "\u00fcber", "_lead")
BAD_COUNTRIES = ("jpn", "JAPAN", "J1N", "US", "U S A")
SPECIAL_CELLS = (*BAD_NUMBERS, *BAD_IDS, *BAD_COUNTRIES, "", " ", "0", "-0", "1e308", "1e-320",
                 "1,000", "1,000,000.5", "+1", "@SUM(A1)", "=HYPERLINK(\"x\")", "*", ";",
                 "japan;;", ";japan", "japan; japan", "a\nb", "a\rb", '"', '""', "\x00",
                 "\ufeff1", "\uff11\uff12", "\u0663", "TRUE", "None", "null", "1e", ".", "-")

CELL_VALUES = st.one_of(
    st.sampled_from(SPECIAL_CELLS),
    st.text(max_size=24),  # junk text
    st.integers(-10**6, -1).map(str),  # negative
    st.floats(max_value=-1e-300, allow_nan=False).map(repr),
    st.floats().map(repr),  # nan, inf, tiny, huge
    st.integers(10**9, 10**400).map(str),  # huge
    st.text(max_size=12).map(lambda s: "=" + s),  # formula
    st.sampled_from(NAMES),  # a name that exists, in the wrong place
)
IDENTIFIER = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)


def mangled(name: str) -> st.SearchStrategy[str]:
    """Misspellings of a name, as a hand editing a file makes them."""
    return st.one_of(
        st.integers(0, max(len(name) - 1, 0)).map(lambda i: name[:i] + name[i + 1:]),
        st.sampled_from([name.upper(), name.title(), f"{name}s", name.replace("_", "-"),
                         name.replace("_", " "), f"{name}_", f"{name}2", f"{name}\u200b"]),
        IDENTIFIER,
        st.text(max_size=12),
    )


@dataclass
class Mutation:
    """One corruption of the inputs: what it did, and what the run must then do."""

    what: str
    valid: bool = False  # the input stays valid: the run must solve, to optimality
    expect: set[tuple[str, int, str]] = field(default_factory=set)  # a problem at one of these
    file: Path | None = None  # the file it changed


# --- table mutations ------------------------------------------------------------------------


def cell_expectation(table: str, rows: list[list[str]], r: int, c: int,
                     value: str) -> set[tuple[str, int, str]]:
    """Where a known-bad cell text must be reported: its line and column."""
    if any("\n" in cell or "\r" in cell for row in rows[:r + 1] for cell in row):
        return set()
    column = rows[0][c]
    kind = KINDS.get(table, POOL_KINDS).get(column)
    bad = value in {"number": BAD_NUMBERS, "id": BAD_IDS, "country": BAD_COUNTRIES}.get(
        kind or "", ())
    return {(f"capabilities/{table}", r + 1, column)} if bad else set()


def valid_cell(table: str, column: str, old: str, value: str) -> bool:
    """A cell change that cannot make the table wrong: the same value, or text in a free-text
    column that is not blank (and has no lone CR, which the csv module writes unquoted: a
    line break)."""
    kind = KINDS.get(table, POOL_KINDS).get(column)
    return value.strip() == old.strip() or (
        kind == "text" and (table, column) not in CHECKED_TEXT and value.strip() != ""
        and "\r" not in value)


def pick_cell(draw: Draw, rows: list[list[str]]) -> tuple[int, int]:
    return (draw(st.integers(1, len(rows) - 1), label="row index"),
            draw(st.integers(0, len(rows[0]) - 1), label="column index"))


def set_cell(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    r, c = pick_cell(draw, rows)
    value = draw(CELL_VALUES, label="cell text")
    old, rows[r][c] = rows[r][c], value
    write_rows(path, rows)
    return Mutation(f"{path.name} line {r + 1} column {rows[0][c]}: {old!r} -> {value!r}",
                    valid=valid_cell(path.name, rows[0][c], old, value),
                    expect=cell_expectation(path.name, rows, r, c, value))


def long_cell(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    r, c = pick_cell(draw, rows)
    size = draw(st.integers(100_000, 300_000), label="cell length")
    rows[r][c] = draw(st.sampled_from("9xa;"), label="character") * size
    write_rows(path, rows)
    return Mutation(f"{path.name} line {r + 1} column {rows[0][c]}: a cell of {size} chars")


def pad_cell(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    r = draw(st.integers(0, len(rows) - 1), label="row index")
    c = draw(st.integers(0, len(rows[0]) - 1), label="column index")
    rows[r][c] = f"  {rows[r][c]}\t"
    write_rows(path, rows)
    return Mutation(f"{path.name} line {r + 1} column {c + 1}: padded with blanks", valid=True)


def rename_header(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    c = draw(st.integers(0, len(rows[0]) - 1), label="column index")
    old = rows[0][c]
    new = draw(st.one_of(mangled(old), st.sampled_from(HEADERS), st.just("")), label="header")
    rows[0][c] = new
    write_rows(path, rows)
    return Mutation(f"{path.name} header {old!r} -> {new!r}", valid=new.strip() == old)


def delete_header(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    c = draw(st.integers(0, len(rows[0]) - 1), label="column index")
    old = rows[0].pop(c)
    write_rows(path, rows)
    return Mutation(f"{path.name}: header cell {old!r} deleted, cells left in place")


def delete_column(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    c = draw(st.integers(0, len(rows[0]) - 1), label="column index")
    old = rows[0][c]
    write_rows(path, [row[:c] + row[c + 1:] for row in rows])
    return Mutation(f"{path.name}: column {old!r} deleted")


def duplicate_header(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    c = draw(st.integers(0, len(rows[0]) - 1), label="column index")
    d = draw(st.integers(0, len(rows[0]) - 1), label="copied header")
    old, rows[0][c] = rows[0][c], rows[0][d]
    write_rows(path, rows)
    return Mutation(f"{path.name} header {old!r} -> {rows[0][d]!r}", valid=c == d)


def duplicate_column(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    c = draw(st.integers(0, len(rows[0]) - 1), label="column index")
    d = draw(st.integers(0, len(rows[0])), label="inserted at")
    write_rows(path, [[*row[:d], row[c], *row[d:]] for row in rows])
    return Mutation(f"{path.name}: column {rows[0][c]!r} copied to position {d + 1}")


def add_column(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    name = draw(st.one_of(IDENTIFIER, st.sampled_from(NAMES), st.text(max_size=8)),
                label="header")
    cells = [draw(CELL_VALUES, label="cell text") for _ in rows[1:]]
    write_rows(path, [[*rows[0], name], *([*row, cell] for row, cell in zip(
        rows[1:], cells, strict=True))])
    return Mutation(f"{path.name}: column {name!r} added with {cells!r}")


def duplicate_row(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    r = draw(st.integers(1, len(rows) - 1), label="row index")
    d = draw(st.integers(1, len(rows)), label="inserted at")
    rows.insert(d, list(rows[r]))
    write_rows(path, rows)
    key = KEYS.get(path.name, "pool")
    original = r if r < d else r + 1
    return Mutation(f"{path.name}: line {r + 1} copied to line {d + 1}",
                    expect={(f"capabilities/{path.name}", line + 1, key)
                            for line in (d, original)})


def delete_row(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    r = draw(st.integers(1, len(rows) - 1), label="row index")
    gone = rows.pop(r)
    write_rows(path, rows)
    return Mutation(f"{path.name}: line {r + 1} ({gone[0]!r}) deleted")


def shuffle_rows(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    body = draw(st.permutations(rows[1:]), label="row order")
    blanks = draw(st.lists(st.integers(1, len(rows)), max_size=3), label="blank lines at")
    records = [rows[0], *body]
    for at in sorted(blanks, reverse=True):
        records.insert(at, [])
    write_rows(path, records)
    return Mutation(f"{path.name}: rows reordered, blank lines at {blanks}", valid=True)


def excel_save(draw: Draw, path: Path) -> Mutation:
    rows = read_rows(path)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        [*([*row, ""] for row in rows), [""] * (len(rows[0]) + 1)])
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    return Mutation(f"{path.name}: saved as Excel 'CSV UTF-8'", valid=True)


def swap_delimiter(draw: Draw, path: Path) -> Mutation:
    delimiter = draw(st.sampled_from([";", "\t", "|", " "]), label="delimiter")
    write_rows(path, read_rows(path), delimiter=delimiter)
    return Mutation(f"{path.name}: separated by {delimiter!r}")


def empty_file(draw: Draw, path: Path) -> Mutation:
    content = draw(st.sampled_from([b"", b"\n", b" \n\n", b",,,\r\n", b"\xef\xbb\xbf"]),
                   label="content")
    path.write_bytes(content)
    return Mutation(f"{path.name}: replaced by {content!r}")


def delete_file(draw: Draw, path: Path) -> Mutation:
    path.unlink()
    return Mutation(f"{path.name}: deleted")


def stray_file(draw: Draw, path: Path) -> Mutation:
    name = draw(st.one_of(st.from_regex(r"[A-Z]{3}\.csv", fullmatch=True),
                          st.sampled_from(["jpn.csv", "notes.csv", "JPN (copy).csv",
                                           "JPN.csv.bak", ".csv", "USA.CSV"])), label="name")
    target = path.parent / name
    if not target.exists():
        shutil.copyfile(path, target)
    return Mutation(f"{path.name} copied to {name}")


# --- byte-level mutations, for any input file -----------------------------------------------


def insert_bytes(draw: Draw, path: Path) -> Mutation:
    data = path.read_bytes()
    at = draw(st.integers(0, len(data)), label="offset")
    junk = draw(st.one_of(st.binary(min_size=1, max_size=16),
                          st.text(min_size=1, max_size=16).map(str.encode)), label="bytes")
    path.write_bytes(data[:at] + junk + data[at:])
    return Mutation(f"{path.name}: {junk!r} inserted at byte {at}")


def truncate(draw: Draw, path: Path) -> Mutation:
    data = path.read_bytes()
    at = draw(st.integers(0, len(data)), label="offset")
    path.write_bytes(data[:at])
    return Mutation(f"{path.name}: truncated at byte {at} of {len(data)}")


def invalid_utf8(draw: Draw, path: Path) -> Mutation:
    data = path.read_bytes()
    at = draw(st.integers(0, len(data)), label="offset")
    junk = draw(st.sampled_from([b"\xff", b"\xfe", b"\xc3", b"\xa7", b"\xed\xa0\x80",
                                 b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80\x80"]), label="bytes")
    latin1 = draw(st.booleans(), label="whole file as latin-1")
    if latin1:
        path.write_bytes(data.decode("utf-8").encode("latin-1", errors="replace"))
        return Mutation(f"{path.name}: saved as latin-1")
    path.write_bytes(data[:at] + junk + data[at:])
    return Mutation(f"{path.name}: {junk!r} inserted at byte {at}")


BYTE_MUTATIONS = (insert_bytes, truncate, invalid_utf8)
TABLE_MUTATIONS = (set_cell, set_cell, set_cell, long_cell, pad_cell, rename_header,
                   delete_header, delete_column, duplicate_header, duplicate_column, add_column,
                   duplicate_row, delete_row, shuffle_rows, excel_save, swap_delimiter,
                   empty_file, delete_file, stray_file, *BYTE_MUTATIONS)


def mutate_table(draw: Draw, root: Path, files: bool = True) -> Mutation:
    """A mutation of one table (``files``: also deleting it or adding a stray table)."""
    path = root / "capabilities" / draw(st.sampled_from(TABLES), label="table")
    mutations = [m for m in TABLE_MUTATIONS if files or m not in (delete_file, stray_file)]
    mutate = draw(st.sampled_from(mutations), label="table mutation")
    mutation = mutate(draw, path)
    mutation.file = path
    return mutation


# --- YAML mutations (missions and policies.yaml) --------------------------------------------


def key_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a document, parents before children."""
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else [])
    found = []
    for key, value in items:
        found.append((*prefix, key))
        found += key_paths(value, (*prefix, key))
    return found


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def dump(path: Path, document: Any) -> None:
    try:
        text = yaml.dump(document, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
    except UnicodeEncodeError:  # libyaml cannot write half a surrogate pair; PyYAML escapes it
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-10**400, 10**400), st.floats(),
    st.text(max_size=20), st.sampled_from(NAMES), st.binary(max_size=8), st.dates(),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.sampled_from(NAMES)),
             max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=5), st.sampled_from(NAMES)),
                    st.one_of(st.integers(), st.floats(), st.text(max_size=5)), max_size=3),
    st.integers(1, 60).map(nested),
)
TEXT_KEYS = {"note", "description", "sentence", "source"}
EXTENDS = ("no_such_mission", "baseline", "baseline.yaml", "../capabilities/policies.yaml",
           "../capabilities/JPN.csv", "../missions/baseline", "", ".", "..", "missions",
           "/nonexistent/mission.yaml", " baseline", "BASELINE", "baseline.yml", 5, None, True,
           ["baseline"], {"name": "baseline"})
TRICKY_LINES = (
    "&a x: 1", "y: *a", "<<: {a: 1}", "? [a, b]\n: 1", "!!python/object:os.system ls",
    "x: !!python/name:os.system", "yes: no", "~: 1", "1: 2", "x: .inf", "x: .nan", "---",
    "...", "%YAML 1.1", "\t- x", "x: !!binary aGk=", "!!binary aGk=: 1", "x: |\n  a\n b",
    "x: 'unterminated", 'description: "\\ud800"', 'note: "\\x00\\x07"', "x: !!int abc",
    "x: !!float abc", "x: !!timestamp 2020-13-45", "x: 0o777", "\ufeffx: 1", "x: \x00",
    "- a list item", "x: [", "x: {a: [b, {c: d}]}", "'x': 1\n\"x\": 2", "x: !!set {a, b}",
    "x: !!omap [a: 1, b: 2]", "x: !custom 1", "phases: []", "requirements: []",
    "amount: -1", "amount: .nan", "amount: 1e400", "extends: baseline", "flags: {a: b}",
    "x: " + "[" * 40 + "]" * 40, "x: " + "[" * 3000, "x: " + "{a: " * 100 + "1" + "}" * 100,
)


def structured(mutate: Callable[[Draw, Any, Path], tuple[str, bool]]
               ) -> Callable[[Draw, Path], Mutation]:
    """A mutation of the loaded document, written back as YAML."""
    def apply(draw: Draw, path: Path) -> Mutation:
        document = load(path)
        what, valid = mutate(draw, document, path)
        dump(path, document)
        return Mutation(f"{path.name}: {what}", valid=valid)

    apply.__name__ = mutate.__name__
    return apply


@structured
def retype(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    where = draw(st.sampled_from(key_paths(document)), label="key path")
    value = draw(ANY_VALUE, label="value")
    parent = at(document, where[:-1])
    old, parent[where[-1]] = parent[where[-1]], value
    return f"{where}: {old!r} -> {value!r}", False


@structured
def misspell_key(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    where = draw(st.sampled_from([p for p in key_paths(document)
                                  if isinstance(at(document, p[:-1]), dict)]), label="key path")
    parent = at(document, where[:-1])
    new = draw(st.one_of(mangled(str(where[-1])), st.sampled_from(NAMES)), label="key")
    items = [(new if k == where[-1] else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)
    return f"key {where} -> {new!r}", False


@structured
def delete_key(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    where = draw(st.sampled_from(key_paths(document)), label="key path")
    parent = at(document, where[:-1])
    del parent[where[-1]]
    return f"{where} deleted", False


@structured
def add_key(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    mappings = [(), *(p for p in key_paths(document) if isinstance(at(document, p), dict))]
    where = draw(st.sampled_from(mappings), label="mapping")
    key = draw(st.one_of(IDENTIFIER, st.sampled_from(NAMES)), label="key")
    value = draw(st.one_of(IDENTIFIER, ANY_VALUE), label="value")
    at(document, where)[key] = value
    return f"{where}: key {key!r} set to {value!r}", False


@structured
def unknown_name(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    names = [p for p in key_paths(document) if at(document, p) in NAMES]
    if not names:
        return "no name to change", True
    where = draw(st.sampled_from(names), label="key path")
    old = at(document, where)
    new = draw(st.one_of(mangled(old), st.sampled_from(NAMES)), label="name")
    at(document, where[:-1])[where[-1]] = new
    return f"{where}: {old!r} -> {new!r}", new == old


@structured
def set_extends(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    value = draw(st.sampled_from([*EXTENDS, path.stem, path.name]), label="extends")
    document["extends"] = value
    return f"extends: {value!r}", False


@structured
def reword(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    texts = [p for p in key_paths(document)
             if p[-1] in TEXT_KEYS and isinstance(at(document, p), str)]
    if not texts:
        return "no text to reword", True
    where = draw(st.sampled_from(texts), label="key path")
    value = draw(st.text(max_size=40), label="text")
    at(document, where[:-1])[where[-1]] = value
    return f"{where} reworded to {value!r}", True


@structured
def odd_text(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    texts = [p for p in key_paths(document) if p[-1] in TEXT_KEYS]
    if not texts:
        return "no text to change", True
    where = draw(st.sampled_from(texts), label="key path")
    odd = st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Co"])
    value = draw(st.text(odd, min_size=1, max_size=4), label="text")
    at(document, where[:-1])[where[-1]] = value
    return f"{where} set to {value!r}", False


@structured
def set_flag(draw: Draw, document: Any, path: Path) -> tuple[str, bool]:
    flag = draw(st.sampled_from(sorted(FLAGS)), label="flag")
    value = draw(st.sampled_from(FLAGS[flag]), label="value")
    if path.name == POLICIES:
        document["flags"][flag]["default"] = value
        return f"flag {flag} defaults to {value!r}", True
    document.setdefault("flags", {})[flag] = value
    return f"flag {flag}: {value!r}", True


def insert_line(draw: Draw, path: Path) -> Mutation:
    lines = path.read_text("utf-8").splitlines(keepends=True)
    index = draw(st.integers(0, len(lines)), label="line index")
    indent = draw(st.sampled_from(["", "  ", "    ", "\t"]), label="indent")
    text = draw(st.one_of(st.sampled_from(TRICKY_LINES), st.text(max_size=30)), label="line")
    lines.insert(index, f"{indent}{text}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return Mutation(f"{path.name}: line {index + 1} inserted: {indent + text!r}")


def repeat_line(draw: Draw, path: Path) -> Mutation:
    lines = path.read_text("utf-8").splitlines(keepends=True)
    index = draw(st.integers(0, len(lines) - 1), label="line index")
    delete = draw(st.booleans(), label="delete instead")
    if delete:
        gone = lines.pop(index)
        what = f"line {index + 1} deleted: {gone!r}"
    else:
        lines.insert(index, lines[index])
        what = f"line {index + 1} repeated: {lines[index]!r}"
    path.write_text("".join(lines), encoding="utf-8")
    return Mutation(f"{path.name}: {what}")


def deep_text(draw: Draw, path: Path) -> Mutation:
    depth = draw(st.integers(10, 3_000), label="depth")
    style = draw(st.sampled_from(["flow", "block"]), label="style")
    if style == "flow":
        text = "x: " + "[" * depth + "]" * depth + "\n"
    else:
        depth = min(depth, 400)
        text = "x:\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(depth))
    with path.open("a", encoding="utf-8") as f:
        f.write(text)
    return Mutation(f"{path.name}: a {style} value nested {depth} deep appended")


def random_document(draw: Draw, path: Path) -> Mutation:
    text = draw(st.one_of(st.text(max_size=200), st.sampled_from(TRICKY_LINES)),
                label="document")
    path.write_text(text, encoding="utf-8")
    return Mutation(f"{path.name}: replaced by {text!r}")


YAML_MUTATIONS = (retype, retype, misspell_key, delete_key, delete_key, add_key, unknown_name,
                  set_extends, reword, odd_text, set_flag, insert_line, insert_line, repeat_line,
                  deep_text, random_document, delete_file, *BYTE_MUTATIONS)


def mutate_yaml(draw: Draw, root: Path, stem: str, standing: bool = True) -> Mutation:
    """A mutation of the mission, one it extends, or (``standing``) the standing policies."""
    files = [root / "missions" / f"{s}.yaml" for s in [stem, *ANCESTORS[stem]]]
    files += [root / "capabilities" / POLICIES] if standing else []
    path = draw(st.sampled_from(files), label="file")
    mutate = draw(st.sampled_from(YAML_MUTATIONS), label="yaml mutation")
    mutation = mutate(draw, path)
    mutation.file = path
    return mutation


# --- running and checking -------------------------------------------------------------------


EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES") or 0)
FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
               HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz(default: int, cli: bool = False) -> settings:
    count = (max(default, EXAMPLES // 25) if cli else EXAMPLES) if EXAMPLES else default
    return settings(max_examples=count, deadline=None, database=None, print_blob=True,
                    suppress_health_check=FUZZ_HEALTH,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink])  # no slow explain


@contextmanager
def workspace() -> Iterator[Path]:
    """A fresh copy of the shipped tables and missions, safe to break."""
    with tempfile.TemporaryDirectory(prefix="planner-fuzz-") as folder:
        root = Path(folder)
        shutil.copytree(CAPS, root / "capabilities")
        shutil.copytree(MISSIONS, root / "missions")
        yield root


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("capabilities", "missions")
            for p in sorted((root / folder).rglob("*")) if p.is_file()}


LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def line_count(path: Path) -> int:
    """Lines as the CSV reader and PyYAML count them (generously: every kind of break)."""
    return len(LINE_BREAK.findall(path.read_bytes().decode("utf-8", errors="replace"))) + 1


def run_in_process(root: Path, stem: str) -> Plan | list[Problem]:
    """What ``planner solve`` does, in-process: the plan, or the input problems."""
    try:
        instance = pipeline.prepare(root / "missions" / f"{stem}.yaml", root / "capabilities")
    except InputError as exc:
        return exc.problems
    plan = pipeline.solve_instance(instance)
    if plan.status == "infeasible":
        find_conflict(instance, "highs", None)
    save_plan(plan, root / "out")
    return plan


def check_located(problems: list[Problem], root: Path) -> None:
    """Every problem names an input file, and a row in it for a cell or key."""
    assert problems, "InputError without problems"
    folders = {(root / "capabilities").resolve(), (root / "missions").resolve()}
    for problem in problems:
        assert problem.file and problem.message, problem
        path = (root / problem.file).resolve()  # a label is absolute, or relative to root
        assert path.parent in folders, f"names no input file: {problem}"
        if problem.column is not None:
            assert problem.row is not None, f"a cell or key without its row: {problem}"
        if problem.row is not None:
            assert path.is_file(), f"a row in a file that does not exist: {problem}"
            assert 1 <= problem.row <= line_count(path), f"row past the end: {problem}"


def check_run(root: Path, stem: str, mutation: Mutation) -> None:
    note(f"mission {stem}; {mutation.what}")
    before = digests(root)
    outcome = run_in_process(root, stem)
    assert digests(root) == before, "an input file changed"
    if isinstance(outcome, list):
        note("problems:\n" + "\n".join(str(p) for p in outcome))
        assert not mutation.valid, "a valid input was rejected"
        check_located(outcome, root)
        if mutation.expect:
            found = {(p.file, p.row, p.column) for p in outcome}
            assert found & mutation.expect, f"not reported at {mutation.expect}"
    else:
        assert not mutation.expect, f"solved although {mutation.expect} is wrong"
        if mutation.valid:
            assert outcome.status == "optimal", outcome.status


# --- the properties -------------------------------------------------------------------------
# Every run reads the standing policies and a mission with PyYAML's pure-Python loader (about
# 60 ms a run), so the end-to-end properties run fewer examples; the two reading properties
# first put many more corruptions through the readers, where most of them are caught.


@fuzz(625)
@given(data=st.data())
def test_corrupted_table_is_read_or_its_problems_located(data: st.DataObject) -> None:
    with workspace() as root:
        mutation = mutate_table(data.draw, root, files=False)
        note(mutation.what)
        assert mutation.file is not None
        raw, problems = read_csv(mutation.file, f"capabilities/{mutation.file.name}")
        note("problems:\n" + "\n".join(str(p) for p in problems))
        assert raw is not None or problems, "no table and no problem"
        if problems:
            check_located(problems, root)


@fuzz(200)
@given(data=st.data())
def test_corrupted_mission_is_read_or_its_problems_located(data: st.DataObject) -> None:
    stem = data.draw(st.sampled_from(MISSION_NAMES), label="mission")
    with workspace() as root:
        mutation = mutate_yaml(data.draw, root, stem, standing=False)
        note(f"mission {stem}; {mutation.what}")
        try:
            mission = paths.mission_path(str(root / "missions" / f"{stem}.yaml"))
            pipeline.read_mission(mission, None)
        except InputError as exc:
            note("problems:\n" + "\n".join(str(p) for p in exc.problems))
            assert not mutation.valid, "a valid mission was rejected"
            check_located(exc.problems, root)


@fuzz(90)
@given(data=st.data())
def test_corrupted_tables_solve_or_fail_with_located_problems(data: st.DataObject) -> None:
    stem = data.draw(st.sampled_from(MISSION_NAMES), label="mission")
    with workspace() as root:
        check_run(root, stem, mutate_table(data.draw, root))


@fuzz(90)
@given(data=st.data())
def test_corrupted_missions_solve_or_fail_with_located_problems(data: st.DataObject) -> None:
    stem = data.draw(st.sampled_from(MISSION_NAMES), label="mission")
    with workspace() as root:
        check_run(root, stem, mutate_yaml(data.draw, root, stem))


def scaled(amount: Any, factor: float) -> Any:
    if isinstance(amount, dict):
        return {phase: value * factor for phase, value in amount.items()}
    return amount * factor


def vary_mission(draw: Draw, path: Path) -> str:
    """Scale and drop requirements, set flags among their declared values."""
    document = load(path)
    changes = []
    requirements = document.get("requirements") or []
    if requirements:
        keep = draw(st.sets(st.integers(0, len(requirements) - 1), min_size=1,
                            max_size=len(requirements)), label="requirements kept")
        factors = [draw(st.floats(0, 3), label="factor") for _ in requirements]
        document["requirements"] = [
            {**req, "amount": scaled(req["amount"], factor)}
            for i, (req, factor) in enumerate(zip(requirements, factors, strict=True))
            if i in keep]
        changes.append(f"requirements {sorted(keep)} kept, scaled by {factors}")
    flags = dict(document.get("flags") or {})
    for flag, values in FLAGS.items():
        choice = draw(st.sampled_from(["as is", "unset", *values]), label=f"flag {flag}")
        if choice == "unset":
            flags.pop(flag, None)
        elif choice != "as is":
            flags[flag] = choice
    document["flags"] = flags
    changes.append(f"flags {flags}")
    dump(path, document)
    return "; ".join(changes)


@fuzz(45)
@given(data=st.data())
def test_valid_variations_of_missions_solve(data: st.DataObject) -> None:
    stem = data.draw(st.sampled_from(MISSION_NAMES), label="mission")
    with workspace() as root:
        path = root / "missions" / f"{stem}.yaml"
        note(f"mission {stem}; {vary_mission(data.draw, path)}")
        outcome = run_in_process(root, stem)
        assert not isinstance(outcome, list), "\n".join(str(p) for p in outcome)
        assert outcome.status == "optimal", outcome.status


@fuzz(8, cli=True)
@given(data=st.data())
def test_cli_exits_cleanly_and_leaves_inputs_alone(data: st.DataObject) -> None:
    stem = data.draw(st.sampled_from(MISSION_NAMES), label="mission")
    with workspace() as root:
        if data.draw(st.booleans(), label="corrupt a table"):
            mutation = mutate_table(data.draw, root)
        else:
            mutation = mutate_yaml(data.draw, root, stem)
        note(f"mission {stem}; {mutation.what}")
        before = digests(root)
        result = run_planner("solve", f"missions/{stem}.yaml", "--data", "capabilities",
                             "--out", "out", cwd=root)
        note(f"exit {result.returncode}\n{result.stderr}")
        assert digests(root) == before, "an input file changed"
        assert "Traceback" not in result.stdout + result.stderr
        assert result.returncode in (0, 1, 2)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        if result.returncode == 2:
            assert errors, "exit 2 without an error line"
            assert all(line.startswith(("error: capabilities/", "error: missions/"))
                       for line in errors), errors
            assert not mutation.valid, "a valid input was rejected"
            if mutation.expect:
                assert any(line.startswith(f"error: {file}, row {row}, column {column}:")
                           for line in errors for file, row, column in mutation.expect), errors
        else:
            assert (root / "out" / "plan.json").is_file()
            assert not mutation.expect, f"solved although {mutation.expect} is wrong"
