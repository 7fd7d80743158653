"""Run a solver on a built model and read back the real status, values and duals.

PuLP's ``status`` alone can mislead (a time-limited CBC run still says "Optimal"), so the
solution status ``sol_status`` decides whether the numbers are an optimum. A MIP has no
duals of its own (PuLP's HiGHS path returns zeros): they come from the LP with every integer
column fixed at its optimum, and the Solution says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import pulp

from planner.errors import SolverError
from planner.highs import INF, HighsModel, Result
from planner.model import PlanningModel
from planner.quiet import solver_log_shown, solver_output

SOLVERS = ("highs", "cbc")


@dataclass(frozen=True)
class Solution:
    """What the solver returned, in plain numbers keyed like the model."""

    solver: str
    status: str  # optimal | not_solved | infeasible | unbounded | undefined | time_limit
    objective: float | None
    units: list[float]
    shortfalls: list[float]
    duals: dict[str, float]
    slacks: dict[str, float]
    leads: list[float] = field(default_factory=list)
    duals_from: str = "lp"  # lp | fixed_lp (a MIP's LP with its integers fixed) | none
    ranging: Ranging | None = None  # HiGHS sensitivity ranges, when asked for

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"


@dataclass(frozen=True)
class Ranging:
    """How far each cost and each right-hand side may move before the optimal basis
    changes (HiGHS ranging), keyed by column and row name: (low, high)."""

    costs: dict[str, tuple[float, float]]
    rhs: dict[str, tuple[float, float]]


def cbc_path() -> str | None:
    """The CBC binary shipped by the ``cbcbox`` wheel (PuLP's own bundled CBC is deprecated)."""
    try:
        import cbcbox
    except ImportError:
        return None
    return str(cbcbox.cbc_bin_path())


def make_solver(name: str, time_limit: float | None, msg: bool) -> pulp.LpSolver:
    msg = msg or solver_log_shown()
    if name == "highs":
        solver = pulp.HiGHS(msg=msg, timeLimit=time_limit)
    elif name == "cbc":
        solver = pulp.COIN_CMD(msg=msg, timeLimit=time_limit, path=cbc_path())
    else:
        raise SolverError(f"unknown solver '{name}': choose one of {', '.join(SOLVERS)}")
    if not solver.available():
        raise SolverError(f"solver '{name}' is not available on this machine")
    return solver


def status_of(problem: pulp.LpProblem) -> str:
    """One word for the outcome, from both of PuLP's status codes."""
    if problem.sol_status == pulp.LpSolutionOptimal and problem.status == pulp.LpStatusOptimal:
        return "optimal"
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        return "time_limit"
    return {
        pulp.LpStatusInfeasible: "infeasible",
        pulp.LpStatusUnbounded: "unbounded",
        pulp.LpStatusNotSolved: "not_solved",
    }.get(problem.status, "undefined")


def clean(value: float | None) -> float:
    """Solver noise below 1e-9 becomes 0 so plans compare exactly across runs."""
    if value is None:
        return 0.0
    value = round(float(value), 9)
    return 0.0 if value == 0 else value


def available_solver(name: str) -> str:
    """The solver to use: HiGHS falls back to CBC when highspy cannot be loaded (the Plan
    then records cbc, and the command line says so)."""
    if name == "highs" and not pulp.HiGHS(msg=False).available():
        return "cbc"
    return name


def solve_model(model: PlanningModel, solver: str = "highs", time_limit: float | None = None,
                msg: bool = False, ranging: bool = False,
                duals_wanted: bool = True, fast: bool = True) -> Solution:
    """Solve and read back; raises SolverError only when the solver cannot be run at all.
    ``ranging`` also reads HiGHS's sensitivity ranges (of the fixed LP for a MIP); without
    ``duals_wanted`` a MIP skips its fixed-LP re-solve (for what-if re-solves). The model's
    PuLP columns and rows carry the values afterwards, whichever solver ran. Without
    ``fast``, HiGHS runs through PuLP's own interface (the plain path, for comparison)."""
    solver = available_solver(solver)
    if solver == "highs" and fast:
        return solve_highs(model, time_limit, msg, ranging, duals_wanted)
    run(model.problem, make_solver(solver, time_limit, msg), solver)
    status = status_of(model.problem)
    has_values = status in ("optimal", "time_limit")
    units = [clean(v.varValue) for v in model.units["var"]] if has_values else []
    shortfalls = [clean(v.varValue) for v in model.shortfalls["var"]] if has_values else []
    leads = [clean(v.varValue) for v in model.leads["var"]] if has_values else []
    objective = clean(pulp.value(model.problem.objective)) if has_values else None
    slacks = {n: slack(c) for n, c in model.constraints.items()} if has_values else {}
    duals: dict[str, float] = {}
    duals_from = "none"
    if status == "optimal" and duals_wanted and model.integer:
        duals = fixed_lp_duals(model, make_solver(solver, time_limit, msg), solver)
        duals_from = "fixed_lp" if duals else "none"
    elif status == "optimal" and duals_wanted:
        duals = {n: clean(c.pi) for n, c in model.constraints.items()}
        duals_from = "lp"
    return Solution(solver, status, objective, units, shortfalls, duals, slacks, leads,
                    duals_from, None)


def fast_model(model: PlanningModel, time_limit: float | None = None,
               msg: bool = False) -> HighsModel:
    """The model inside HiGHS, columns in name order as PuLP's own HiGHS interface passes
    them, so that both paths land on the same optimum when several are equally cheap."""
    return in_name_order(model, time_limit, msg)[0]


def in_name_order(model: PlanningModel, time_limit: float | None = None,
                  msg: bool = False) -> tuple[HighsModel, np.ndarray]:
    """``fast_model``, and where each of ``model.columns`` sits in it (so that values are
    read back by position, not by a million name lookups)."""
    columns = model.columns
    names = [v.name for v in columns]
    order = sorted(range(len(columns)), key=names.__getitem__)
    fast = HighsModel.of(model.problem, [columns[i] for i in order], model.constraints,
                         time_limit=time_limit, msg=msg)
    at = np.empty(len(order), dtype=np.int32)
    at[order] = np.arange(len(order))
    return fast, at


def solve_highs(model: PlanningModel, time_limit: float | None, msg: bool, ranging: bool,
                duals_wanted: bool) -> Solution:
    """HiGHS fed the model's arrays in one call (``planner.highs``), not row by row."""
    fast, at = in_name_order(model, time_limit, msg)
    result = fast.run()
    if result.status not in ("optimal", "time_limit"):
        return Solution("highs", result.status, None, [], [], {}, {}, [], "none", None)
    every = np.round(result.values, 9) + 0.0
    for var, value in zip(fast.arrays.columns, every.tolist(), strict=True):
        var.varValue = value
    values = every[at]
    n_units, n_short = len(model.units), len(model.shortfalls)
    a = fast.arrays
    loose_le = a.row_upper - result.row_values
    loose_ge = result.row_values - a.row_lower
    gaps = np.where(a.row_lower <= -INF, loose_le,
                    np.where(a.row_upper >= INF, loose_ge, np.abs(loose_le)))
    slacks = dict(zip(a.rows, (np.round(gaps, 9) + 0.0).tolist(), strict=True))
    duals, duals_from, ranges = np.zeros(0), "none", None
    if result.optimal and duals_wanted:
        priced, ranges = (fast.fixed_lp(result.values, ranging) if fast.integer
                          else (result, fast.ranging() if ranging else None))
        duals = priced.duals
        duals_from = ("fixed_lp" if fast.integer else "lp") if len(duals) else "none"
        ranges = read_ranging(fast, priced, ranges, model.columns[:n_units + n_short]
                              ) if ranges else None
    for constraint, dual in zip(model.constraints.values(), duals.tolist(), strict=False):
        constraint.pi = dual
    return Solution(
        "highs", result.status, clean(result.objective), values[:n_units].tolist(),
        values[n_units:n_units + n_short].tolist(),
        dict(zip(a.rows, (np.round(duals, 9) + 0.0).tolist(), strict=True)) if len(duals)
        else {},
        slacks, values[n_units + n_short:n_units + n_short + len(model.leads)].tolist(),
        duals_from, ranges)


def read_ranging(fast: HighsModel, result: Result, ranges: highspy.HighsRanging,
                 columns: list[pulp.LpVariable]) -> Ranging:
    """HiGHS's ranges of an LP (the fixed LP, for a MIP) over the units and shortfall
    columns, keyed by name. For a row that does not bind HiGHS reports no useful range, so
    the range runs from its activity to the loose side."""
    a = fast.arrays
    at = fast.column
    costs = {v.name: (clean(ranges.col_cost_dn.value_[at[v.name]]),
                      clean(ranges.col_cost_up.value_[at[v.name]])) for v in columns}
    rhs = {}
    for i, name in enumerate(a.rows):
        activity = clean(result.row_values[i])
        if a.row_lower[i] <= -INF and a.row_upper[i] - activity > 1e-9:
            rhs[name] = (activity, float("inf"))
        elif a.row_upper[i] >= INF and activity - a.row_lower[i] > 1e-9:
            rhs[name] = (float("-inf"), activity)
        else:
            rhs[name] = (clean(ranges.row_bound_dn.value_[i]),
                         clean(ranges.row_bound_up.value_[i]))
    return Ranging(costs, rhs)


def slack(row: pulp.LpConstraint) -> float:
    """Distance of a row's activity from its bound, >= 0 when the row holds, the same for
    every solver (PuLP's HiGHS and CBC paths disagree on the sign for >= rows)."""
    excess = row.value() or 0.0  # activity - bound
    return clean(-excess if row.sense == pulp.LpConstraintLE else excess)


def run(problem: pulp.LpProblem, solver: pulp.LpSolver, name: str) -> None:
    try:
        with solver_output():
            problem.solve(solver)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{name} failed on mission {problem.name}: {exc}") from exc
    except (IndexError, ValueError, OverflowError) as exc:  # PuLP reading a model HiGHS refused
        raise SolverError(f"{name} could not solve mission {problem.name} ({exc}); a number "
                          "in the tables or the mission may be too large for it") from exc


def fixed_lp_duals(model: PlanningModel, solver: pulp.LpSolver, name: str) -> dict[str, float]:
    """Duals of the LP left when every integer column is fixed at its MIP optimum: the
    prices of the continuous decisions given the whole-unit and lead choices made. The
    columns' bounds, types and MIP values are restored afterwards; row slacks and prices
    on the problem are the fixed LP's, so the MIP's slacks must be read before this runs."""
    fixed = [v for v in model.problem.variables() if v.cat == pulp.LpInteger]
    saved = [(v, v.lowBound, v.upBound, v.varValue) for v in fixed]
    for v in fixed:
        v.lowBound = v.upBound = round(v.varValue or 0.0)
        v.cat = pulp.LpContinuous
    try:
        run(model.problem, solver, name)
        if status_of(model.problem) != "optimal":
            return {}
        return {n: clean(c.pi) for n, c in model.constraints.items()}
    finally:
        for v, low, up, value in saved:
            v.lowBound, v.upBound, v.cat, v.varValue = low, up, pulp.LpInteger, value
