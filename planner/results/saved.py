"""Saved plans and analyses read back: inputs like any other, so checked like any other.

A ``plan.json`` or ``analysis.json`` may have been edited by hand, damaged, or written by
someone else. It is read with limits (a plain file, a size, a nesting depth), validated
against typed models that refuse unknown keys (the mission inside a plan against the
mission schema, so its name is an identifier and never a path), checked for consistency
(every allocation's country, phase and task known to the plan), and every file an analysis
names is resolved inside its own folder. Its SVG charts are sanitised before they are
embedded: no scripts, no event handlers, no references outside the document.
"""

from __future__ import annotations

import json
import stat
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.errors import InputError, Problem
from planner.results.explain import Explanation
from planner.results.plan import Plan

MAX_SAVED_BYTES = 200_000_000
MAX_CHART_BYTES = 20_000_000
MAX_DEPTH = 64


def read_json(path: Path, limit: int = MAX_SAVED_BYTES) -> Any:
    """A JSON file that is a plain file under ``limit`` bytes, nested at most MAX_DEPTH."""
    shown = str(path)
    redo = "solve or analyse again to rewrite the folder"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError([Problem(shown, "does not exist", hint=redo)]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(shown, "is not a plain file", hint=redo)])
    if info.st_size > limit:
        raise InputError([Problem(shown, f"is {info.st_size:,} bytes; at most {limit:,} are "
                                  "read", hint=redo)])
    data = path.read_bytes()[:limit + 1]
    if depth(data) > MAX_DEPTH:
        raise InputError([Problem(shown, f"is nested more than {MAX_DEPTH} levels deep",
                                  hint=redo)])
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError([Problem(shown, f"is not readable JSON ({short(exc)})",
                                  hint=redo)]) from None


def depth(data: bytes) -> int:
    """The deepest nesting of brackets outside strings, without parsing (no recursion)."""
    deepest = level = 0
    inside = escaped = False
    for byte in data:
        if inside:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                inside = False
        elif byte == 0x22:
            inside = True
        elif byte in (0x5B, 0x7B):
            level += 1
            deepest = max(deepest, level)
        elif byte in (0x5D, 0x7D):
            level -= 1
    return deepest


def short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__


def problems_of(label: str, exc: ValidationError, hint: str) -> list[Problem]:
    """A validation error as located problems (at most a few: one bad file is one fix)."""
    found = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        found.append(Problem(label, error["msg"], column=where, hint=hint))
    return found


class SavedPlan(Plan):
    """A plan as read from a folder: the explanation typed, not free (the mission is typed
    in every plan)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    explanation: Explanation | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def consistent(self) -> SavedPlan:
        """What the reports look up must be there: every country, phase and requirement
        an allocation names."""
        countries = {c.country for c in self.countries}
        phases = set(self.mission.phases or [])
        if len(countries) != len(self.countries):
            raise ValueError("a country is listed twice in countries")
        for a in self.allocations:
            if a.country not in countries:
                raise ValueError(f"allocation of country {a.country} not in countries")
            if phases and a.phase not in phases:
                raise ValueError(f"allocation in phase {a.phase} not in the mission's phases")
        for c in self.coverage:
            if phases and c.phase not in phases:
                raise ValueError(f"requirement in phase {c.phase} not in the mission's phases")
        return self


def load_plan(folder: Path) -> Plan:
    """A saved plan folder's plan.json, strictly checked."""
    path = Path(folder) / "plan.json"
    document = read_json(path)
    hint = "solve the mission again to rewrite the folder"
    try:
        saved = SavedPlan.model_validate(document)
    except ValidationError as exc:
        raise InputError(problems_of(str(path), exc, hint)) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise InputError([Problem(str(path), f"not a plan this planner can read ({short(exc)})",
                                  hint=hint)]) from None
    fields = {name: getattr(saved, name) for name in Plan.model_fields}
    return Plan.model_construct(saved.model_fields_set, **{
        **fields, "explanation": saved.explanation.model_dump(mode="json")
        if saved.explanation else None})


# --- analyses ----------------------------------------------------------------------------

Scalar = str | int | float | bool | None
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")]
ChartFile = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.svg$")]
Text = Annotated[str, Field(max_length=100_000)]


class SavedAnalysis(BaseModel):
    """``analysis.json`` as ``planner analyze`` writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["resilience", "fairness", "pareto", "montecarlo", "alternatives",
                  "priorities"]
    mission: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,99}$")]
    title: Text
    findings: list[Text]
    facts: dict[Name, Scalar | list[Scalar] | dict[str, Scalar]] = {}
    tables: dict[Name, list[dict[Text, Scalar]]]
    charts: list[ChartFile] = []
    input_digest: str | None = None
    versions: dict[str, str] = {}


def inside(folder: Path, name: str) -> Path:
    """A file an analysis names, only when it is a plain file in the analysis's own folder."""
    path = folder / name
    if path.is_symlink() or path.resolve().parent != folder.resolve():
        raise InputError([Problem(str(path), "is outside its analysis folder, or a link",
                                  hint="run the analysis again to rewrite the folder")])
    return path


