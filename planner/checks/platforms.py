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

from planner.checks.optional import Bad, check_pool_rows, frame, optional_frame
from planner.errors import Problem
from planner.inputs.load import RawTable
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

    def platform(row: dict[str, str], bad: Bad) -> None:
        if not re.match(schema.ID_PATTERN, row["platform"]):
            bad("platform", f"'{row['platform']}' is not a platform name",
                "lower_snake_case, e.g. aegis or pac3")
        if row["production"] not in schema.PRODUCTION:
            bad("production", f"'{row['production']}' is not common or co-produced",
                "common: the same platform in several allies' forces; co-produced: built "
                "under licence or jointly")

    return check_pool_rows(raw, countries, pools, "marked", platform)
