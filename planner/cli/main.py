"""The ``planner`` command line: the edge where files are read, tables printed, codes returned.

Exit codes: 0 every requirement covered, 1 solved with shortfalls (or no optimum),
2 bad input or usage. Input errors print one line each, with no traceback unless --debug.
Heavy modules (pandas, PuLP) are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer

from planner.cli.analyze import analyze_app
from planner.cli.guard import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_SHORT,
    guarded,
    messages,
    printable,
    stderr,
    working,
)
from planner.cli.guard import MAX_SHOWN as MAX_SHOWN  # the cap on error lines, for tests
from planner.cli.options import (
    ChecksFormatOption,
    CompareForceOption,
    DataOption,
    DebugOption,
    DocumentFormatOption,
    ExplainSaveOption,
    ExplanationFormatOption,
    LeversFormatOption,
    LpAlgorithm,
    LpAlgorithmOption,
    MipGapAbsOption,
    MipGapOption,
    MissionArgument,
    PlanForceOption,
    PlanFormatOption,
    PlanOutOption,
    PlanSaveOption,
    ReportForceOption,
    SchemaFormatOption,
    SetOnTheFlyOption,
    SetOption,
    SolverOption,
    WorkbookForceOption,
)
from planner.reports import formats

app = typer.Typer(
    help="Plan how allies divide the work of a common defense (a linear program).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.command()
def solve(
    mission: MissionArgument = None,
    data: DataOption = None,
    solver: SolverOption = "highs",
    lp_algorithm: LpAlgorithmOption = LpAlgorithm.auto,
    out: PlanOutOption = None,
    save: PlanSaveOption = True,
    force: PlanForceOption = False,
    time_limit: Annotated[float | None, typer.Option(help="Solver time limit, seconds.")] = None,
    mip_gap: MipGapOption = None,
    mip_gap_abs: MipGapAbsOption = None,
    detail: Annotated[bool, typer.Option(help="Also list every pool employed.")] = False,
    set_flags: SetOption = None,
    output_format: PlanFormatOption = "text",
    write_lp: Annotated[Path | None, typer.Option(
        "--write-lp", help="Also write the model as an LP file with the planner's names, "
        "for another solver.")] = None,
    write_mps: Annotated[Path | None, typer.Option(
        "--write-mps", help="Also write the model as an MPS file.")] = None,
    debug: DebugOption = False,
) -> None:
    """Solve a mission and print who does what, burden sharing and shortfalls."""

    def run() -> int:
        from rich.text import Text

        from planner import pipeline
        from planner.inputs.paths import display
        from planner.reports.output import check_destination, save_plan
        from planner.scenario.instance import parse_settings
        from planner.solving.gap import MipGap
        from planner.solving.solve import available_solver

        chosen = formats.PLAN.pick(output_format)
        gap = MipGap.checked(mip_gap, mip_gap_abs)
        settings = parse_settings(set_flags or [])
        instance = pipeline.prepare(mission, data, settings)
        destination = out or Path("plans") / instance.name
        if save:
            check_destination(destination, force)
        for model_file in (write_lp, write_mps):
            if model_file is not None:
                pipeline.write_model(instance, model_file, force)
                stderr().print(Text(f"Model written to {display(model_file)}"))
        plan = pipeline.solve_instance(instance, solver, time_limit, gap,
                                       lp_algorithm.value)
        if available_solver(solver) != solver:  # CLP on HiGHS's route is no fallback
            stderr().print(Text(f"warning: {solver} is not available here; solved with "
                                f"{plan.solver}"))
        console = messages(chosen.format)
        chosen.write(plan, console, detail=detail)
        if plan.status == "infeasible" and not chosen.format.machine:
            from planner.reports.render import print_conflict
            from planner.results.explain import find_conflict

            print_conflict(find_conflict(instance, solver, time_limit), console)
        if save:
            folder = save_plan(plan, destination, force)
            console.print(Text(f"\nPlan written to {display(folder)}/ (plan.json, "
                               "allocations.csv, countries.csv, shortfalls.csv, coverage.csv, "
                               "duals.csv, plan.xlsx)"))
        return EXIT_OK if plan.covered else EXIT_SHORT

    guarded(debug, run)


@app.command()
def explain(
    mission: MissionArgument = None,
    data: DataOption = None,
    solver: Annotated[str, typer.Option(help="Solver: highs (default; gives ranges) or "
                                        "cbc.")] = "highs",
    time_limit: Annotated[float | None, typer.Option(help="Solver time limit, seconds, per "
                                                     "solve.")] = None,
    mip_gap: MipGapOption = None,
    mip_gap_abs: MipGapAbsOption = None,
    set_flags: SetOption = None,
    output_format: ExplanationFormatOption = "text",
    show_all: Annotated[bool, typer.Option(
        "--all", help="List every binding row and range, not the first 12.")] = False,
    out: PlanOutOption = None,
    save: ExplainSaveOption = True,
    force: PlanForceOption = False,
    debug: DebugOption = False,
) -> None:
    """Explain a plan: binding rows and their prices, what each policy costs and each link is
    worth, sensitivity ranges, why requirements fall short, which policies clash."""

    def run() -> int:
        from rich.text import Text

        from planner import pipeline
        from planner.inputs import paths
        from planner.reports.output import check_destination, save_plan
        from planner.results import explain as explaining
        from planner.scenario.instance import parse_settings
        from planner.solving.gap import MipGap

        chosen = formats.EXPLANATION.pick(output_format)
        gap = MipGap.checked(mip_gap, mip_gap_abs)
        instance = pipeline.prepare(mission, data, parse_settings(set_flags or []))
        destination = out or Path("plans") / instance.name
        if save:
            check_destination(destination, force)
        # a MIP shows its own progress line (planner.solving.solve); an LP gets the spinner
        mip = bool(instance.integer_pools) or any(p.binary
                                                  for p in instance.policies)
        with working(f"explain {instance.name}: solving, then re-solving without each "
                     "binding policy and with each link switched", shown=not mip):
            plan, explanation = explaining.explain(
                instance, solver, time_limit, data_dir=paths.display(instance.capabilities.root),
                mip_gap=gap)
        from planner.reports.render import stdout

        chosen.write(explanation, stdout(), limit=None if show_all else 12)
        if save:
            plan = plan.model_copy(update={"explanation": explanation.model_dump(mode="json")})
            folder = save_plan(plan, destination, force)
            stderr().print(Text(f"Plan with its explanation written to "
                                f"{paths.display(folder)}/"))
        return EXIT_OK if plan.covered else EXIT_SHORT

    guarded(debug, run)


@app.command()
def report(
    plan: Annotated[str | None, typer.Argument(
        help="A saved plan folder, a saved analysis folder (planner analyze), or a mission "
        "to solve (default: baseline).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="File to write (default: reports/<plan>.<format>: the mission's name, with "
        "--<flag>=<value> for each flag set otherwise than in the mission file).")] = None,
    output_format: DocumentFormatOption = "html",
    data: DataOption = None,
    set_flags: SetOnTheFlyOption = None,
    force: ReportForceOption = False,
    debug: DebugOption = False,
) -> None:
    """Write a report of one plan (what was solved, headline, who does what, burden sharing,
    shortfalls, the constraints that shaped it) or of a saved analysis."""

    def run() -> int:
        from planner.reports import publish
        from planner.reports.output import is_plan_folder

        chosen = formats.DOCUMENT.pick(output_format).format.name
        if plan and Path(plan).is_dir() and is_plan_folder(Path(plan), "analysis.json"):
            written = publish.write_analysis_report(Path(plan), out, chosen, force)
            print(f"Report written to {written}")
            return EXIT_OK
        [solved] = publish.gather([plan or "baseline"], data, set_flags or [])
        written = publish.write_report(solved, out, chosen, force,
                                       publish.inputs_of([plan or "baseline"], data))
        print(f"Report written to {written}")
        return EXIT_OK

    guarded(debug, run)


@app.command()
def compare(
    plans: Annotated[list[str], typer.Argument(
        help="Two or more saved plan folders or missions; changes are against the first.")],
    out: Annotated[Path | None, typer.Option(
        help="File to write (default: reports/<first>-vs-<second>.<format>).")] = None,
    output_format: DocumentFormatOption = "html",
    csv: Annotated[Path | None, typer.Option(
        help="Also write the comparison tables as CSV files into this folder.")] = None,
    data: DataOption = None,
    set_flags: SetOnTheFlyOption = None,
    force: CompareForceOption = False,
    debug: DebugOption = False,
) -> None:
    """Compare plans side by side: deltas in cost, shares and allocations, and what differs
    in their inputs."""

    def run() -> int:
        from planner.reports import publish

        chosen = formats.DOCUMENT.pick(output_format).format.name
        if len(plans) < 2:
            from planner.errors import InputError, Problem

            raise InputError([Problem("compare", "give at least two plans or missions",
                                      hint="e.g. planner compare baseline gsomia-suspended")])
        solved = publish.gather(plans, data, set_flags or [])
        written = publish.write_comparison(solved, out, chosen, csv, force,
                                           publish.inputs_of(plans, data))
        print(f"Comparison written to {written}" + (f" (tables in {csv}/)" if csv else ""))
        return EXIT_OK

    guarded(debug, run)


@app.command()
def flags(
    mission: Annotated[str | None, typer.Argument(
        help="Also show the value this mission (name or path) gives each flag.")] = None,
    data: DataOption = None,
    output_format: LeversFormatOption = "text",
    debug: DebugOption = False,
) -> None:
    """List the scenario flags (the levers of --set): each flag's values, default, meaning,
    source and the policies it switches on or off."""

    def run() -> int:
        from planner import pipeline
        from planner.checks.validate import load_capabilities
        from planner.inputs import paths
        from planner.scenario import levers

        writer = formats.LEVERS.pick(output_format)
        if mission is not None:
            instance = pipeline.prepare(mission, data)
            capabilities, chosen = instance.capabilities, instance.mission
        else:
            capabilities, chosen = load_capabilities(paths.data_dir(data)), None
        listed = levers.flag_levers(capabilities, chosen)
        where = paths.display(capabilities.root / "policies.yaml")
        name = chosen.name if chosen is not None else None
        writer.write(formats.LeverListing(listed, where, name), None)
        return EXIT_OK

    guarded(debug, run)


@app.command()
def validate(
    missions: Annotated[list[str] | None, typer.Argument(
        help="Missions to check (names or paths; default: every mission in missions/).")] = None,
    data: DataOption = None,
    output_format: ChecksFormatOption = "text",
    debug: DebugOption = False,
) -> None:
    """Check the capability tables and missions; report every problem at once."""

    def run() -> int:
        from planner.checks.validate import load_capabilities
        from planner.errors import InputError
        from planner.inputs import paths
        from planner.pipeline import read_mission

        writer = formats.CHECKS.pick(output_format)
        problems = []
        capabilities = None
        root = paths.data_dir(data)
        try:
            capabilities = load_capabilities(root)
        except InputError as exc:
            problems += exc.problems
        names = missions or [str(p) for p in paths.mission_files(paths.missions_dir())]
        checked = []
        for name in names:
            try:
                path = paths.mission_path(name)
                read_mission(path, capabilities)
                checked.append(paths.display(path))
            except InputError as exc:
                problems += exc.problems
        # text: the OK line, or every problem (exit 2); json: the problems as records
        writer.write(formats.Checks(problems, paths.display(root), checked, capabilities), None)
        return EXIT_INPUT if problems else EXIT_OK

    guarded(debug, run)


@app.command("check-sources")
def check_sources(
    data: DataOption = None,
    missions: Annotated[Path | None, typer.Option(
        "--missions", help="Missions folder (default: ./missions, else the shipped "
        "missions).")] = None,
    facts: Annotated[Path | None, typer.Option(
        "--facts", help="The public figures the sources cite (default: docs/public_facts.md "
        "beside the capability folder).")] = None,
    debug: DebugOption = False,
) -> None:
    """Check every source: each number cites a public_facts row or a public source (with a
    confidence mark and a year) or is marked an assumption; one GDP year for every country."""

    def run() -> int:
        from planner.checks.sources import check_sources as check
        from planner.checks.sources import facts_file
        from planner.errors import InputError, Problem
        from planner.inputs import paths

        root = paths.data_dir(data)
        folder = missions or paths.missions_dir()
        facts_path = facts_file(facts, root)
        if not facts_path.is_file():
            raise InputError([Problem(str(facts_path), "no public facts file here",
                                      hint="give its path with --facts")])
        checked = check(root, folder, facts_path)
        if checked.problems:
            raise InputError(checked.problems)
        print(printable(f"OK: {checked.rows} sourced rows in {paths.display(root)} and "
                        f"{paths.display(folder)}; {checked.public} cite public figures, "
                        f"{checked.assumptions} state assumptions; checked against "
                        f"{paths.display(facts_path)}"))
        return EXIT_OK

    guarded(debug, run)


@app.command("schema")
def show_schema(
    table: Annotated[str | None, typer.Argument(
        help="countries, tasks, regions, phases or pools (a country code means its pool "
        "table); default: every table.")] = None,
    data: DataOption = None,
    output_format: SchemaFormatOption = "text",
    debug: DebugOption = False,
) -> None:
    """Print the columns of the capability tables: kind, unit, whether required, the allowed
    range and what each means (from planner/schema/tables.py, the schema the loader uses)."""

    def run() -> int:
        from planner.inputs import edit, paths

        writer = formats.SCHEMA.pick(output_format)
        tables = [edit.find_table(table)] if table else list(edit.all_tables())
        writer.write(formats.SchemaListing(tables, paths.data_dir(data)), None)
        return EXIT_OK

    guarded(debug, run)


@app.command("new-country")
def new_country(
    code: Annotated[str, typer.Argument(help="ISO 3166 alpha-3 code, e.g. PHL.")],
    gdp: Annotated[str, typer.Option("--gdp", help="GDP, USD bn.")],
    budget: Annotated[str, typer.Option("--budget", help="Annual defense budget, USD bn.")],
    source: Annotated[str, typer.Option(
        "--source", help="Where the numbers come from, or 'assumption: <why>'.")],
    name: Annotated[str | None, typer.Option(
        "--name", help="Name shown in reports (default: the code).")] = None,
    home_region: Annotated[str, typer.Option(
        "--home-region", help="The country's home region, if in the theatre.")] = "",
    data: DataOption = None,
    debug: DebugOption = False,
) -> None:
    """Add a country: a row in countries.csv and a template pool table <CODE>.csv with every
    column and one example pool (zero units) to replace."""

    def run() -> int:
        from planner.inputs import edit

        root = edit.editable_root(data)
        done = edit.new_country(root, code, name, gdp, budget, source, home_region)
        print(f"Added {done.code} to {done.countries} (previous version in {done.backup}) "
              f"and wrote {done.table} with one example pool of zero units: replace it with "
              "the country's pools (planner schema pools lists the columns).")
        edit.warn_remaining(done.remaining, stderr())
        return EXIT_OK

    guarded(debug, run)


@app.command("set")
def set_cells(
    table: Annotated[str, typer.Argument(
        help="A country code for its pool table, or countries, tasks, regions, phases.")],
    key: Annotated[str, typer.Argument(help="The row's key: a pool, country, task, region "
                                       "or phase.")],
    assignments: Annotated[list[str], typer.Argument(
        help="COLUMN=VALUE, e.g. quantity=10 readiness=0.7.", show_default=False)],
    data: DataOption = None,
    debug: DebugOption = False,
) -> None:
    """Change cells of one row, e.g. planner set JPN aegis_ddg quantity=10. The change is
    validated first; only the changed cells' text is rewritten, and the previous file is
    kept as <file>.bak."""

    def run() -> int:
        from planner.inputs import edit

        root = edit.editable_root(data)
        done = edit.set_cells(root, table, key, assignments)
        if done is None:
            print(printable(f"Nothing to change: {key} already has those values."))
            return EXIT_OK
        changes = ", ".join(f"{c.column} {c.before or '(blank)'} -> {c.after or '(blank)'}"
                            for c in done.changes)
        print(printable(f"{done.label}, row {done.row} ({done.key}): {changes} (previous "
                        f"version in {done.backup})"))
        edit.warn_remaining(done.remaining, stderr())
        return EXIT_OK

    guarded(debug, run)


@app.command("export-workbook")
def export_workbook(
    out: Annotated[Path, typer.Option(
        "--out", help="Workbook to write (.xlsx).")] = Path("tables.xlsx"),
    data: DataOption = None,
    force: WorkbookForceOption = False,
    debug: DebugOption = False,
) -> None:
    """Write the capability tables to one Excel workbook, a sheet per table (policies.yaml in
    sheet 'policies', a line per row). Solve from it with --data tables.xlsx."""

    def run() -> int:
        from planner.errors import InputError, Problem
        from planner.inputs import paths
        from planner.inputs.workbook import is_workbook
        from planner.reports.output import write_atomic
        from planner.reports.workbook import tables_workbook

        root = paths.data_dir(data)
        if is_workbook(root):
            raise InputError([Problem(str(root), "is already a workbook",
                                      hint="give a folder of CSV tables with --data")])
        refuse_existing(out, force, suffixes=(".xlsx",), inputs=(root, paths.missions_dir()))
        write_atomic(out, tables_workbook(root))
        print(f"Tables of {paths.display(root)} written to {paths.display(out)}")
        return EXIT_OK

    guarded(debug, run)


@app.command()
def serve(
    mission: MissionArgument = None,
    data: DataOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    folder: Annotated[Path | None, typer.Option(
        help="Exercise folder, saved after every move and resumed on restart (default: "
        "exercises/<mission>).")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow a --host other than loopback: anyone who can reach it "
        "can play every team's moves.")] = False,
    debug: DebugOption = False,
) -> None:
    """Serve the live exercise page: each ally's team changes its pools and decisions, the
    plan re-optimises, and every browser sees the moves (Ctrl-C stops)."""

    def run() -> int:
        from planner.inputs.paths import display
        from planner.serve.server import allowed_hosts, bind, check_host, open_exercise
        from planner.serve.server import serve as serve_exercise

        check_host(host, allow_remote)
        exercise = open_exercise(mission, data, folder)
        exercise.plan()  # solve the current state before the first browser asks
        sock = bind(host, port)
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        where = "the start" if not exercise.head else f"move {exercise.head}"
        print(f"Exercise {exercise.mission.name} at http://{shown}:{sock.getsockname()[1]}/ "
              f"(folder {display(exercise.folder)}, {len(exercise.moves)} moves, play at "
              f"{where}); Ctrl-C stops.", flush=True)
        serve_exercise(exercise, sock, allowed_hosts(host))
        return EXIT_OK

    guarded(debug, run)


@app.command("import-workbook")
def import_workbook(
    workbook: Annotated[Path, typer.Argument(help="An .xlsx workbook of capability tables.")],
    out: Annotated[Path, typer.Option(
        "--out", help="New folder to write the CSV tables into.")] = Path("capabilities"),
    debug: DebugOption = False,
) -> None:
    """Write a workbook's tables back as a folder of CSV files (and policies.yaml), after
    checking them as --data would. The folder must not exist yet."""

    def run() -> int:
        import os
        import shutil
        import tempfile

        from planner.checks.validate import workbook_files
        from planner.errors import InputError, Problem
        from planner.inputs import paths

        if out.exists() or out.is_symlink():
            raise InputError([Problem(str(out), "already exists; it is left untouched",
                                      hint="choose a new folder with --out")])
        files = workbook_files(workbook, paths.display(workbook))
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for name, content in files.items():
                (staging / name).write_bytes(content)
            staging.chmod(0o777 & ~os.umask(os.umask(0)))
            staging.rename(out)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        print(f"{len(files)} tables of {paths.display(workbook)} written to "
              f"{paths.display(out)}/")
        return EXIT_OK

    guarded(debug, run)


def refuse_existing(path: Path, force: bool, suffixes: tuple[str, ...],
                    inputs: tuple[Path, ...] = ()) -> None:
    """An output file: of the right kind, an existing one replaced only with --force, and
    never one of the ``inputs``."""
    from planner.errors import InputError, Problem

    if path.suffix.lower() not in suffixes:
        raise InputError([Problem(str(path), f"the file must end in {' or '.join(suffixes)}",
                                  hint=f"e.g. --out tables{suffixes[0]}")])
    from planner.reports.output import check_output_file

    check_output_file(path, force, inputs)  # never an input; a link, special file: never


app.add_typer(analyze_app, name="analyze")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        # As the interpreter ends, Python's cycle collector scans every object still alive
        # (pandas', pydantic's, the plan's) more than once: 90 ms of the 0.6 s that
        # `planner solve baseline` takes. Frozen objects are left out of those scans. atexit
        # handlers and weakref finalisers still run, and objects are still freed as their
        # last reference goes; only objects held in reference cycles are left as the process
        # ends, their __del__ not run. Nothing here waits on one: files are closed where they
        # are written, and process pools and Dask clients are closed in finally blocks.
        gc.freeze()
