"""The optional tables of a capability folder (cost bearers, platforms, basing) as
DataFrames: one way to read them, so that each checker holds only its own checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from planner.errors import Problem
from planner.inputs.load import RawTable, read_optional


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
