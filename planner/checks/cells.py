"""The cell rules every capability table is checked by: numbers, identifiers, choices,
column names, and the time units a unit's words name. Shared by the reference tables, the
pool tables (planner/checks/validate.py) and the stock tables (planner/checks/stock_tables.py).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from planner.errors import Problem, suggest
from planner.inputs.load import ROW, RawTable
from planner.schema import tables as schema

THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(text: str, column: schema.Column) -> tuple[float | None, str | None, str | None]:
    """A number from a cell, or (None, message, hint). Blank gives the column default."""
    if text == "":
        if column.required:
            return None, "the cell is blank", f"enter a number ({column.unit or 'a value'})"
        return (None if column.default is None else float(column.default)), None, None
    cleaned = text.replace(",", "") if THOUSANDS.match(text) else text
    try:
        if "_" in cleaned:  # float() accepts 1_000, a spreadsheet does not
            raise ValueError(cleaned)
        value = float(cleaned)
    except ValueError:
        return None, f"'{text}' is not a number", f"enter a number ({column.unit or 'a value'})"
    if not math.isfinite(value):
        return None, f"'{text}' is not a finite number", "enter a finite number"
    if abs(value) > schema.LARGEST:
        return None, f"{text} is too large for the solver (above {schema.LARGEST:g})", (
            f"check the unit: {column.unit or 'the column'}")
    if column.minimum is not None and value < column.minimum:
        return None, f"{text} is below the minimum {column.minimum:g}", (
            f"enter a value of at least {column.minimum:g}"
        )
    if column.maximum is not None and value > column.maximum:
        return None, f"{text} is above the maximum {column.maximum:g}", (
            f"enter a value of at most {column.maximum:g}"
        )
    return value, None, None


def check_columns(raw: RawTable, expected: tuple[str, ...], extra_ok: set[str]) -> list[Problem]:
    """Every required column present; every other column one the schema knows."""
    problems = []
    header_row = raw.header_row
    unknown_names = [n for n in raw.header if n and n not in expected and n not in extra_ok]
    renamed: set[str] = set()
    for name in expected:
        if name not in raw.header:
            typo = next((n for n in unknown_names if n not in renamed
                         and suggest(n, [name]) is not None), None)
            if typo is not None:  # one message for a misspelt header, not two
                renamed.add(typo)
                problems.append(Problem(raw.label, f"column '{typo}' should be '{name}'",
                                        row=header_row, column=typo,
                                        hint=f"rename the header to {name}"))
                continue
            problems.append(
                Problem(raw.label, f"missing required column '{name}'", row=header_row,
                        hint=f"add a column named '{name}'")
            )
    for name in raw.header:
        if name in renamed:
            continue
        if name and name not in expected and name not in extra_ok:
            problems.append(
                Problem(raw.label, f"unknown column '{name}'", row=header_row, column=name,
                        hint=suggest(name, [*expected, *extra_ok])
                        or f"expected columns: {', '.join(expected)}")
            )
    return problems


def check_cells(raw: RawTable, columns: tuple[schema.Column, ...]) -> list[Problem]:
    """Identifiers well formed, numbers numeric and in range, required text present."""
    problems = []
    for row in raw.rows:
        for column in columns:
            if column.name not in raw.header:
                continue
            text = row[column.name]
            where = dict(row=int(row[ROW]), column=column.name)
            if column.kind == "number":
                _, message, hint = parse_number(text, column)
                if message:
                    problems.append(Problem(raw.label, message, hint=hint, **where))
            elif text == "":
                if column.required:
                    problems.append(Problem(raw.label, "the cell is blank",
                                            hint=f"enter {column.description[0].lower()}"
                                            f"{column.description[1:]}", **where))
            elif column.kind == "id" and not re.match(schema.ID_PATTERN, text):
                problems.append(Problem(raw.label, f"'{text}' is not a valid identifier",
                                        hint="use lower_snake_case letters, digits and _",
                                        **where))
            elif column.kind == "country" and not re.match(schema.COUNTRY_PATTERN, text):
                problems.append(Problem(raw.label, f"'{text}' is not an ISO 3166 alpha-3 code",
                                        hint="use three capital letters, e.g. JPN", **where))
            elif column.kind == "choice":
                problems += check_choice(raw.label, text, column, where)
    return problems


def check_choice(label: str, text: str, column: schema.Column,
                 where: dict[str, object]) -> list[Problem]:
    """A choice cell holds one of its column's values (blank: the column's default)."""
    if text == "" or text in column.choices:
        return []
    hint = suggest(text, column.choices) or f"enter one of: {', '.join(column.choices)}"
    return [Problem(label, f"'{text}' is not one of {', '.join(column.choices)}", hint=hint,
                    **where)]  # type: ignore[arg-type]


# How a unit written in words names a time unit: "per month", "a year", "daily", "annual".
TIME_WORDS = re.compile(r"\b(?:per|a|an|each|every)\s+(day|month|year)\b"
                        r"|\b(daily|monthly|yearly|annual(?:ly)?)\b", re.IGNORECASE)
ADVERBS = {"daily": "day", "monthly": "month", "yearly": "year", "annual": "year",
           "annually": "year"}


def time_units_named(unit: str) -> set[str]:
    """The time units a unit written in words names ('thousand rounds per month': month)."""
    return {(m.group(1) or ADVERBS[m.group(2).lower()]).lower()
            for m in TIME_WORDS.finditer(unit)}


def check_task_units(raw: RawTable) -> list[Problem]:
    """Each task's unit in words names the time unit its ``per`` says, and no other: a task
    whose unit reads 'per month' but whose rates are read per year would be mixed units."""
    problems = []
    for row in raw.rows:
        per = row.get("per", "") or schema.LEVEL
        if per not in schema.TASKS.column("per").choices:
            continue  # reported by check_cells
        unit = row.get("unit", "")
        named = time_units_named(unit)
        where = dict(row=int(row[ROW]), column="per")
        if len(named) > 1:
            problems.append(Problem(raw.label, f"the unit '{unit}' names {len(named)} time "
                                    f"units ({', '.join(sorted(named))})", hint="give a "
                                    "task's rates in one time unit, and say it in per",
                                    row=int(row[ROW]), column="unit"))
        elif per == schema.LEVEL and named:
            (said,) = named
            given = "level" if row.get("per") else "blank (a level)"
            problems.append(Problem(raw.label, f"per is {given} but the unit '{unit}' is "
                                    f"per {said}",
                                    hint=f"set per to {said} (a flow per {said}), or take "
                                    f"'per {said}' out of the unit if it is a level", **where))
        elif per != schema.LEVEL and named != {per}:
            said = f"is per {next(iter(named))}" if named else "names no time unit"
            problems.append(Problem(raw.label, f"per is {per} but the unit '{unit}' {said}",
                                    hint=f"make them agree: write the unit as '... per {per}'"
                                    + (f", or set per to {next(iter(named))}" if named else ""),
                                    **where))
    return problems


def split_regions(text: str) -> list[str]:
    return [part.strip() for part in text.split(schema.REGION_SEPARATOR) if part.strip()]


def typed_frame(raw: RawTable, columns: tuple[schema.Column, ...]) -> pd.DataFrame:
    """The table with numbers parsed and defaults filled; call only after the checks pass."""
    records = []
    for row in raw.rows:
        record: dict[str, object] = {}
        for column in columns:
            text = row.get(column.name, "")
            record[column.name] = (
                parse_number(text, column)[0] if column.kind == "number"
                else (text or str(column.default or "")) if column.kind == "choice" else text
            )
        records.append(record)
    return pd.DataFrame.from_records(records, columns=[c.name for c in columns])
