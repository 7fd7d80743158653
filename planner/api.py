"""The planner from Python: load, solve, compare and analyse, with pandas tables.

For analysts who work in notebooks. Every function here is a stable name: the command line
is built on the same steps (``planner.pipeline``), so a plan solved here equals the plan
``planner solve`` prints for the same mission, flags and tables. Bad input raises one
``PlannerError`` carrying every located problem, exactly the lines the command line prints.
For example, what suspending GSOMIA costs in a Taiwan contingency:

    import planner.api as pl
    base = pl.solve("taiwan-contingency")
    suspended = pl.solve("taiwan-contingency", flags={"gsomia": "suspended"})
    print(suspended.objective - base.objective)

"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner import pipeline
from planner.analyze.results import Analysis
from planner.checks.validate import Capabilities, load_capabilities
from planner.errors import InputError, Problem, SolverError
from planner.inputs import paths
from planner.inputs.load import Where
from planner.results.plan import Plan
from planner.scenario.instance import Instance, apply_mission
from planner.schema.mission import Mission, Override, check_mission, validated
from planner.solving.algorithm import ALGORITHMS

__all__ = [
    "Analysis", "Capabilities", "Mission", "PlanResult", "PlannerError", "Problem",
    "alternatives", "compare", "fairness", "load_mission", "load_tables", "montecarlo", "pareto",
    "priorities", "read_plan", "resilience", "solve",
]


class PlannerError(Exception):
    """Bad input or a solver that could not run: ``problems`` holds every located problem
    (file, row, column, message, hint), the same ones ``planner`` prints as error lines."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _guarded(action: Any) -> Any:
    """Run one step, turning the planner's internal errors into PlannerError."""
    try:
        return action()
    except InputError as exc:
        raise PlannerError(exc.problems) from None
    except SolverError as exc:
        raise PlannerError([Problem("solver", str(exc))]) from None


def load_tables(data: str | Path | None = None) -> Capabilities:
    """The capability tables, checked: a folder of CSVs or an ``.xlsx`` workbook (default:
    ./capabilities, else the shipped tables). Its frames (``countries``, ``pools``,
    ``deliveries``...) are pandas DataFrames."""
    return _guarded(lambda: load_capabilities(paths.data_dir(_path(data))))


def load_mission(mission: str | Path | None = None, data: str | Path | None = None
                 ) -> Mission:
    """A mission by name (in ./missions or the shipped ones) or path, checked against the
    tables, with its parents (``extends``) merged in."""
    def read() -> Mission:
        capabilities = load_capabilities(paths.data_dir(_path(data)))
        return pipeline.read_mission(paths.mission_path(_name(mission)), capabilities)
    return _guarded(read)


@dataclass(frozen=True)
class PlanResult:
    """A solved plan: its tables as DataFrames, its headline numbers, and the full
    :class:`planner.results.plan.Plan` (``.plan``) that plan folders and reports are made from."""

    plan: Plan

    def _frame(self, name: str) -> pd.DataFrame:
        from planner.reports.output import frames

        return frames(self.plan)[f"{name}.csv"]

    @property
    def status(self) -> str:
        """optimal, infeasible, time_limit... as ``planner solve`` prints it."""
        return self.plan.status

    @property
    def objective(self) -> float | None:
        """Employment cost plus shortfall penalty, USD m (None without a plan)."""
        return self.plan.objective

    @property
    def covered(self) -> bool:
        """Optimal and every requirement met (``planner solve`` exits 0)."""
        return self.plan.covered

    @property
    def allocations(self) -> pd.DataFrame:
        """Units of each pool on each task, region and phase; what they deliver and cost."""
        return self._frame("allocations")

    @property
    def countries(self) -> pd.DataFrame:
        """Each country's cost, cost share, GDP share, budget share and burden index."""
        return self._frame("countries")

    @property
    def shortfalls(self) -> pd.DataFrame:
        """Requirements not fully covered, with what is short and its penalty rate."""
        return self._frame("shortfalls")

    @property
    def coverage(self) -> pd.DataFrame:
        """Every requirement: required, delivered, short, and the marginal cost of one more
        unit required (the dual of its cover row)."""
        return self._frame("coverage")

    @property
    def duals(self) -> pd.DataFrame:
        """Every row of the model: its kind, dual, slack, whether it binds, its sentence."""
        return self._frame("duals")

    @property
    def leads(self) -> pd.DataFrame:
        """The lead nation chosen for each task and region under a lead-nation policy."""
        return pd.DataFrame([lead.model_dump() for lead in self.plan.leads],
                            columns=["policy", "task", "region", "country"])

    def save(self, folder: str | Path, force: bool = False) -> Path:
        """Write the plan folder (plan.json, CSVs, plan.xlsx) atomically, as the CLI does."""
        from planner.reports.output import check_destination, save_plan

        def write() -> Path:
            check_destination(Path(folder), force)
            return save_plan(self.plan, Path(folder), force)
        return _guarded(write)

    def __repr__(self) -> str:
        objective = "none" if self.objective is None else f"{self.objective:,.1f}"
        return (f"PlanResult(mission={self.plan.mission.name!r}, "
                f"status={self.status!r}, objective={objective})")


