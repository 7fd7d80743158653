"""The edge of reporting: find or solve the plans, write documents and CSV atomically.

``report.py`` builds documents from Plans and stays pure; this module reads plan folders,
solves missions named on the command line, and writes files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner import pipeline
from planner.errors import InputError, Problem
from planner.reports.formats import DOCUMENT
from planner.reports.output import (
    check_destination,
    check_output_file,
    csv_bytes,
    is_plan_folder,
    save_folder,
    write_atomic,
)
from planner.results.plan import Plan
from planner.scenario.instance import parse_settings


def load_plan(folder: Path) -> Plan:
    """A saved plan folder's plan.json, strictly checked (``planner.results.saved``)."""
    from planner.results.saved import load_plan as load

    return load(folder)


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


def inputs_of(arguments: list[str], data: Path | None) -> list[Path]:
    """What a report or comparison reads, which no output may overwrite: the capability
    and missions folders, and every plan folder or mission file named."""
    from planner.inputs import paths

    found = [paths.data_dir(data), paths.missions_dir()]
    return found + [Path(a) for a in arguments if Path(a).exists()]


def write_text(path: Path, text: str) -> Path:
    """Write a file through a temporary name and a rename: never half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))
    return path


def write_document(document: Any, kind: str, path: Path, output_format: str,
                   force: bool = False, inputs: list[Path] | None = None,
                   csv_folder: Path | None = None, csv_files: dict[str, bytes] | None = None
                   ) -> Path:
    """HTML in one file; Markdown with its charts as SVG files in ``<name>_charts/`` (a
    folder written like a plan folder). The format is one that ``DOCUMENT`` offers (an
    unknown one is a located error). Every destination is checked before anything is
    written: nothing existing is replaced without ``force``, and inputs never."""
    from planner.reports import report

    chosen = DOCUMENT.pick(output_format)
    inputs = inputs or []
    check_output_file(path, force, inputs)
    charts = path.parent / f"{path.stem}_charts"
    links, files = None, {}
    if chosen.format.name == "md":  # Markdown viewers refuse SVG data URIs
        named = report.chart_files(document, charts.name)
        files = {relative.split("/", 1)[1]: text.encode("utf-8")
                 for relative, text in named.values()}
        links = {key: relative for key, (relative, _) in named.items()}
        if files:
            check_inside(charts, inputs)
            check_destination(charts, force, None, "charts")
    if csv_folder is not None:
        check_inside(csv_folder, inputs)
        check_destination(csv_folder, force, None, "comparison")
    text = chosen.write(document, kind, links)
    if files:
        save_folder(files, charts, None, force, "charts")
    if csv_folder is not None and csv_files is not None:
        save_folder(csv_files, csv_folder, None, force, "comparison")
    return write_text(path, text)


def check_inside(folder: Path, inputs: list[Path]) -> None:
    """An output folder is never an input folder, nor inside or around one."""
    target = folder.resolve()
    for given in inputs:
        source = Path(given).resolve()
        if target == source or source in target.parents or target in source.parents:
            raise InputError([Problem(str(folder), f"holds or is an input ({given}); inputs "
                                      "are never overwritten", hint="write elsewhere")])


def safe_name(name: str) -> str:
    """A default file name from a mission name a saved file gave: never a path."""
    # = and . stay: a plan's name carries its flags and overrides (--gsomia=suspended,
    # --KOR.army_division.scale=0.5); with no / a name is never a path, nor hidden (no lead .)
    cleaned = "".join(c if c.isalnum() or c in "-_=." else "_" for c in name)[:100]
    return cleaned.strip("_").lstrip(".") or "plan"


def built(make: Any, *args: Any) -> Any:
    """A document built from plans that may have been read from files: a saved plan that
    passes the schema yet contradicts itself is an input error, not a traceback."""
    try:
        return make(*args)
    except (KeyError, ValueError, IndexError, TypeError, ZeroDivisionError,
            OverflowError) as exc:
        raise InputError([Problem("plan.json", "a saved plan contradicts itself and cannot "
                                  f"be reported ({exc.__class__.__name__}: "
                                  f"{str(exc)[:200]})", hint="solve the mission again to "
                                  "rewrite the folder (--debug shows where)")]) from exc


def write_report(plan: Plan, out: Path | None, output_format: str, force: bool = False,
                 inputs: list[Path] | None = None) -> Path:
    from planner.reports import report

    path = out or Path("reports") / f"{safe_name(plan.name)}.{output_format}"
    return write_document(built(report.report_document, plan), "report", path, output_format,
                          force, inputs)


def write_analysis_report(folder: Path, out: Path | None, output_format: str,
                          force: bool = False) -> Path:
    """A report of a saved analysis folder (``planner analyze ... --out FOLDER``)."""
    from planner.analyze.results import load_analysis
    from planner.reports import report

    analysis = load_analysis(folder)
    path = out or Path("reports") / (f"{safe_name(analysis.kind)}-"
                                     f"{safe_name(analysis.mission)}.{output_format}")
    return write_document(report.analysis_document(analysis), "analysis", path,
                          output_format, force, inputs_of([str(folder)], None))


def write_comparison(plans: list[Plan], out: Path | None, output_format: str,
                     csv_folder: Path | None, force: bool = False,
                     inputs: list[Path] | None = None) -> Path:
    from planner.reports import report

    names = "-vs-".join(safe_name(p.name) for p in plans[:2])
    path = out or Path("reports") / f"{names}.{output_format}"
    document = built(report.compare_document, plans)
    tables = None
    if csv_folder is not None:
        tables = {name: csv_bytes(frame)
                  for name, frame in report.comparison_tables(document).items()}
    return write_document(document, "compare", path, output_format, force, inputs,
                          csv_folder, tables)
