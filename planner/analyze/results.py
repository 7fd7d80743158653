"""What an analysis returns, how it is printed, and how it is saved like a plan.

An analysis is findings (sentences a reader can act on), tables (saved as CSV, shown in the
terminal and in reports), optional charts (SVG) and facts (the numbers behind the run: how
many solves, how long, where they ran). Saved, it is a folder with ``analysis.json``, one CSV
per table and one SVG per chart, written atomically like a plan folder.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.reports.output import csv_bytes, save_folder
from planner.results.plan import versions
from planner.scenario.instance import Instance


@dataclass
class Analysis:
    """The result of an analysis: findings (sentences), tables (DataFrames), facts, charts.

    Like a plan, it records what it was run from: the input digest (of the tables and the
    mission as applied) and the versions of everything that can change a result, so a saved
    analysis can be reproduced and two can be told apart."""

    kind: str  # resilience | fairness | pareto | montecarlo | alternatives | priorities
    mission: str
    title: str
    findings: list[str]
    tables: dict[str, pd.DataFrame]
    facts: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)  # name -> SVG text
    # the columns printed in the terminal, per table (all by default; none: saved only)
    shown: dict[str, list[str]] = field(default_factory=dict)
    input_digest: str = field(kw_only=True)  # Instance.digest of what was analysed
    versions: dict[str, str] = field(default_factory=versions, kw_only=True)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "mission": self.mission, "title": self.title,
                "input_digest": self.input_digest, "versions": self.versions,
                "findings": self.findings, "facts": jsonable(self.facts),
                "tables": {name: jsonable(table.to_dict(orient="records"))
                           for name, table in self.tables.items()},
                "charts": sorted(f"{name}.svg" for name in self.charts)}


def jsonable(value: Any) -> Any:
    """JSON without NaN or infinities (written as null), and numpy numbers as plain ones."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def analysis_text(document: dict[str, Any]) -> str:
    """``analysis.json``'s text: indented, with each table row on a line of its own. One
    ``json.dumps(indent=2)`` of the whole runs Python's slow encoder over every cell (0.9 s
    of a 4,000-draw Monte Carlo's serial part); a row at a time uses the C encoder."""
    tables = document.get("tables", {})
    text = json.dumps({**document, "tables": "\0"}, indent=2)
    hole = '\n  "tables": "\\u0000"'  # the top level's "tables", and only it
    if not tables:
        return text.replace(hole, '\n  "tables": {}', 1)
    parts = []
    for name, rows in tables.items():
        lines = ",\n".join("      " + json.dumps(row) for row in rows)
        parts.append(f"    {json.dumps(name)}: [\n{lines}\n    ]" if rows
                     else f"    {json.dumps(name)}: []")
    return text.replace(hole, '\n  "tables": {\n' + ",\n".join(parts) + "\n  }", 1)


def save_analysis(analysis: Analysis, folder: Path, force: bool = False,
                  partial: bool = False) -> Path:
    """``analysis.json``, a CSV per table and an SVG per chart, swapped in at once; with
    ``partial``, in place of the chunks this run kept in the folder."""
    files = {"analysis.json": (analysis_text(analysis.to_json()) + "\n").encode()}
    files |= {f"{name}.csv": csv_bytes(table) for name, table in analysis.tables.items()}
    files |= {f"{name}.svg": svg.encode() for name, svg in analysis.charts.items()}
    return save_folder(files, Path(folder), "analysis.json", force, partial=partial)


def load_analysis(folder: Path) -> Analysis:
    """An analysis folder read back (for reports): strictly checked, its charts read only
    from its own folder and sanitised (``planner.results.saved``)."""
    from planner.results.saved import load_analysis_file

    saved, charts = load_analysis_file(Path(folder))
    return Analysis(saved.kind, saved.mission, saved.title, list(saved.findings),
                    {name: pd.DataFrame(rows) for name, rows in saved.tables.items()},
                    dict(saved.facts), charts, input_digest=saved.input_digest or "",
                    versions=dict(saved.versions))


def no_plan(instance: Instance, status: str) -> str:
    """Why an analysis cannot start: the mission as given has no plan."""
    return (f"mission {instance.mission.name} has no plan to analyse ({status}); "
            f"'planner solve {instance.mission_file or instance.mission.name}' shows the "
            "policies that clash")


def money(value: float | None) -> str:
    """USD m, thousands separated, one decimal."""
    return "n/a" if value is None else f"{value:,.1f}"


def requirement_names(instance: Instance) -> list[str]:
    """Each requirement row as a reader names it: ``isr in east_china_sea (crisis)``."""
    return [f"{t} in {r} ({h})" for t, r, h in
            instance.requirements[["task", "region", "phase"]].itertuples(index=False)]


def print_analysis(analysis: Analysis, console: Any) -> None:
    """Findings first, then each table, then how the run went."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(analysis.title, style="bold"))
    for line in analysis.findings:
        console.print(Text(line))
    for name, frame in analysis.tables.items():
        frame = frame[analysis.shown.get(name, list(frame.columns))]
        if frame.columns.empty:  # saved for the record (e.g. one row per draw), not printed
            continue
        table = Table(title=name.replace("_", " "), title_justify="left")
        for column in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[column])
            table.add_column(str(column), justify="right" if numeric else "left")
        for row in frame.itertuples(index=False):
            table.add_row(*[cell(v) for v in row])
        console.print(table)
    facts = analysis.facts
    if "solves" in facts:
        whole = (f"; the whole analysis {facts['wall_seconds']:.2f} s"
                 if "wall_seconds" in facts else "")
        console.print(Text(f"{facts['solves']} solves; the sweep took {facts['seconds']:.2f} s "
                           f"on {facts.get('ran_on', 'this process')}{whole}."))


def cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)
