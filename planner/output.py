"""Write a Plan as a folder, atomically, without ever touching anything the user wrote.

The folder is written beside its destination under a temporary name and swapped in with a
rename, so a reader sees the old plan or the new one, never half of one. An existing folder
is only replaced when it is itself a plan folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Problem
from planner.plan import Plan

FORMULA_START = ("=", "+", "-", "@")


def frames(plan: Plan) -> dict[str, pd.DataFrame]:
    """The CSV files of a plan folder, by file name."""
    def table(records: list, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in records], columns=columns)

    return {
        "allocations.csv": table(plan.allocations, ["country", "pool", "task", "region",
                                                    "phase", "units", "delivered", "cost"]),
        "countries.csv": table(plan.countries, ["country", "name", "cost", "cost_share",
                                                "gdp_share", "budget_share", "burden_index"]),
        "shortfalls.csv": table(plan.shortfalls, ["task", "region", "phase", "required",
                                                  "delivered", "shortfall", "penalty"]),
        "coverage.csv": table(plan.coverage, ["task", "region", "phase", "required",
                                              "delivered", "shortfall", "penalty",
                                              "marginal_cost"]),
        "duals.csv": table(plan.constraints, ["name", "kind", "dual", "slack", "binding",
                                              "sentence", "source"]),
    }


def protect_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, as plain text."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


def protect(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula are written as plain text."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(protect_cell)
    return out


def write_atomic(path: Path, data: bytes) -> None:
    """Replace (or create) a file in one step: a reader sees the old bytes or the new. A new
    file gets the permissions a plain open() would give it, a replaced one keeps its own."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        else:
            os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def is_plan_folder(folder: Path) -> bool:
    return (folder / "plan.json").is_file()


def check_destination(folder: Path, force: bool) -> None:
    """Refuse, before any work, a destination that is not a plan folder, or an existing plan
    without ``force``."""
    if folder.exists() and not (folder.is_dir() and is_plan_folder(folder)):
        raise InputError([Problem(str(folder), "exists and is not a plan folder; it is left "
                                  "untouched", hint="choose another --out folder")])
    if folder.exists() and not force:
        raise InputError([Problem(str(folder), "already holds a plan; it is left untouched",
                                  hint="pass --force to replace it, --out to write "
                                  "elsewhere, or --no-save")])


def save_plan(plan: Plan, folder: Path, force: bool = False) -> Path:
    """Write plan.json and the CSV tables into ``folder``; an older plan there is replaced
    only with ``force``, and a folder that is not a plan never."""
    folder = Path(folder)
    check_destination(folder, force)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; a plan is not
    try:
        (staging / "plan.json").write_text(plan.model_dump_json(indent=2) + "\n",
                                           encoding="utf-8")
        for name, frame in frames(plan).items():
            protect(frame).to_csv(staging / name, index=False, lineterminator="\n")
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            folder.rename(retired / folder.name)
            staging.rename(folder)
            shutil.rmtree(retired)
        else:
            staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return folder
