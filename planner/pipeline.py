"""The data flow in one place: load -> validate -> apply mission -> build -> solve -> Plan.

The CLI, the tests and later analyses call these functions; each step itself lives in its
own module and stays pure.
"""

from __future__ import annotations

from pathlib import Path

from planner.checks.validate import Capabilities, load_capabilities
from planner.errors import InputError
from planner.formulation.model import build_model
from planner.inputs import paths
from planner.inputs.load import Where
from planner.results.plan import Plan, make_plan
from planner.scenario.instance import Instance, apply_mission
from planner.schema.force import budget_problems, retirement_problems
from planner.schema.mission import Mission, check_mission, load_mission
from planner.solving.gap import MipGap
from planner.solving.solve import solve_model


def read_mission(path: Path, capabilities: Capabilities | None) -> Mission:
    """A mission checked in structure and, when the tables loaded, against them."""
    return read_located_mission(path, capabilities)[0]


def read_located_mission(path: Path, capabilities: Capabilities | None
                         ) -> tuple[Mission, Where]:
    """``read_mission``, with where each of the mission's keys was written."""
    label = paths.display(path)
    mission, where = load_mission(path, label)
    if capabilities is not None:
        problems = check_mission(mission, capabilities.vocabulary(),
                                 capabilities.standing.flags, where)
        if mission.force is not None:
            problems += retirement_problems(mission.force, {
                (c, p): float(q) for c, p, q in capabilities.pools[
                    ["country", "pool", "quantity"]].itertuples(index=False)}, where)
            problems += budget_problems(mission.force, {
                c: float(g) for c, g in capabilities.countries[
                    ["country", "gdp_usd_bn"]].itertuples(index=False)}, where)
        if problems:
            raise InputError(problems)
    return mission, where


def prepare(mission: str | Path | None = None, data: Path | None = None,
            settings: dict[str, str] | None = None) -> Instance:
    """The instance for a mission name or path on a data folder; every input problem at once."""
    problems = []
    capabilities = None
    try:
        capabilities = load_capabilities(paths.data_dir(data))
    except InputError as exc:
        problems += exc.problems
    try:
        mission_file = paths.mission_path(str(mission) if mission else None)
        loaded, where = read_located_mission(mission_file, capabilities)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    assert capabilities is not None
    return apply_mission(capabilities, loaded, paths.display(mission_file), settings,
                         where=where)


def solve(mission: str | Path | None = None, data: Path | None = None, solver: str = "highs",
          time_limit: float | None = None, settings: dict[str, str] | None = None,
          mip_gap: MipGap | None = None) -> Plan:
    """Solve a mission end to end and return its Plan."""
    return solve_instance(prepare(mission, data, settings), solver, time_limit, mip_gap)


def solve_instance(instance: Instance, solver: str = "highs",
                   time_limit: float | None = None, mip_gap: MipGap | None = None,
                   lp_algorithm: str = "auto") -> Plan:
    model = build_model(instance)
    solution = solve_model(model, solver, time_limit, mip_gap=mip_gap, algorithm=lp_algorithm)
    return make_plan(instance, model, solution, data_dir=paths.display(instance.capabilities.root))


def write_model(instance: Instance, path: Path, force: bool = False) -> Path:
    """The mission's model as an LP or MPS file (by suffix) with the planner's row and
    column names, written atomically; an existing file is replaced only with ``force``."""
    import os
    import tempfile

    from planner.errors import Problem
    from planner.solving.highs import write_model as write
    from planner.solving.solve import fast_model

    suffix = path.suffix.lower()
    if suffix not in (".lp", ".mps"):
        raise InputError([Problem(str(path), "the model file must end in .lp or .mps",
                                  hint="e.g. --write-lp model.lp or --write-mps model.mps")])
    from planner.reports.output import check_output_file

    check_output_file(path, force, (instance.capabilities.root, paths.missions_dir()))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix,
                                         dir=path.parent)
    os.close(handle)
    try:
        write(fast_model(build_model(instance)), temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path
