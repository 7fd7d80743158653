"""Write a Plan as a folder, atomically, without ever touching anything the user wrote.

A folder this planner writes (a plan, an analysis, a report's charts, a comparison's tables)
holds a manifest naming every file in it with its SHA-256. Only a folder whose manifest
matches its contents exactly is ever replaced, and only with ``--force``: a folder that
merely holds a file called ``plan.json``, or a plan folder someone added notes to or edited,
is left alone, and so are the working folder and its parents.

The new folder is staged beside its destination (``.<name>.planner-new``), the old one
moved aside (``.<name>.planner-old``), the new one moved in, the old one removed. A kill
between any two of these steps leaves either a folder at the destination or a state that
``recover`` (run before every read and write of the folder) completes or rolls back.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Problem
from planner.reports.workbook import add_rows, new_workbook, saved
from planner.results.plan import Coverage, Plan, constraints_table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# what a spreadsheet skips before reading a formula, and what it may take for a row break
SKIPPED = re.compile(r"^[\s\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]+")
BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\x85]")
MANIFEST = ".planner-manifest.json"
WRITTEN_BY = "alliance-planner"


def frames(plan: Plan) -> dict[str, pd.DataFrame]:
    """The CSV files of a plan folder, by file name."""
    def table(records: list, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in records], columns=columns)

    force = {}
    if plan.force is not None:  # a multi-year plan: its years, one table each
        f = plan.force
        force = {
            "orders.csv": table(f.orders, ["country", "pool", "line", "builder", "year",
                                           "in_service", "units", "cost", "credit"]),
            "fleets.csv": table(f.fleets, ["country", "pool", "year", "table", "retired",
                                           "delivered", "owned", "fielded"]),
            "budgets.csv": table(f.budgets, ["country", "year", "pledge", "acquisitions",
                                             "operations", "used", "marginal_value"]
                                 + (["floor", "floor_cost"]
                                    if any(b.floor is not None for b in f.budgets) else [])),
            "lines.csv": table(f.lines, ["line", "builder", "year", "capacity", "delivered",
                                         "marginal_value"]),
            "personnel.csv": table(f.personnel, ["country", "year", "limit", "used",
                                                 "marginal_value"]),
        }
    return {
        "allocations.csv": table(plan.allocations, ["country", "pool", "task", "region",
                                                    "phase", "units", "delivered", "cost"]),
        "countries.csv": table(plan.countries, ["country", "name", "cost", "cost_share",
                                                "gdp_share", "budget_share", "burden_index",
                                                "cost_borne", "borne_share"]),
        "shortfalls.csv": coverage_table(plan.shortfalls, ["task", "region", "phase",
                                                           "required", "delivered", "shortfall",
                                                           "penalty_per_unit",
                                                           "shortfall_penalty",
                                                           "value_basis"]),
        "coverage.csv": coverage_table(plan.coverage, ["task", "region", "phase", "required",
                                                       "delivered", "shortfall",
                                                       "penalty_per_unit", "shortfall_penalty",
                                                       "marginal_cost", "value_basis"]),
        "duals.csv": constraints_table(plan.constraints),
        **force,
    }


def coverage_table(rows: list[Coverage], columns: list[str]) -> pd.DataFrame:
    """Requirements with their penalty both ways: the rate per unit short and the total it
    adds to the objective (the number `planner solve` prints)."""
    return pd.DataFrame([{**c.model_dump(), "shortfall_penalty": c.shortfall_penalty}
                         for c in rows], columns=columns)


def protect_cell(value: Any) -> Any:
    """A text cell as a spreadsheet must read it: control characters (which some read as a
    row break, so that the next "row" could start with a formula) become spaces, and a cell
    a spreadsheet would run as a formula, even after the blanks and controls it skips
    (OWASP's CSV injection guidance), starts with a quote that makes it plain text."""
    if not isinstance(value, str):
        return value
    text = BREAKS.sub(" ", value)
    if SKIPPED.sub("", value).startswith(FORMULA_START) or text.startswith(FORMULA_START):
        return f"'{text}"
    return text


def protect(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula are written as plain text."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(protect_cell)
    return out


def write_atomic(path: Path, data: bytes) -> None:
    """Replace (or create) a file in one step: a reader sees the old bytes or the new. A new
    file gets the permissions a plain open() would give it, a replaced one keeps its own.
    A symbolic link is replaced by the file, never written through (callers that mean to
    edit a link's target resolve it first)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if path.exists() and not path.is_symlink():
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


KIND = {"plan.json": "plan", "analysis.json": "analysis"}


def checkpoint(step: str) -> None:
    """Between two steps of writing a folder. Does nothing; the fault-injection test
    replaces it with a kill to prove that every instant is recoverable."""


def article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def is_plan_folder(folder: Path, marker: str = "plan.json") -> bool:
    """Whether ``folder`` holds a saved plan (or analysis) to read; a half-finished swap
    left by a killed run is completed first."""
    recover(folder)
    return folder.is_dir() and (folder / marker).is_file()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_bytes(kind: str, files: dict[str, bytes]) -> bytes:
    listing = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    return (json.dumps({"written_by": WRITTEN_BY, "kind": kind, "files": listing},
                       indent=2) + "\n").encode()


def read_manifest(folder: Path) -> tuple[str, dict[str, str]] | None:
    """The kind and file listing of a folder this planner wrote, or None."""
    path = folder / MANIFEST
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 1_000_000:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(data, dict) and data.get("written_by") == WRITTEN_BY
            and isinstance(data.get("kind"), str) and isinstance(data.get("files"), dict)):
        return None
    files = data["files"]
    if not all(isinstance(k, str) and isinstance(v, str) and k not in ("", ".", "..")
               and "/" not in k and "\\" not in k and k != MANIFEST for k, v in files.items()):
        return None
    return data["kind"], files


def plain_folder(folder: Path) -> bool:
    """A real folder (not a link to one)."""
    return not folder.is_symlink() and folder.is_dir()


def folder_kind(folder: Path) -> str | None:
    """The kind of folder this planner wrote there (plan, analysis, ...), or None."""
    manifest = read_manifest(folder) if plain_folder(folder) else None
    return manifest[0] if manifest else None


def why_not_ours(folder: Path, kind: str) -> str | None:
    """Why ``folder`` is not entirely {kind} this planner wrote, or None when it is."""
    manifest = read_manifest(folder)
    if manifest is None:
        return f"was not written by this planner as {article(kind)} (it has no manifest)"
    written_kind, listing = manifest
    if written_kind != kind:
        return f"holds {article(written_kind)}, not {article(kind)}"
    present = set(os.listdir(folder)) - {MANIFEST}
    if present - set(listing):
        others = ", ".join(sorted(present - set(listing))[:3])
        return f"also holds files this planner did not write ({others})"
    for name, digest in sorted(listing.items()):
        path = folder / name
        if path.is_symlink() or not path.is_file():
            return f"lacks {name}, or it is not a plain file"
        if sha256(path) != digest:
            return f"{name} was changed after the planner wrote it"
    return None


def working_folder_or_parent(folder: Path) -> bool:
    here = Path.cwd().resolve()
    there = folder.resolve()
    return there == here or there in here.parents


def staging(folder: Path) -> tuple[Path, Path]:
    """Where a folder's replacement is staged and where the old one waits for removal."""
    return (folder.parent / f".{folder.name}.planner-new",
            folder.parent / f".{folder.name}.planner-old")


def leftover(folder: Path) -> bool:
    """A staging or retired folder of ours, in whatever state a kill left it: empty, or
    holding its manifest and only files the manifest names."""
    if not plain_folder(folder):
        return False
    names = set(os.listdir(folder))
    if not names:
        return True
    manifest = read_manifest(folder)
    return manifest is not None and names - {MANIFEST} <= set(manifest[1])


def complete(folder: Path) -> bool:
    manifest = read_manifest(folder) if plain_folder(folder) else None
    return manifest is not None and why_not_ours(folder, manifest[0]) is None


def remove_ours(folder: Path) -> None:
    """Delete a folder this planner wrote: its listed files, then the manifest (so that a
    kill half way leaves it still recognisable), then the folder."""
    manifest = read_manifest(folder)
    for name in sorted(manifest[1]) if manifest else []:
        checkpoint(f"remove {name}")
        (folder / name).unlink(missing_ok=True)
    checkpoint("remove manifest")
    (folder / MANIFEST).unlink(missing_ok=True)
    checkpoint("remove folder")
    folder.rmdir()


def recover(folder: Path) -> str | None:
    """Finish or undo a swap a killed run left half done, and say what was done (also on
    standard error). The new folder is kept when it was complete, else the old one."""
    new, old = staging(folder)
    present = folder.exists() or folder.is_symlink()
    done = None
    if old.exists() and leftover(old):
        if present:
            remove_ours(old)
            done = "removed the previous version a finished write left behind"
        elif complete(new):
            new.rename(folder)
            remove_ours(old)
            done = "completed a replacement that was interrupted (the new version is kept)"
        else:
            old.rename(folder)
            done = "undid a replacement that was interrupted (the previous version is kept)"
    if new.exists() and leftover(new):
        if not (folder.exists() or folder.is_symlink()) and complete(new):
            new.rename(folder)
            done = "completed a write that was interrupted"
        else:
            remove_ours(new)
            done = done or "removed an unfinished write"
    if done:
        from planner.inputs.paths import display

        sys.stderr.write(f"note: {display(folder)}: {done}\n")
    return done


def check_destination(folder: Path, force: bool, marker: str | None = "plan.json",
                      kind: str | None = None, partial: bool = False) -> None:
    """Refuse, before any work, a destination that is the working folder or one of its
    parents, a link, anything but a folder entirely written by this planner as this kind
    (a plan, an analysis, ...), or an existing one without ``force``. With ``partial``, a
    partial analysis this planner is filling (``planner.analyze.keep``) may be replaced."""
    kind = kind or KIND.get(marker or "", "plan")
    if partial and folder_kind(Path(folder)) == f"partial {kind}":
        kind = f"partial {kind}"
        force = True
    folder = Path(folder)
    shown = str(folder)
    if working_folder_or_parent(folder):
        raise InputError([Problem(shown, "is the working folder or one of its parents; it is "
                                  "never replaced", hint="give --out a new folder's name")])
    recover(folder)
    if folder.is_symlink():
        raise InputError([Problem(shown, "is a symbolic link; it is left untouched",
                                  hint="choose another --out folder")])
    if not folder.exists():
        new, old = staging(folder)
        for path in (new, old):
            if path.exists() or path.is_symlink():
                raise InputError([Problem(str(path), "is in the way of writing "
                                          f"{shown} and was not left by this planner",
                                          hint="move it away")])
        return
    if not folder.is_dir():
        raise InputError([Problem(shown, f"exists and is not {article(kind)} folder; it is "
                                  "left untouched", hint="choose another --out folder")])
    reason = why_not_ours(folder, kind)
    if reason is not None:
        raise InputError([Problem(shown, f"exists and {reason}; it is left untouched",
                                  hint="choose another --out folder, or move it away")])
    if not force:
        raise InputError([Problem(shown, f"already holds {article(kind)}; it is left "
                                  "untouched", hint="pass --force to replace it, --out to "
                                  "write elsewhere, or --no-save")])


def check_output_file(path: Path, force: bool, inputs: Sequence[Path] = ()) -> None:
    """Refuse an output file that is an input or inside an input folder (always), a folder
    or special file (always), or an existing file without ``force``."""
    path = Path(path)
    shown = str(path)
    target = path.resolve()
    for given in inputs:
        source = Path(given).resolve()
        if target == source or source in target.parents:
            raise InputError([Problem(shown, f"is an input ({given}); inputs are never "
                                      "overwritten", hint="give --out another path")])
    if path.is_symlink():
        if not force:
            raise InputError([Problem(shown, "exists (a symbolic link); it is left untouched",
                                      hint="pass --force to replace the link (its target is "
                                      "never written), or give --out another path")])
        return
    if not path.exists():
        return
    if path.is_dir():
        raise InputError([Problem(shown, "is a folder, not a file; it is left untouched",
                                  hint="give --out a file name")])
    if not stat.S_ISREG(path.stat().st_mode):
        raise InputError([Problem(shown, "is not a plain file; it is left untouched",
                                  hint="give --out a file name")])
    if not force:
        raise InputError([Problem(shown, "already exists; it is left untouched",
                                  hint="pass --force to replace it, or give --out another "
                                  "path")])


def save_plan(plan: Plan, folder: Path, force: bool = False) -> Path:
    """Write plan.json and the CSV tables into ``folder``; an older plan there is replaced
    only with ``force``, and a folder that is not a plan never."""
    files = {"plan.json": (plan.model_dump_json(indent=2) + "\n").encode()}
    tables = frames(plan)
    files |= {name: csv_bytes(frame) for name, frame in tables.items()}
    files["plan.xlsx"] = frames_workbook(tables)  # the same tables, one sheet each
    return save_folder(files, Path(folder), "plan.json", force)


def frames_workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    """Tables (a plan's) as one sheet each, header first; text protected from formula
    interpretation as in the CSV files, missing values as empty cells."""
    book = new_workbook()
    for name, frame in frames.items():
        safe = protect(frame)
        rows: list[list[Any]] = [list(safe.columns)]
        for record in safe.itertuples(index=False):
            rows.append([None if v is None or (isinstance(v, float) and math.isnan(v))
                         else v.item() if hasattr(v, "item") else v for v in record])
        add_rows(book, Path(name).stem, rows)
    return saved(book)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as CSV, with text a spreadsheet would run as a formula made plain text."""
    return protect(frame).to_csv(index=False, lineterminator="\n").encode()


def write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def save_folder(files: dict[str, bytes], folder: Path, marker: str | None, force: bool,
                kind: str | None = None, partial: bool = False) -> Path:
    """Write files into ``folder`` at once: staged beside it and swapped in, so that a
    reader sees the old folder or the new one and a kill at any instant is recoverable.
    Only a folder this planner wrote as this kind is replaced, and only with ``force``."""
    kind = kind or KIND.get(marker or "", "plan")
    folder = Path(folder)
    check_destination(folder, force, marker, kind, partial)
    folder.parent.mkdir(parents=True, exist_ok=True)
    new, old = staging(folder)
    try:
        checkpoint("stage")
        new.mkdir()
        new.chmod(0o777 & ~current_umask())
        checkpoint("manifest")
        write_file(new / MANIFEST, manifest_bytes(kind, files))
        for name, data in files.items():
            checkpoint(f"write {name}")
            write_file(new / name, data)
        if folder.exists():
            checkpoint("retire")
            folder.rename(old)
            checkpoint("swap")
            new.rename(folder)
            remove_ours(old)
        else:
            checkpoint("swap")
            new.rename(folder)
    except BaseException:
        with_cleanup(folder)
        raise
    return folder


def with_cleanup(folder: Path) -> None:
    """After a failed write: the previous folder back in place, the staging removed."""
    new, old = staging(folder)
    if old.exists() and not folder.exists():
        old.rename(folder)
    for path in (new, old):
        if path.exists() and leftover(path):
            remove_ours(path)
