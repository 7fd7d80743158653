"""Finished chunks of an analysis kept in its folder as they arrive, for ``--resume``.

While an analysis runs, its folder (``analyses/<kind>-<mission>`` or ``--out``) is a
*partial analysis*: ``progress.json`` (what the analysis is: kind, mission, the input digest
and the command's settings) and one ``chunk-*.json`` per finished chunk (the records of its
cases by position, with the fingerprint of the sweep they belong to), listed in the folder's
manifest like every folder the planner writes. Each file is written beside its place and
renamed into it, then the manifest is replaced the same way, so a kill at any instant leaves
complete files only. ``--resume`` reads the chunks back and runs only the cases they lack;
when the analysis completes, the finished analysis replaces the partial one in one swap
(``planner.reports.output.save_folder``).

Records travel through JSON both when kept and when computed in the same run, so a resumed
analysis is built from exactly the numbers an uninterrupted one is (floats round-trip
exactly through Python's JSON).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planner.errors import InputError, Problem

PARTIAL = "partial analysis"  # the manifest kind of a folder being filled
PROGRESS = "progress.json"
CHUNK = re.compile(r"chunk-([0-9a-f]{16})-(\d{7})-(\d+)\.json")
STAGED = re.compile(r"\.(chunk-[0-9a-f]{16}-\d{7}-\d+\.json|progress\.json|"
                    r"\.planner-manifest\.json)\.new")
Record = dict[str, Any]


def fingerprint(value: Any) -> str:
    """A digest of cases (numbers, text, arrays, tuples, sets) that is the same in every
    process: sets are sorted, numeric arrays taken by their bytes (little-endian) with
    their type and shape, other arrays listed, floats written exactly."""
    def plain(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            # its exact bytes (listing every float cost 20 us); a masked array's mask
            # is not in its bytes, so it is listed
            if type(v) is np.ndarray and v.dtype.kind in "biuf":
                data = np.ascontiguousarray(v, dtype=v.dtype.newbyteorder("<"))
                return ["array", v.dtype.str[1:], list(v.shape),
                        hashlib.sha256(data.tobytes()).hexdigest()]
            return [plain(x) for x in v.tolist()]
        if isinstance(v, set | frozenset):
            return sorted((plain(x) for x in v), key=repr)
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, float):
            return repr(v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return [type(v).__name__, {f.name: plain(getattr(v, f.name))
                                       for f in dataclasses.fields(v)}]
        if v is None or isinstance(v, str | int | bool):
            return v
        return repr(v)

    text = json.dumps(plain(value), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


RECORDS = 2  # the form of the records chunk files hold; 2: shortfalls listed only where short


def records_text(records: list[Record]) -> str:
    """The JSON text a chunk file holds of its records (``chunk_file``)."""
    return json.dumps(records)


def records_of(text: str) -> list[Record]:
    """Records as they read back from their JSON text."""
    return json.loads(text)


def round_trip(records: list[Record]) -> tuple[list[Record], str]:
    """Records as they read back from a chunk file, and their JSON text (which the chunk
    file holds, so that it is written without a second encoding)."""
    text = records_text(records)
    return records_of(text), text


@dataclass
class Keeper:
    """Where the finished chunks of one analysis are kept, and those found there."""

    folder: Path
    about: Record  # kind, mission, input_digest, settings: what progress.json holds
    found: dict[str, dict[int, Record]] = field(default_factory=dict)  # sweep -> records
    kept: int = 0  # cases kept in the folder, earlier runs included
    written: bool = False  # whether this run has written the folder yet
    listing: dict[str, str] = field(default_factory=dict)  # file -> sha256, for the manifest

    @classmethod
    def start(cls, folder: Path, about: Record, resume: bool, force: bool) -> Keeper:
        """The keeper of ``folder``; with ``resume``, the chunks an interrupted run of the
        same analysis left there (refused when the inputs or settings differ). A partial
        folder is otherwise replaced only with ``force``."""
        about = {**about, "records": RECORDS}
        keeper = cls(Path(folder), about)
        if not is_partial(keeper.folder):
            return keeper
        if not resume:
            if not force:
                raise InputError([Problem(str(folder), "holds an interrupted analysis "
                                          f"({count_kept(keeper.folder)} cases kept)",
                                          hint="pass --resume to continue it, --force to "
                                          "start again, or --out to write elsewhere")])
            return keeper
        before = read_progress(keeper.folder)
        refuse_changes(keeper.folder, before, about)
        keeper.read()
        keeper.begin()  # the manifest lists exactly the chunks found
        return keeper

    def read(self) -> None:
        """Every chunk file of the folder, into ``found``."""
        for name in sorted(os.listdir(self.folder)):
            match = CHUNK.fullmatch(name)
            path = self.folder / name
            if STAGED.fullmatch(name):
                path.unlink(missing_ok=True)  # a write a kill interrupted
            if not match:
                continue
            try:
                raw = path.read_bytes()
                data = json.loads(raw)
                sweep, cases, records = data["sweep"], data["cases"], data["records"]
            except (OSError, ValueError, KeyError, TypeError):
                data = None
            if data is None or sweep != match.group(1) or len(cases) != len(records):
                path.unlink(missing_ok=True)  # damaged: its cases run again
                continue
            mine = self.found.setdefault(sweep, {})
            for i, record in zip(cases, records, strict=True):
                mine[int(i)] = record
            self.listing[name] = hashlib.sha256(raw).hexdigest()
        self.kept = sum(len(v) for v in self.found.values())

    def done(self, sweep: str) -> dict[int, Record]:
        """Records already kept for a sweep, by case position."""
        return self.found.get(sweep, {})

    def add(self, sweep: str, cases: Sequence[int], records: list[Record],
            text: str | None = None) -> None:
        """One finished chunk, written into the folder (created as a partial analysis on
        the first chunk). ``text``: the records' JSON when the caller has it already
        (``round_trip``); the file is the same bytes either way."""
        if not cases:
            return
        if not self.written:
            self.begin()
        name = f"chunk-{sweep}-{min(cases):07d}-{len(cases)}.json"
        data = chunk_file(sweep, list(map(int, cases)),
                          json.dumps(records) if text is None else text)
        self.put(name, data)
        self.found.setdefault(sweep, {}).update(zip(cases, records, strict=True))
        self.kept += len(cases)

    def put(self, name: str, data: bytes) -> None:
        """One file into the folder, then the manifest that lists it."""
        from planner.reports.output import MANIFEST, WRITTEN_BY, write_file

        replace(self.folder / name, data, write_file)
        self.listing[name] = hashlib.sha256(data).hexdigest()
        manifest = {"written_by": WRITTEN_BY, "kind": PARTIAL,
                    "files": dict(sorted(self.listing.items()))}
        replace(self.folder / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode(),
                write_file)

    def begin(self) -> None:
        """The folder made a partial analysis of this run: progress.json and manifest (an
        earlier partial folder is emptied first unless this run resumes it)."""
        folder = self.folder
        if is_partial(folder) and not self.found:
            clear(folder)  # --force: start again
        folder.mkdir(parents=True, exist_ok=True)
        self.written = True
        self.put(PROGRESS, (json.dumps(self.about, indent=2, sort_keys=True) + "\n").encode())


def chunk_file(sweep: str, cases: list[int], records: str) -> bytes:
    """A chunk file's bytes, as ``json.dumps`` writes the object with these three keys,
    around the records' JSON text, encoded once: by the worker that solved them
    (``distribute.Done.encoded``), or here for cases solved here."""
    return (f'{{"sweep": {json.dumps(sweep)}, "cases": {json.dumps(cases)}, '
            f'"records": {records}}}').encode()


def replace(path: Path, data: bytes, write: Any) -> None:
    """``data`` into ``path`` by a rename: readers see the old file or the new one."""
    staged = path.with_name(f".{path.name}.new")
    write(staged, data)
    os.replace(staged, path)


def clear(folder: Path) -> None:
    """A partial analysis folder removed: its chunks, progress, staged files and manifest."""
    from planner.reports.output import MANIFEST

    for name in os.listdir(folder):
        if CHUNK.fullmatch(name) or STAGED.fullmatch(name) or name == PROGRESS:
            (folder / name).unlink()
    (folder / MANIFEST).unlink(missing_ok=True)
    folder.rmdir()


def is_partial(folder: Path) -> bool:
    from planner.reports.output import read_manifest

    manifest = read_manifest(folder) if folder.is_dir() and not folder.is_symlink() else None
    return manifest is not None and manifest[0] == PARTIAL


def count_kept(folder: Path) -> int:
    total = 0
    for name in os.listdir(folder):
        match = CHUNK.fullmatch(name)
        total += int(match.group(3)) if match else 0
    return total


def read_progress(folder: Path) -> Record:
    try:
        data = json.loads((folder / PROGRESS).read_bytes())
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise InputError([Problem(str(folder / PROGRESS), "cannot be read, so the interrupted "
                                  "analysis cannot be continued",
                                  hint="pass --force to start again")])
    return data


def refuse_changes(folder: Path, before: Record, now: Record) -> None:
    """Resuming is refused when the analysis would mix results of other inputs or other
    settings with this run's."""
    if before.get("kind") != now["kind"] or before.get("mission") != now["mission"]:
        raise InputError([Problem(str(folder), f"holds an interrupted {before.get('kind')} "
                                  f"analysis of mission {before.get('mission')}, not "
                                  f"{now['kind']} of {now['mission']}",
                                  hint="give --out the folder of this analysis, or pass "
                                  "--force to start again")])
    if before.get("records", 1) != now["records"]:
        raise InputError([Problem(str(folder), "the interrupted analysis was kept by a "
                                  "version of the planner whose records differ (form "
                                  f"{before.get('records', 1)}, this version's: "
                                  f"{now['records']})", hint="pass --force instead of "
                                  "--resume to start again")])
    flags_then, flags_now = before.get("flags"), now.get("flags")
    if isinstance(flags_then, dict) and isinstance(flags_now, dict) and flags_then != flags_now:
        changed = ", ".join(f"{k}={flags_then.get(k)} then, {flags_now.get(k)} now"
                            for k in sorted(set(flags_then) | set(flags_now))
                            if flags_then.get(k) != flags_now.get(k))
        raise InputError([Problem(str(folder), "the mission's flags differ from those the "
                                  f"interrupted analysis ran with ({changed}); its finished "
                                  "cases cannot be mixed with new ones",
                                  hint="resume with the flags it ran with (--set), or pass "
                                  "--force instead of --resume to start again")])
    if before.get("input_digest") != now["input_digest"]:
        was, is_ = str(before.get("input_digest"))[:12], now["input_digest"][:12]
        raise InputError([Problem(str(folder), "the tables or the mission changed since the "
                                  f"interrupted analysis began (input digest {was} then, "
                                  f"{is_} now); its finished cases cannot be mixed with "
                                  "new ones", hint="restore the inputs it ran on, or pass "
                                  "--force instead of --resume to start again")])
    if before.get("settings") != now["settings"]:
        was = options(before.get("settings") or {})
        raise InputError([Problem(str(folder), f"the interrupted analysis ran with {was}, "
                                  f"this run asks for {options(now['settings'])}",
                                  hint="resume with the same options, or pass --force "
                                  "instead of --resume to start again")])


def options(settings: Record) -> str:
    return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted(settings.items())) or (
        "no options")
