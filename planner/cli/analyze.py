"""``planner analyze <kind> [MISSION]``: the command-line edge of the analytics.

Heavy modules are imported inside the commands, so ``planner --help`` stays fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli.guard import EXIT_OK, guarded, messages, stderr
from planner.cli.options import (
    AnalysisForceOption,
    AnalysisFormatOption,
    AnalysisOutOption,
    AnalysisSaveOption,
    DataOption,
    DebugOption,
    MissionArgument,
    SchedulerOption,
    SetOption,
    WorkersOption,
)
from planner.reports import formats

analyze_app = typer.Typer(
    help="Sweeps of many solves: resilience (N-1), fairness (Shapley, core), pareto "
    "(trade-off fronts), montecarlo (readiness uncertainty), alternatives (room to "
    "negotiate), priorities (each ally's acceptability, the joint plan).",
    no_args_is_help=True, add_completion=False, rich_markup_mode=None,
)

ResumeOption = Annotated[bool, typer.Option(
    "--resume", help="Continue an interrupted analysis: the cases kept in its folder are "
    "read back, the rest are solved (refused when the inputs or options changed).")]
DeadlineOption = Annotated[float, typer.Option(
    "--deadline", min=1, help="Seconds a chunk of cases may run on a worker, and the wait for "
    "a worker when every worker has left mid-sweep, before the analysis stops (exit 3) with "
    "its finished cases kept for --resume.")]


def run_analysis(kind: str, mission: str | None, data: Path | None,
                 set_flags: list[str] | None, workers: int | None, scheduler: str | None,
                 out: Path | None, save: bool, force: bool, debug: bool,
                 compute: Callable[[Any, Any], Any], output_format: str = "text",
                 resume: bool = False, deadline: float = 300.0,
                 settings: dict[str, Any] | None = None) -> None:
    """Prepare the mission, refuse a bad destination before any solve, run, print, save.
    ``settings``: the options that change the result, checked when resuming."""
    def run() -> int:
        from planner.analyze.distribute import local_workers

        with local_workers(workers, scheduler):  # they start while this imports and loads
            return analyse()

    def analyse() -> int:
        from rich.text import Text

        from planner import pipeline
        from planner.analyze.results import save_analysis
        from planner.analyze.sweep import Execution
        from planner.errors import InputError, Problem
        from planner.inputs.paths import display
        from planner.scenario.instance import parse_settings

        chosen = formats.ANALYSIS.pick(output_format)
        instance = pipeline.prepare(mission, data, parse_settings(set_flags or []))
        destination = out or Path("analyses") / f"{kind}-{instance.name}"
        keeper = None
        if save:
            keeper = keeper_of(destination, kind, instance, settings or {}, resume, force)
        elif resume:
            raise InputError([Problem("--resume", "continues from the analysis folder, which "
                                      "--no-save does not write", hint="drop --no-save")])
        started = time.perf_counter()
        analysis = compute(instance, Execution(workers=workers, scheduler=scheduler,
                                               keep=keeper, deadline=deadline))
        analysis.facts["wall_seconds"] = round(time.perf_counter() - started, 3)
        console = messages(chosen.format)  # json: standard output is the analysis, nothing else
        chosen.write(analysis, console)
        if save:
            folder = save_analysis(analysis, destination, force, partial=True)
            console.print(Text(f"\nAnalysis written to {display(folder)}/"))
        return EXIT_OK

    guarded(debug, run)


def keeper_of(destination: Path, kind: str, instance: Any, settings: dict[str, Any],
              resume: bool, force: bool) -> Any:
    """Where the analysis keeps its finished chunks: its own folder, refused before any
    solve when it holds something that may not be replaced (or resumed)."""
    from planner.analyze.keep import Keeper, is_partial
    from planner.errors import InputError, Problem
    from planner.reports.output import check_destination

    if is_partial(destination):
        check_destination(destination, True, "analysis.json", partial=True)
    else:
        if resume and (destination / "analysis.json").exists():
            raise InputError([Problem(str(destination), "already holds a finished analysis: "
                                      "there is nothing to resume",
                                      hint="pass --force instead of --resume to run it again")])
        check_destination(destination, force, "analysis.json")
        if resume:
            stderr().print(f"note: no interrupted analysis in {destination}; starting from "
                           "the first case")
    about = {"kind": kind, "mission": instance.mission.name, "input_digest": instance.digest,
             "flags": instance.flags, "settings": settings}
    return Keeper.start(destination, about, resume, force)


@analyze_app.command()
def resilience(
    mission: MissionArgument = None,
    pools: Annotated[bool, typer.Option("--pools", help="Also take out each pool.")] = False,
    links: Annotated[bool, typer.Option("--links", help="Also cut each active link.")] = False,
    robust: Annotated[bool, typer.Option(
        "--robust", help="Also find one plan that holds if any single ally withholds, and "
        "its premium.")] = False,
    data: DataOption = None, set_flags: SetOption = None, workers: WorkersOption = None,
    scheduler: SchedulerOption = None, out: AnalysisOutOption = None,
    save: AnalysisSaveOption = True,
    force: AnalysisForceOption = False, output_format: AnalysisFormatOption = "text",
    resume: ResumeOption = False, deadline: DeadlineOption = 300.0,
    debug: DebugOption = False,
) -> None:
    """N-1: remove each ally (and pool, link) in turn, re-solve, rank by criticality."""
    def compute(instance: Any, execution: Any) -> Any:
        from planner.analyze.resilience import resilience as analyse

        return analyse(instance, execution, pools=pools, links=links, robust=robust)

    run_analysis("resilience", mission, data, set_flags, workers, scheduler, out, save, force,
                 debug, compute, output_format, resume, deadline,
                 {"pools": pools, "links": links, "robust": robust})


@analyze_app.command()
def fairness(
    mission: MissionArgument = None,
    data: DataOption = None, set_flags: SetOption = None, workers: WorkersOption = None,
    scheduler: SchedulerOption = None, out: AnalysisOutOption = None,
    save: AnalysisSaveOption = True,
    force: AnalysisForceOption = False, output_format: AnalysisFormatOption = "text",
    resume: ResumeOption = False, deadline: DeadlineOption = 300.0,
    debug: DebugOption = False,
) -> None:
    """Coalition values of every group of allies; Shapley, nucleolus, core, Olson-Zeckhauser."""
    def compute(instance: Any, execution: Any) -> Any:
        from planner.analyze.fairness import fairness as analyse

        return analyse(instance, execution)

    run_analysis("fairness", mission, data, set_flags, workers, scheduler, out, save, force,
                 debug, compute, output_format, resume, deadline, {})


@analyze_app.command()
def pareto(
    mission: MissionArgument = None,
    against: Annotated[str, typer.Option(
        "--against", help="us-share (default): cost against the US share of cost; "
        "persistence: cost against the units moved from --plan.")] = "us-share",
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="The agreed plan folder, for --against persistence.")] = None,
    points: Annotated[int, typer.Option(
        "--points", min=2, max=1001, help="Points on the front (at most 1001).")] = 11,
    data: DataOption = None, set_flags: SetOption = None, workers: WorkersOption = None,
    scheduler: SchedulerOption = None, out: AnalysisOutOption = None,
    save: AnalysisSaveOption = True,
    force: AnalysisForceOption = False, output_format: AnalysisFormatOption = "text",
    resume: ResumeOption = False, deadline: DeadlineOption = 300.0,
    debug: DebugOption = False,
) -> None:
    """Trade-off fronts: total cost against the US share of cost, or against persistence."""
    def compute(instance: Any, execution: Any) -> Any:
        from planner.analyze import pareto as fronts
        from planner.errors import InputError, Problem

        if against == "us-share":
            return fronts.share_front(instance, execution, points)
        if against != "persistence":
            raise InputError([Problem("--against", f"unknown front '{against}'",
                                      hint="use us-share or persistence")])
        if plan is None:
            raise InputError([Problem("--plan", "persistence needs the agreed plan",
                                      hint="e.g. --plan plans/baseline (from planner solve)")])
        from planner.results.saved import load_agreed

        return fronts.persistence_front(instance, execution, points, load_agreed(plan))

    run_analysis("pareto", mission, data, set_flags, workers, scheduler, out, save, force,
                 debug, compute, output_format, resume, deadline,
                 {"against": against, "plan": str(plan) if plan else None, "points": points})


@analyze_app.command()
def montecarlo(
    mission: MissionArgument = None,
    draws: Annotated[int, typer.Option(
        "--draws", min=1, max=100_000, help="Readiness draws (at most 100,000).")] = 200,
    seed: Annotated[int, typer.Option(
        "--seed", min=0, help="Seed of the draws: the same seed gives the same draws.")] = 0,
    data: DataOption = None, set_flags: SetOption = None, workers: WorkersOption = None,
    scheduler: SchedulerOption = None, out: AnalysisOutOption = None,
    save: AnalysisSaveOption = True,
    force: AnalysisForceOption = False, output_format: AnalysisFormatOption = "text",
    resume: ResumeOption = False, deadline: DeadlineOption = 300.0,
    debug: DebugOption = False,
) -> None:
    """Readiness drawn from the mission's spreads: how often each requirement is fully
    covered, and the cost distribution."""
    def compute(instance: Any, execution: Any) -> Any:
        from planner.analyze.montecarlo import montecarlo as analyse

        return analyse(instance, execution, draws=draws, seed=seed)

    run_analysis("montecarlo", mission, data, set_flags, workers, scheduler, out, save, force,
                 debug, compute, output_format, resume, deadline, {"draws": draws, "seed": seed})


@analyze_app.command()
def alternatives(
    mission: MissionArgument = None,
    slack: Annotated[str, typer.Option(
        "--slack", help="How far above the least cost a plan may be, e.g. 5% or 0.05.")] = "5%",
    data: DataOption = None, set_flags: SetOption = None, workers: WorkersOption = None,
    scheduler: SchedulerOption = None, out: AnalysisOutOption = None,
    save: AnalysisSaveOption = True,
    force: AnalysisForceOption = False, output_format: AnalysisFormatOption = "text",
    resume: ResumeOption = False, deadline: DeadlineOption = 300.0,
    debug: DebugOption = False,
) -> None:
    """Near-optimal plans: the least and most each ally can take of each task, region and of
    the cost within the slack; which parts are essential and which negotiable."""
    def compute(instance: Any, execution: Any) -> Any:
        from planner.analyze.alternatives import alternatives as analyse

        return analyse(instance, execution, slack=parse_slack(slack))

    run_analysis("alternatives", mission, data, set_flags, workers, scheduler, out, save,
                 force, debug, compute, output_format, resume, deadline, {"slack": slack})


@analyze_app.command()
def priorities(
    mission: MissionArgument = None,
    data: DataOption = None, set_flags: SetOption = None, out: AnalysisOutOption = None,
    save: AnalysisSaveOption = True, force: AnalysisForceOption = False,
    output_format: AnalysisFormatOption = "text", debug: DebugOption = False,
    joint_plan: Annotated[str, typer.Option(
        "--joint-plan", help="What the joint plan maximises: max-min (the least "
        "acceptability over the allies) or a stated weighting of the allies' "
        "acceptabilities, e.g. USA=1,JPN=1,KOR=2.")] = "max-min",
) -> None:
    """Each ally's priorities: how acceptable the least-cost plan is to each ally, who would
    reject it and why, and the joint plan that maximises the least acceptability (or a
    stated weighting of the allies' acceptabilities)."""
    def compute(instance: Any, execution: Any) -> Any:
        from planner.analyze.priorities import priorities as analyse

        return analyse(instance, weighting=parse_weighting(joint_plan))

    run_analysis("priorities", mission, data, set_flags, 1, None, out, save, force, debug,
                 compute, output_format)


def parse_weighting(text: str) -> dict[str, float] | None:
    """'max-min' (None) or 'USA=1,KOR=2' as {ally: weight}; anything else is a located
    error."""
    from planner.errors import InputError, Problem

    given = text.strip()
    if given.lower() in ("max-min", "maxmin", "max_min"):
        return None
    weighting: dict[str, float] = {}
    for part in given.split(","):
        ally, equals, weight = part.partition("=")
        try:
            if not equals or not ally.strip():
                raise ValueError(part)
            weighting[ally.strip().upper()] = float(weight)
        except ValueError:
            raise InputError([Problem("--joint-plan", f"'{part.strip()}' is not ALLY=WEIGHT",
                                      hint="give max-min, or weights like USA=1,JPN=1,KOR=2")]
                             ) from None
    return weighting


def parse_slack(text: str) -> float:
    """'5%' or '0.05' as a fraction; anything else is a located error."""
    from planner.errors import InputError, Problem

    given = text.strip()
    try:
        value = float(given[:-1]) / 100 if given.endswith("%") else float(given)
    except ValueError:
        raise InputError([Problem("--slack", f"'{text}' is not a slack",
                                  hint="give a percentage like 5% or a fraction like 0.05")]
                         ) from None
    return value
