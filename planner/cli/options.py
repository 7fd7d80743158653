"""The options the commands share, each defined once: ``planner solve``, ``explain``,
``report`` and every ``planner analyze`` kind take the same ``--data``, ``--set``,
``--debug``... from here, so a change of an option's name or help reaches every command.

An option whose meaning depends on the command (what ``--force`` replaces, where ``--out``
writes) is made by a function here with the command's words; ``--format`` is made from the
writers a command offers (``planner.reports.formats``).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.reports import formats
from planner.reports.formats import Writers

MissionArgument = Annotated[str | None, typer.Argument(
    help="Mission name in missions/ or path to a mission file (default: baseline).")]
DataOption = Annotated[Path | None, typer.Option(
    "--data", help="Capability folder (default: ./capabilities, else the shipped tables).")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a scenario flag, e.g. --set gsomia=suspended (repeatable); "
    "'planner flags' lists every flag with its values and meaning.")]
SetOnTheFlyOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a scenario flag for the missions solved on the fly "
    "(repeatable).")]
SolverOption = Annotated[str, typer.Option("--solver", help="Solver: highs (default) or cbc.")]


class LpAlgorithm(StrEnum):
    """The LP algorithm of a cold solve (planner.solving.algorithm)."""

    auto = "auto"
    simplex = "simplex"
    ipm = "ipm"
    clp = "clp"


LpAlgorithmOption = Annotated[LpAlgorithm, typer.Option(
    "--lp-algorithm", help="The LP algorithm of a cold solve: auto (HiGHS's dual simplex, "
    "with Dantzig pricing and no presolve from 20,000 nonzeros, scaled by the largest "
    "entries where they span at most 3 powers of ten; CLP's own binary from "
    "300,000, where it is faster), simplex or ipm "
    "(HiGHS's interior point with crossover), or clp. The plan says which ran and why.")]
MipGapOption = Annotated[float | None, typer.Option(
    "--mip-gap", help="For a MIP (whole units or lead nations): the relative gap between the "
    "plan and the solver's best bound at which the plan counts as optimal [default: 1e-07].")]
MipGapAbsOption = Annotated[float | None, typer.Option(
    "--mip-gap-abs", help="For a MIP: the same gap in USD m; the plan is optimal when either "
    "gap is met [default: 1e-06].")]
WorkersOption = Annotated[int | None, typer.Option(
    "--workers", min=1, max=256, help="Local processes (1: this process). Default: the first "
    "cases here, the rest on one process per CPU when they would take more than a few "
    "seconds.")]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Run on a Dask cluster: its scheduler address, e.g. "
    "tcp://10.0.0.5:8786, or the scheduler file 'dask scheduler --scheduler-file' wrote.")]


def force_option(replaces: str) -> Any:
    """``--force``: what it replaces is the command's; that nothing else is replaced is the
    output module's rule (``planner.reports.output``)."""
    return Annotated[bool, typer.Option("--force", help=f"Replace {replaces}.")]


def save_option(writes: str) -> Any:
    return Annotated[bool, typer.Option(help=f"Write {writes}.")]


PlanForceOption = force_option("the plan folder if it holds a plan this planner wrote, "
                               "unchanged")
AnalysisForceOption = force_option("the folder if it already holds an analysis")
ReportForceOption = force_option("the report (and its charts folder) if it exists")
CompareForceOption = force_option("the report, its charts folder and the --csv folder if "
                                  "they exist")
WorkbookForceOption = force_option("the workbook if it exists")
PlanSaveOption = save_option("the plan folder")
ExplainSaveOption = save_option("the plan folder, with the explanation in plan.json")
AnalysisSaveOption = save_option("the analysis folder")
AnalysisOutOption = Annotated[Path | None, typer.Option(
    "--out", help="Folder to write (default: analyses/<kind>-<mission>).")]
PlanOutOption = Annotated[Path | None, typer.Option(
    "--out", help="Plan folder to write (default: plans/<mission>, with --<flag>=<value> for "
    "each flag set otherwise than in the mission file).")]


def format_option(writers: Writers) -> Any:
    """``--format``: the formats an output offers, the first the default, described from the
    registry of writers (``planner.reports.formats``)."""
    return Annotated[str, typer.Option("--format", help=writers.help())]


PlanFormatOption = format_option(formats.PLAN)
ExplanationFormatOption = format_option(formats.EXPLANATION)
AnalysisFormatOption = format_option(formats.ANALYSIS)
LeversFormatOption = format_option(formats.LEVERS)
ChecksFormatOption = format_option(formats.CHECKS)
SchemaFormatOption = format_option(formats.SCHEMA)
DocumentFormatOption = format_option(formats.DOCUMENT)
