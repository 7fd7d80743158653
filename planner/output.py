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


def is_plan_folder(folder: Path, marker: str = "plan.json") -> bool:
    return (folder / marker).is_file()


KIND = {"plan.json": "plan", "analysis.json": "analysis"}


def check_destination(folder: Path, force: bool, marker: str = "plan.json") -> None:
    """Refuse, before any work, a destination that is not a folder of this kind (a plan, or
    an analysis), or an existing one without ``force``."""
    kind = KIND.get(marker, "plan")
    if folder.exists() and not (folder.is_dir() and is_plan_folder(folder, marker)):
        raise InputError([Problem(str(folder), f"exists and is not {article(kind)} folder; "
                                  "it is left untouched", hint="choose another --out folder")])
    if folder.exists() and not force:
        raise InputError([Problem(str(folder), f"already holds {article(kind)}; it is left "
                                  "untouched", hint="pass --force to replace it, --out to "
                                  "write elsewhere, or --no-save")])


def article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def frames_workbook(tables: dict[str, pd.DataFrame]) -> bytes:
    from planner.workbook import frames_workbook as workbook

    return workbook(tables)


def save_plan(plan: Plan, folder: Path, force: bool = False) -> Path:
    """Write plan.json and the CSV tables into ``folder``; an older plan there is replaced
    only with ``force``, and a folder that is not a plan never."""
    files = {"plan.json": (plan.model_dump_json(indent=2) + "\n").encode()}
    tables = frames(plan)
    files |= {name: csv_bytes(frame) for name, frame in tables.items()}
    files["plan.xlsx"] = frames_workbook(tables)  # the same tables, one sheet each
    return save_folder(files, Path(folder), "plan.json", force)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as CSV, with text a spreadsheet would run as a formula made plain text."""
    return protect(frame).to_csv(index=False, lineterminator="\n").encode()


def save_folder(files: dict[str, bytes], folder: Path, marker: str, force: bool) -> Path:
    """Write files into ``folder`` at once: staged beside it and swapped in, so a reader
    sees the old folder or the new one. ``marker`` names the file that makes a folder ours
    (plan.json, analysis.json); only such a folder is replaced, and only with ``force``."""
    check_destination(folder, force, marker)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; results are not
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
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
