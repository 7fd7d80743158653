"""Where the capability tables and missions are found.

From a checkout, the folders at the repository root; from an installed wheel, the copies
packaged inside ``planner/_shipped``; from any folder that has its own ``capabilities/`` or
``missions/``, those.
"""

from __future__ import annotations

from pathlib import Path

from planner.errors import InputError, Problem, suggest

PACKAGE = Path(__file__).resolve().parents[1]  # the planner package
DEFAULT_MISSION = "baseline"
MISSION_SUFFIXES = (".yaml", ".yml")


def shipped(name: str) -> Path:
    """The shipped ``capabilities`` or ``missions`` folder."""
    packaged = PACKAGE / "_shipped" / name
    return packaged if packaged.is_dir() else PACKAGE.parent / name


def data_dir(explicit: Path | None = None) -> Path:
    """The capability folder: --data, else ./capabilities, else the shipped tables."""
    if explicit is not None:
        return explicit
    local = Path.cwd() / "capabilities"
    return local if (local / "countries.csv").exists() else shipped("capabilities")


def missions_dir() -> Path:
    local = Path.cwd() / "missions"
    return local if local.is_dir() else shipped("missions")


def mission_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix in MISSION_SUFFIXES)


def mission_names(folder: Path) -> list[str]:
    return [p.stem for p in mission_files(folder)]


def mission_path(name_or_path: str | None) -> Path:
    """A mission file from a path, or from a name in the missions folder."""
    given = name_or_path or DEFAULT_MISSION
    path = Path(given)
    if path.exists() and not path.is_dir():  # a special file is refused by the reader
        return path
    folder = missions_dir()
    for suffix in MISSION_SUFFIXES:
        candidate = folder / f"{given}{suffix}"
        if candidate.exists() and not candidate.is_dir():
            return candidate
    names = mission_names(folder)
    hint = suggest(path.stem, names) or (f"missions in {folder}: {', '.join(names)}"
                                         if names else "give the path of a mission file")
    raise InputError([Problem(given, "no such mission file or mission name", hint=hint)])


def display(path: Path) -> str:
    """A path as short as it can be shown: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
