"""Where forces operate from: which pools are based on another ally's territory
(``basing.csv``, optional; its columns are declared in ``planner.schema.tables``).

    country,pool,host,site,source
    USA,fdnf_ddg,JPN,Yokosuka,"public_facts §2 'US FDNF Japan destroyers' [M]"

Basing changes no plan by itself: an ``access`` policy (``planner.schema.policies.access``)
reads it to say what a country's forces based on a host's territory may do without the
host's consent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from planner.checks.optional import frame, optional_frame
from planner.errors import Problem, unknown
from planner.inputs.load import ROW, RawTable
from planner.schema import tables as schema

TABLE = schema.BASING
FILE = TABLE.filename
COLUMNS = list(TABLE.column_names)


def empty() -> pd.DataFrame:
    return frame([], COLUMNS)


def load_basing(root: Path, countries: list[str], pools: set[tuple[str, str]]
                ) -> tuple[pd.DataFrame, list[Problem]]:
    """The basing rows of a capability folder (none when the file is absent), every problem
    located by file, row and column."""
    return optional_frame(
        root, FILE, lambda raw: check_basing(raw, countries, pools), COLUMNS)


def check_basing(raw: RawTable, countries: list[str],
                 pools: set[tuple[str, str]]) -> list[Problem]:
    """Countries, pools and hosts exist; the host is another country; each pool based once;
    a source on every row (``read_optional`` has checked the columns)."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    loaded = {c for c, _ in pools}  # a country whose table has problems is not checked
    for row in raw.rows:
        line = int(row[ROW])

        def bad(column: str, message: str, hint: str | None = None, line: int = line) -> None:
            problems.append(Problem(raw.label, message, row=line, column=column, hint=hint))

        country, pool, host = row["country"], row["pool"], row["host"]
        if country not in countries:
            bad("country", *unknown("country", country, countries))
        elif country in loaded and (country, pool) not in pools:
            own = [p for c, p in pools if c == country]
            bad("pool", f"{country} has no pool '{pool}'", unknown("pool", pool, own)[1])
        if host not in countries:
            bad("host", *unknown("country", host, countries))
        elif host == country:
            bad("host", f"{country}/{pool} is based in its own country",
                "a pool with no row operates from its own country: name another country, "
                "or delete the row")
        if (country, pool) in seen:
            bad("pool", f"{country}/{pool} is based twice (first on row "
                f"{seen[(country, pool)]})", "keep one row per pool")
        seen.setdefault((country, pool), line)
        if not re.search(r"\S", row["source"]):
            bad("source", "the source is blank", "cite a public_facts row or write "
                "'assumption: ...'")
    return problems
