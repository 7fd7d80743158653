"""The edge of reporting: find or solve the plans, write documents and CSV atomically.

``report.py`` builds documents from Plans and stays pure; this module reads plan folders,
solves missions named on the command line, and writes files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner import pipeline
from planner.errors import InputError, Problem
from planner.output import csv_bytes, is_plan_folder, write_atomic
from planner.plan import Plan
from planner.scenario import parse_settings

FORMATS = {"html": "html", "md": "md", "markdown": "md"}


def check_format(name: str) -> str:
    if name.lower() not in FORMATS:
        raise InputError([Problem("--format", f"unknown format '{name}'",
                                  hint="use html or md")])
    return FORMATS[name.lower()]


def load_plan(folder: Path) -> Plan:
    """A saved plan folder's plan.json, checked against the Plan schema."""
    path = folder / "plan.json"
    try:
        return Plan.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise InputError([Problem(str(path), "not a plan this planner can read "
                                  f"({exc.__class__.__name__})",
                                  hint="solve the mission again to rewrite the folder")]) from None


def gather(arguments: list[str], data: Path | None, pairs: list[str]) -> list[Plan]:
    """Each argument as a Plan: a saved plan folder is read, a mission is solved. Every
    input problem of every argument is reported at once."""
    settings = parse_settings(pairs)
    plans, problems = [], []
    for argument in arguments:
        folder = Path(argument)
        try:
            if folder.is_dir() and is_plan_folder(folder) and settings:
                problems.append(Problem("--set", f"{argument} is a saved plan: --set applies "
                                        "only to missions solved on the fly",
                                        hint="solve the mission again with --set"))
            elif folder.is_dir() and is_plan_folder(folder):
                plans.append(load_plan(folder))
            else:
                plans.append(pipeline.solve(argument, data, settings=settings))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return plans


def write_text(path: Path, text: str) -> Path:
    """Write a file through a temporary name and a rename: never half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))
    return path


def write_document(document: Any, kind: str, path: Path, output_format: str) -> Path:
    """HTML in one file; Markdown with its charts as SVG files in ``<name>_charts/``."""
    from planner import report

    links = None
    if output_format == "md":
        files = report.chart_files(document, f"{path.stem}_charts")
        for relative, text in files.values():
            write_text(path.parent / relative, text)
        links = {key: relative for key, (relative, _) in files.items()}
    return write_text(path, report.render(document, kind, output_format, links))


def write_report(plan: Plan, out: Path | None, output_format: str) -> Path:
    from planner import report

    path = out or Path("reports") / f"{plan.mission['name']}.{output_format}"
    return write_document(report.report_document(plan), "report", path, output_format)


def write_analysis_report(folder: Path, out: Path | None, output_format: str) -> Path:
    """A report of a saved analysis folder (``planner analyze ... --out FOLDER``)."""
    from planner import report
    from planner.analyze.results import load_analysis

    try:
        analysis = load_analysis(folder)
    except (ValueError, KeyError, OSError) as exc:
        raise InputError([Problem(str(folder / "analysis.json"), "not an analysis this "
                                  f"planner can read ({exc.__class__.__name__})",
                                  hint="run the analysis again to rewrite the folder")]
                         ) from None
    path = out or Path("reports") / f"{analysis.kind}-{analysis.mission}.{output_format}"
    return write_document(report.analysis_document(analysis), "analysis", path,
                          output_format)


def write_comparison(plans: list[Plan], out: Path | None, output_format: str,
                     csv_folder: Path | None) -> Path:
    from planner import report

    names = "-vs-".join(p.mission["name"] for p in plans[:2])
    path = out or Path("reports") / f"{names}.{output_format}"
    document = report.compare_document(plans)
    if csv_folder is not None:
        for name, frame in report.comparison_tables(document).items():
            write_text(csv_folder / name, csv_bytes(frame).decode("utf-8"))
    return write_document(document, "compare", path, output_format)
