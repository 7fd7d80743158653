"""The optional tables of a capability folder (cost bearers, platforms, basing): one way to
read them as DataFrames, and the checks the one-row-per-pool tables share, so that each
checker holds only its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from planner.errors import Problem, unknown
from planner.inputs.load import ROW, RawTable, read_optional


def optional_frame(root: Path, file: str, check: Callable[[RawTable], list[Problem]],
                   columns: list[str], types: dict[str, type] | None = None
                   ) -> tuple[pd.DataFrame, list[Problem]]:
    """The table's rows, or none when the file is absent (no problem) or wrong (its
    problems, every one located), with ``columns`` in that order and ``types`` applied."""
    rows, problems = read_optional(root, file, check, columns)
    return frame(rows or [], columns, types), problems


def frame(rows: list[dict[str, str]], columns: list[str],
          types: dict[str, type] | None = None) -> pd.DataFrame:
    """Rows as a DataFrame; an empty one keeps its columns and types."""
    table = pd.DataFrame(rows, columns=columns)
    return table.astype(types) if types else table


Bad = Callable[..., None]  # bad(column, message, hint=None): a problem on the current row


def check_pool_rows(raw: RawTable, countries: list[str], pools: set[tuple[str, str]],
                    twice: str, own: Callable[[dict[str, str], Bad], None]) -> list[Problem]:
    """The checks every one-row-per-pool table shares (platforms, basing): the country
    and the pool exist, the table's own checks (``own``), each pool once (``twice``: the
    verb of the message, 'marked' or 'based'), a source on every row."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    loaded = {c for c, _ in pools}  # a country whose table has problems is not checked
    for row in raw.rows:
        line = int(row[ROW])

        def bad(column: str, message: str, hint: str | None = None, line: int = line) -> None:
            problems.append(Problem(raw.label, message, row=line, column=column, hint=hint))

        country, pool = row["country"], row["pool"]
        if country not in countries:
            bad("country", *unknown("country", country, countries))
        elif country in loaded and (country, pool) not in pools:
            known = [p for c, p in pools if c == country]
            bad("pool", f"{country} has no pool '{pool}'", unknown("pool", pool, known)[1])
        own(row, bad)
        if (country, pool) in seen:
            bad("pool", f"{country}/{pool} is {twice} twice (first on row "
                f"{seen[(country, pool)]})", "keep one row per pool")
        seen.setdefault((country, pool), line)
        if not re.search(r"\S", row["source"]):
            bad("source", "the source is blank", "cite a public_facts row or write "
                "'assumption: ...'")
    return problems