def solve(mission: str | Path | Mission | None = None, *, data: str | Path | None = None,
          flags: Mapping[str, str] | None = None,
          overrides: Sequence[Mapping[str, Any] | Override] = (),
          solver: str = "highs", time_limit: float | None = None,
          lp_algorithm: str = "auto") -> PlanResult:
    """Solve a mission (name, path or loaded :class:`Mission`; default: baseline).

    ``flags`` sets scenario flags as ``--set`` does (``{"gsomia": "suspended"}``);
    ``overrides`` adds capability overrides after the mission's own, each as the mission
    file writes them (``{"country": "KOR", "pool": "army_division", "quantity": 16,
    "source": "assumption: ..."}``); ``solver`` is highs or cbc; ``lp_algorithm`` is
    the LP algorithm of the solve (auto, simplex, ipm or clp; the plan's ``lp_algorithm``
    says which ran and why)."""
    if lp_algorithm not in ALGORITHMS:
        raise PlannerError([Problem("lp_algorithm", f"unknown LP algorithm {lp_algorithm!r}",
                                    hint=f"choose one of {', '.join(ALGORITHMS)}")])
    return _guarded(lambda: PlanResult(pipeline.solve_instance(
        _instance(mission, data, flags, overrides), solver, time_limit,
        lp_algorithm=lp_algorithm)))


def _instance(mission: str | Path | Mission | None, data: str | Path | None,
              flags: Mapping[str, str] | None,
              overrides: Sequence[Mapping[str, Any] | Override]) -> Instance:
    settings = {str(k): str(v) for k, v in (flags or {}).items()}
    if isinstance(mission, Mission):
        capabilities = load_capabilities(paths.data_dir(_path(data)))
        loaded, label = mission, f"mission {mission.name} (from Python)"
        located = None
        problems = check_mission(loaded, capabilities.vocabulary(),
                                 capabilities.standing.flags, Where(label))
        if problems:
            raise InputError(problems)
    elif not overrides:
        return pipeline.prepare(_name(mission), _path(data), settings)
    else:
        capabilities = load_capabilities(paths.data_dir(_path(data)))
        mission_file = paths.mission_path(_name(mission))
        loaded, located = pipeline.read_located_mission(mission_file, capabilities)
        label = paths.display(mission_file)
    extra: list[Override] = []
    if overrides:
        where = Where("overrides argument")
        extra = [o if isinstance(o, Override) else validated(Override, dict(o), where)
                 for o in overrides]
        loaded = Mission.model_validate(
            {**loaded.model_dump(), "overrides": [*loaded.overrides, *extra]})
        problems = check_mission(loaded, capabilities.vocabulary(),
                                 capabilities.standing.flags, where)
        if problems:
            raise InputError(problems)
    return apply_mission(capabilities, loaded, label, settings, tuple(extra), located)


def read_plan(folder: str | Path) -> PlanResult:
    """A plan folder written by ``planner solve`` or :meth:`PlanResult.save`."""
    from planner.reports.publish import load_plan

    return _guarded(lambda: PlanResult(load_plan(Path(folder))))