def load_analysis_file(folder: Path) -> tuple[SavedAnalysis, dict[str, str]]:
    """The analysis and its charts (name -> sanitised SVG)."""
    folder = Path(folder)
    path = folder / "analysis.json"
    hint = "run the analysis again to rewrite the folder"
    try:
        saved = SavedAnalysis.model_validate(read_json(path))
    except ValidationError as exc:
        raise InputError(problems_of(str(path), exc, hint)) from None
    charts = {}
    for name in saved.charts:
        chart = inside(folder, name)
        if not chart.exists():
            continue
        raw = read_text(chart, MAX_CHART_BYTES)
        charts[Path(name).stem] = sanitise_svg(raw, str(chart))
    return saved, charts


def read_text(path: Path, limit: int) -> str:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        raise InputError([Problem(str(path), f"is not a plain file under {limit:,} bytes",
                                  hint="run the analysis again to rewrite the folder")])
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), "is not UTF-8 text",
                                  hint="run the analysis again to rewrite the folder")]
                         ) from None


# --- SVG ---------------------------------------------------------------------------------

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
DRAWING = {"svg", "g", "path", "defs", "clipPath", "use", "rect", "circle", "ellipse", "line",
           "polyline", "polygon", "text", "tspan", "title", "desc", "style", "linearGradient",
           "radialGradient", "stop", "pattern", "mask", "symbol", "marker"}
OUTSIDE = ("javascript:", "data:", "http:", "https:", "file:", "//", "@import",
           "expression(")


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def refers_outside(value: str) -> bool:
    """A value that points outside the document (a URL, a script) rather than at an
    element of it (``#id``, ``url(#id)``)."""
    lowered = "".join(value.split()).lower()
    if any(marker in lowered for marker in OUTSIDE):
        return True
    return "url(" in lowered and any(not part.startswith("#") and not part.startswith("'#")
                                     and not part.startswith('"#')
                                     for part in lowered.split("url(")[1:])


def sanitise_svg(text: str, label: str = "chart") -> str:
    """Only drawing: elements outside DRAWING (script, foreignObject, image, a, animate...)
    are dropped with their content, and so are event handlers (on*), links that are not
    to ``#id`` and styles that load anything. A DOCTYPE (entities) is refused."""
    start = text.find("<svg")
    if start < 0 or "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise InputError([Problem(label, "is not a plain SVG drawing",
                                  hint="run the analysis again to rewrite the folder")])
    try:
        root = ET.fromstring(text[start:])
    except ET.ParseError as exc:
        raise InputError([Problem(label, f"is not readable SVG ({exc})",
                                  hint="run the analysis again to rewrite the folder")]
                         ) from None
    if local(root.tag) != "svg":
        raise InputError([Problem(label, "is not an SVG drawing",
                                  hint="run the analysis again to rewrite the folder")])
    clean_element(root)
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    return ET.tostring(root, encoding="unicode")


def clean_element(element: ET.Element) -> None:
    for child in list(element):
        if not isinstance(child.tag, str) or local(child.tag) not in DRAWING:
            element.remove(child)
        else:
            clean_element(child)
    for name, value in list(element.attrib.items()):
        short_name = local(name).lower()
        handler = short_name.startswith("on")
        if handler or (short_name == "href" and not value.startswith("#")) or refers_outside(
                value):
            del element.attrib[name]
    if local(element.tag) == "style" and element.text and refers_outside(element.text):
        element.text = ""


# --- the agreed plan of a persistence front ------------------------------------------------

AGREED = ["country", "pool", "task", "region", "phase", "units"]


@dataclass(frozen=True)
class AgreedPlan:
    """The units of a saved plan folder by pool, task, region and phase: what
    ``planner analyze pareto --against persistence`` counts the units moved from. Read from
    the folder's allocations.csv, the table an analyst may have edited to the plan agreed."""

    folder: Path
    units: pd.DataFrame  # AGREED columns, units as float


def load_agreed(folder: Path) -> AgreedPlan:
    """The agreed units of a saved plan folder; a damaged file is a located error, every
    problem at once."""
    path = Path(folder) / "allocations.csv"
    if not (Path(folder) / "plan.json").is_file() or not path.is_file():
        raise InputError([Problem(str(folder), "is not a plan folder (no plan.json and "
                                  "allocations.csv)", hint="pass a folder written by "
                                  "planner solve, e.g. plans/baseline")])
    hint = "solve the agreed mission again to rewrite the plan folder"
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), f"cannot be read ({exc.__class__.__name__})",
                                  hint=hint)]) from None
    missing = [c for c in AGREED if c not in table.columns]
    if missing:
        raise InputError([Problem(str(path), f"has no column {', '.join(missing)}",
                                  hint=hint)])
    problems = []
    units = pd.to_numeric(table["units"], errors="coerce")
    for index in np.flatnonzero(~np.isfinite(units.to_numpy(float)) | (units < 0)):
        problems.append(Problem(str(path), f"'{table['units'].iloc[index]}' is not a number "
                                "of units", row=int(index) + 2, column="units", hint=hint))
    for index in np.flatnonzero(table.duplicated(AGREED[:-1]).to_numpy()):
        problems.append(Problem(str(path), "this pool, task, region and phase is listed "
                                "twice", row=int(index) + 2, hint=hint))
    if problems:
        raise InputError(problems)
    return AgreedPlan(Path(folder), table[AGREED[:-1]].assign(units=units.astype(float)))
