"""Where forces operate from: which pools are based on another ally's territory
(``basing.csv``, optional; its columns are declared in ``planner.schema.tables``).

    country,pool,host,site,source
    USA,fdnf_ddg,JPN,Yokosuka,"public_facts §2 'US FDNF Japan destroyers' [M]"

Basing changes no plan by itself: an ``access`` policy (``planner.schema.policies.access``)
reads it to say what a country's forces based on a host's territory may do without the
host's consent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.checks.optional import Bad, check_pool_rows, frame, optional_frame
from planner.errors import Problem, unknown
from planner.inputs.load import RawTable
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

    def host(row: dict[str, str], bad: Bad) -> None:
        country, pool, host = row["country"], row["pool"], row["host"]
        if host not in countries:
            bad("host", *unknown("country", host, countries))
        elif host == country:
            bad("host", f"{country}/{pool} is based in its own country",
                "a pool with no row operates from its own country: name another country, "
                "or delete the row")

    return check_pool_rows(raw, countries, pools, "based", host)