def compare(*plans: PlanResult | Plan | str | Path) -> pd.DataFrame:
    """One row per plan: status, objective, total cost, shortfall penalty, requirements
    met and the US share, with the change in objective against the first plan, as the
    headline of ``planner compare``. Plans may be results, Plan objects or folders."""
    from planner.reports.report import headline

    loaded = [p.plan if isinstance(p, PlanResult) else p if isinstance(p, Plan)
              else read_plan(p).plan for p in plans]
    if len(loaded) < 2:
        raise PlannerError([Problem("compare", "needs at least two plans",
                                    hint="e.g. compare(base, variant)")])
    return headline(loaded)


def _analysis(kind: str, mission: str | Path | Mission | None, data: str | Path | None,
              flags: Mapping[str, str] | None, workers: int | None,
              compute: Any) -> Analysis:
    from planner.analyze.distribute import local_workers

    def run() -> Analysis:
        from planner.analyze.sweep import Execution

        with local_workers(workers):  # they start while the tables load
            instance = _instance(mission, data, flags, ())
            return compute(instance, Execution(workers=workers, scheduler=None,
                                               progress=False))
    return _guarded(run)


def resilience(mission: str | Path | Mission | None = None, *, data: str | Path | None = None,
               flags: Mapping[str, str] | None = None, pools: bool = False,
               links: bool = False, robust: bool = False,
               workers: int | None = 1) -> Analysis:
    """N-1: each ally (and pool, link) taken out in turn; ``tables`` holds the ranking."""
    from planner.analyze.resilience import resilience as analyse

    return _analysis("resilience", mission, data, flags, workers,
                     lambda i, e: analyse(i, e, pools=pools, links=links, robust=robust))


def fairness(mission: str | Path | Mission | None = None, *, data: str | Path | None = None,
             flags: Mapping[str, str] | None = None, workers: int | None = 1) -> Analysis:
    """Coalition values, Shapley and nucleolus shares, the core, Olson-Zeckhauser."""
    from planner.analyze.fairness import fairness as analyse

    return _analysis("fairness", mission, data, flags, workers, analyse)


def pareto(mission: str | Path | Mission | None = None, *, data: str | Path | None = None,
           flags: Mapping[str, str] | None = None, points: int = 11,
           workers: int | None = 1) -> Analysis:
    """Total cost against the US share of cost: the front of least-cost plans."""
    from planner.analyze.pareto import share_front

    return _analysis("pareto", mission, data, flags, workers,
                     lambda i, e: share_front(i, e, points))


def montecarlo(mission: str | Path | Mission | None = None, *,
               data: str | Path | None = None, flags: Mapping[str, str] | None = None,
               draws: int = 200, seed: int = 0, workers: int | None = 1) -> Analysis:
    """Readiness drawn from the mission's spreads: coverage probability and cost spread."""
    from planner.analyze.montecarlo import montecarlo as analyse

    return _analysis("montecarlo", mission, data, flags, workers,
                     lambda i, e: analyse(i, e, draws=draws, seed=seed))


def alternatives(mission: str | Path | Mission | None = None, *,
                 data: str | Path | None = None, flags: Mapping[str, str] | None = None,
                 slack: float = 0.05, workers: int | None = 1) -> Analysis:
    """Within ``slack`` (a fraction) of the least cost: the least and most each ally delivers
    of each task and region, and the least and most share of cost it bears."""
    from planner.analyze.alternatives import alternatives as analyse

    return _analysis("alternatives", mission, data, flags, workers,
                     lambda i, e: analyse(i, e, slack=slack))


def priorities(mission: str | Path | Mission | None = None, *,
               data: str | Path | None = None, flags: Mapping[str, str] | None = None,
               joint_plan: Mapping[str, float] | None = None) -> Analysis:
    """Each ally's acceptability of the least-cost plan and of the joint plan: max-min
    (``joint_plan=None``) or the largest weighted sum of acceptabilities
    (``joint_plan={"USA": 1, "KOR": 2}``)."""
    from planner.analyze.priorities import priorities as analyse

    weighting = None if joint_plan is None else {k: float(v) for k, v in joint_plan.items()}
    return _analysis("priorities", mission, data, flags, 1,
                     lambda i, e: analyse(i, weighting=weighting))


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _name(value: str | Path | None) -> str | None:
    return None if value is None else str(value)
