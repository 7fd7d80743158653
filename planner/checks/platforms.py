"""Common and co-produced platforms: which pools field or build the same platform as another
ally's (``platforms.csv``, optional; its columns are declared in ``planner.schema.tables``).

    country,pool,platform,production,source
    JPN,aegis_ddg,aegis,common,"public_facts §2 'Japan Aegis destroyers' [H]"

The marking changes no plan: the plan reports the share of its cost and delivery that such
pools carry (``planner.results.cohesion``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from planner.checks.optional import frame, optional_frame
from planner.errors import Problem, unknown
from planner.inputs.load import ROW, RawTable
from planner.schema import tables as schema

TABLE = schema.PLATFORMS
FILE = TABLE.filename
COLUMNS = list(TABLE.column_names)


def empty() -> pd.DataFrame:
    return frame([], COLUMNS)


def load_platforms(root: Path, countries: list[str], pools: set[tuple[str, str]]
                   ) -> tuple[pd.DataFrame, list[Problem]]:
    """The platform markings of a capability folder (none when the file is absent), every
    problem located by file, row and column."""
    return optional_frame(
        root, FILE, lambda raw: check_platforms(raw, countries, pools), COLUMNS)


def check_platforms(raw: RawTable, countries: list[str],
                    pools: set[tuple[str, str]]) -> list[Problem]:
    """Countries and pools exist; a platform name; production common or co-produced; each
    pool marked once; a source on every row (``read_optional`` has checked the columns)."""
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
            own = [p for c, p in pools if c == country]
            bad("pool", f"{country} has no pool '{pool}'", unknown("pool", pool, own)[1])
        if not re.match(schema.ID_PATTERN, row["platform"]):
            bad("platform", f"'{row['platform']}' is not a platform name",
                "lower_snake_case, e.g. aegis or pac3")
        if row["production"] not in schema.PRODUCTION:
            bad("production", f"'{row['production']}' is not common or co-produced",
                "common: the same platform in several allies' forces; co-produced: built "
                "under licence or jointly")
        if (country, pool) in seen:
            bad("pool", f"{country}/{pool} is marked twice (first on row "
                f"{seen[(country, pool)]})", "keep one row per pool")
        seen.setdefault((country, pool), line)
        if not re.search(r"\S", row["source"]):
            bad("source", "the source is blank", "cite a public_facts row or write "
                "'assumption: ...'")
    return problems
