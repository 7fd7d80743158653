"""Run a solver on a built model and read back the real status, values and duals.

PuLP's ``status`` alone can mislead (a time-limited CBC run still says "Optimal"), so the
solution status ``sol_status`` decides whether the numbers are an optimum. A MIP has no
duals of its own (PuLP's HiGHS path returns zeros): they come from the LP with every integer
column fixed at its optimum, and the Solution says so.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
import sys
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pandas as pd
import pulp

from planner.errors import SolverError
from planner.formulation.bulk import lexical_order, objects
from planner.formulation.core import RowBlock
from planner.formulation.families import SHORTFALL, TRANSLATE, UNITS, Family, pulp_parts
from planner.formulation.model import PlanningModel
from planner.solving import clp
from planner.solving.algorithm import choose, decades
from planner.solving.clp import cbc_path
from planner.solving.gap import WITH_PLAN, MipGap, proof
from planner.solving.highs import INF, Arrays, HighsModel, Result, bounds, read_part, to_arrays
from planner.solving.progress import MipProgress
from planner.solving.quiet import solver_log_shown, solver_output

SOLVERS = ("highs", "cbc")


@dataclass(frozen=True)
class Solution:
    """What the solver returned, in plain numbers keyed like the model."""

    solver: str
    status: str  # optimal | not_proven | not_solved | infeasible | unbounded | undefined
    #              | time_limit
    objective: float | None
    units: list[float]
    shortfalls: list[float]
    duals: dict[str, float]
    slacks: dict[str, float]
    leads: list[float] = field(default_factory=list)
    duals_from: str = "lp"  # lp | fixed_lp (a MIP's LP with its integers fixed) | none
    ranging: Ranging | None = None  # HiGHS sensitivity ranges, when asked for
    mip_gap: MipGap | None = None  # for a MIP: the gap asked for
    bound: float | None = None  # for a MIP: the best bound the solver proved, if it said
    bound_note: str = ""  # why a MIP has no bound
    algorithm: str = ""  # what ran and why (planner.solving.algorithm); "" for --solver cbc
    force: list[float] = field(default_factory=list)  # a multi-year model's orders, then
    # its fielded units (``ForceModel``: the core's columns after the shortfalls)

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"


@dataclass(frozen=True)
class Ranging:
    """How far each cost and each right-hand side may move before the optimal basis
    changes (HiGHS ranging), keyed by column and row name: (low, high)."""

    costs: dict[str, tuple[float, float]]
    rhs: dict[str, tuple[float, float]]


def make_solver(name: str, time_limit: float | None, msg: bool,
                mip_gap: MipGap | None = None, log: Path | None = None) -> pulp.LpSolver:
    """A PuLP solver; ``log``: where CBC writes its log (read back for the MIP bound)."""
    msg = msg or solver_log_shown()
    gap = mip_gap or MipGap()
    if name == "highs":
        solver = pulp.HiGHS(msg=msg, timeLimit=time_limit, gapRel=gap.relative,
                            gapAbs=gap.absolute)
    elif name == "cbc":
        solver = pulp.COIN_CMD(msg=msg and log is None, timeLimit=time_limit, path=cbc_path(),
                               gapRel=gap.relative, gapAbs=gap.absolute,
                               logPath=str(log) if log else None)
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
                duals_wanted: bool = True, fast: bool = True,
                mip_gap: MipGap | None = None, algorithm: str = "auto") -> Solution:
    """Solve and read back; raises SolverError only when the solver cannot be run at all.
    ``ranging`` also reads HiGHS's sensitivity ranges (of the fixed LP for a MIP); without
    ``duals_wanted`` a MIP skips its fixed-LP re-solve (for what-if re-solves). The PuLP
    columns and rows the model has made carry the values afterwards, whichever solver ran
    (the rows it keeps as arrays, and columns it made no PuLP object for, have none: the
    Solution has every value and price, by name or position). Without
    ``fast``, HiGHS runs through PuLP's own interface (the plain path, for comparison).
    ``mip_gap``: the gap a MIP's plan may leave and be called optimal (default ``MipGap()``).
    ``algorithm``: the LP algorithm, ``auto`` (by size: ``planner.solving.algorithm``),
    ``simplex`` or ``ipm`` (HiGHS's), or ``clp`` (``planner.solving.clp``)."""
    solver = available_solver(solver)
    gap = mip_gap or MipGap()
    if solver == "highs" and fast:
        return solve_highs(model, time_limit, msg, ranging, duals_wanted, gap, algorithm)
    with tempfile.TemporaryDirectory(prefix="planner-") as work:
        log = Path(work) / "cbc.log" if solver == "cbc" and model.integer else None
        with warnings.catch_warnings():  # PuLP warns that a log file replaces msg
            warnings.simplefilter("ignore", UserWarning)
            run(model.problem, make_solver(solver, time_limit, msg, gap, log), solver)
        status = status_of(model.problem)
        bound, note = mip_bound(model, solver, log) if model.integer else (None, "")
        if log is not None and (msg or solver_log_shown()) and log.exists():
            sys.stderr.write(log.read_text(encoding="utf-8", errors="replace"))
    has_values = status in WITH_PLAN
    objective = clean(pulp.value(model.problem.objective)) if has_values else None
    if (status == "optimal" and bound is not None
            and not proof(objective, bound).within(gap)):
        status = "not_proven"
    units = [clean(v.varValue) for v in model.units["var"]] if has_values else []
    shortfalls = [clean(v.varValue) for v in model.shortfalls["var"]] if has_values else []
    leads = [clean(v.varValue) for v in model.leads["var"]] if has_values else []
    n_core = len(model.units) + len(model.shortfalls)
    force = ([clean(v.varValue) for v in model.core_columns.take(
        np.arange(n_core, model.core.size))] if has_values else [])
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
                    duals_from, None, gap if model.integer else None,
                    clean(bound) if bound is not None else None, note, force=force)


CBC_RESULT = re.compile(r"^Result - (?P<result>.*)$", re.MULTILINE)
CBC_LINE = re.compile(r"^(?P<key>Objective value|Lower bound|Gap):\s+(?P<value>\S+)\s*$",
                      re.MULTILINE)


def mip_bound(model: PlanningModel, solver: str, log: Path | None) -> tuple[float | None, str]:
    """A MIP's best bound from the solver that ran, and why there is none when there is
    none: HiGHS's info through PuLP, or CBC's result summary in its log (CBC says nothing
    else about its bound)."""
    if solver == "highs":
        highs = getattr(model.problem, "solverModel", None)
        if highs is None:
            return None, "highs did not report its bound"
        bound = float(highs.getInfo().mip_dual_bound)
        return (bound, "") if np.isfinite(bound) else (None, "highs found no finite bound")
    text = log.read_text(encoding="utf-8", errors="replace") if log and log.exists() else ""
    return cbc_bound(text)


def cbc_bound(log: str) -> tuple[float | None, str]:
    """The bound in CBC's result summary. CBC prints ``Lower bound`` to six digits but the
    objective to twelve, and ``Gap`` as (objective - bound) / |bound|: the bound is read back
    from the objective and the gap, exactly when the gap is 0."""
    result = CBC_RESULT.search(log)
    if result is None:
        return None, "cbc did not report its bound"
    found = {}
    for line in CBC_LINE.finditer(log, result.end()):
        try:
            found.setdefault(line["key"], float(line["value"]))
        except ValueError:
            return None, f"cbc reported its {line['key'].lower()} as '{line['value']}'"
    objective, lower, gap = (found.get(k) for k in ("Objective value", "Lower bound", "Gap"))
    if lower is None or not np.isfinite(lower):
        return None, "cbc did not report its bound"
    if objective is None or gap is None or not np.isfinite(gap):
        return lower, "cbc printed its bound to six digits"
    return (objective / (1 + gap) if lower >= 0 else objective / (1 - gap)), ""


def fast_model(model: PlanningModel, time_limit: float | None = None,
               msg: bool = False) -> HighsModel:
    """The model inside HiGHS, columns in name order as PuLP's own HiGHS interface passes
    them, so that both paths land on the same optimum when several are equally cheap."""
    return in_name_order(model, time_limit, msg)[0]


def in_name_order(model: PlanningModel, time_limit: float | None = None,
                  msg: bool = False, mip_gap: MipGap | None = None,
                  arrays: Arrays | None = None) -> tuple[HighsModel, np.ndarray]:
    """``fast_model``, and where each of the model's columns (units, shortfalls, then the
    others, as ``model_arrays`` lists them) sits in it (so that values are read back by
    position, not by a million name lookups). ``arrays``: the model's, where made."""
    arrays = arrays if arrays is not None else model_arrays(model)
    count = len(model.core.names) + len(model.extra_columns)
    order = name_order(arrays.columns, count, len(model.units), model.unit_keys,
                       model.shortfall_keys)
    fast = HighsModel(arrays.reordered(order), model.lp.name, time_limit=time_limit, msg=msg,
                      mip_gap=mip_gap)
    at = np.empty(len(order), dtype=np.int32)
    at[order] = np.arange(len(order))
    return fast, at


def name_order(names: Sequence[str], count: int, n_units: int,
               unit_keys: dict[str, tuple[np.ndarray, Any]] | None,
               shortfall_keys: dict[str, tuple[np.ndarray, Any]] | None = None) -> np.ndarray:
    """The positions of the first ``count`` columns sorted by name, as PuLP's own HiGHS
    interface passes them. The units columns, the first ``n_units`` and nearly all of a
    large model, are put in order from their keys' codes: ``units_JPN,aegis_ddg,...,crisis_``
    sorts as the tuple of each key's text followed by its separator, as no key's text holds
    a comma; and so are the shortfall columns after them, given ``shortfall_keys``. The
    other columns are sorted by name, and each family's block goes where its prefix puts
    it. Where a key's text could break that (a comma, a missing value, another name with a
    family's prefix), every name is sorted."""

    def by_name() -> np.ndarray:
        listed = names[:count]  # read at once: a ``Names`` makes them in one go
        return np.array(sorted(range(count), key=listed.__getitem__), dtype=np.int64)

    if unit_keys is None or not n_units:
        return by_name()
    blocks = [(0, n_units, UNITS, unit_keys)]
    if shortfall_keys is not None:
        n_short = len(shortfall_keys[SHORTFALL.keys[0]][0])
        if n_short:
            blocks.append((n_units, n_short, SHORTFALL, shortfall_keys))
    after = blocks[-1][0] + blocks[-1][1]  # the other columns come after the blocks
    named = dict(zip(range(after, count), names[after:count], strict=True))
    others = sorted(named, key=named.__getitem__)
    sorted_names = [named[i] for i in others]
    placed = []  # where each block goes among the others, its prefix, its order
    for first, size, family, keys in blocks:
        prefix = pulp_parts(family.name)[0]
        before = bisect.bisect_left(sorted_names, prefix)  # its names would start here
        ordered = keyed_order(family, keys, size)
        if ordered is None or (before < len(sorted_names)
                               and sorted_names[before].startswith(prefix)):
            return by_name()
        placed.append((before, prefix, first + ordered))
    if len({p for _, p, _ in placed}) < len(placed) or any(
            a.startswith(b) for _, a, _ in placed for _, b, _ in placed if a != b):
        return by_name()  # one family's names would run into another's
    pieces, at = [], 0
    for before, _, ordered in sorted(placed, key=lambda block: block[:2]):
        pieces += [np.asarray(others[at:before], dtype=np.int64), ordered]
        at = before
    return np.concatenate([*pieces, np.asarray(others[at:], dtype=np.int64)])


def keyed_order(family: Family, keys: dict[str, tuple[np.ndarray, Any]], size: int
                ) -> np.ndarray | None:
    """The order by name of a family's ``size`` columns from their keys' codes (see
    ``name_order``), or None where a key's text could break it."""
    _, between, tail = pulp_parts(family.name)
    ranks = []
    for key in family.keys:
        codes, distinct = keys[key]
        text = [str(v).translate(TRANSLATE) for v in distinct]
        last = key == family.keys[-1]
        if len(codes) != size or (size and codes.min() < 0) or (
                not last and any(between in t for t in text)):
            return None
        end = tail if last else between
        keyed = [t + end for t in text]  # two values may read alike (a-b, a_b): one rank
        place = {k: i for i, k in enumerate(sorted(set(keyed)))}
        ranks.append((np.array([place[k] for k in keyed], dtype=np.int64)[codes], len(place)))
    return lexical_order(ranks[::-1])  # the first key decides first


def model_arrays(model: PlanningModel) -> Arrays:
    """The model's arrays in model order (the core's columns: units, shortfalls, a multi-year
    model's orders and fielded units; then the others: leads, stock columns; rows as
    ``model.rows`` lists them). The core's come from its arrays; the rows beyond it are
    read from PuLP's objects, over the core's columns some of them name, and the rows given
    as arrays after them (``PlanningModel.tail``) come last. A model made
    complete (its core's rows are PuLP objects, which an analysis may have changed) is read
    from PuLP's objects alone."""
    if model.completed:
        return to_arrays(model.lp, model.columns, model.pulp_rows)
    core = model.core
    extra = model.extra_columns
    made, made_vars = model.core_columns.known()
    known = [*made_vars, *extra]
    at = np.concatenate([made, core.size + np.arange(len(extra))]).astype(np.int64)
    part = read_part(model.lp.objective, list(model.pulp_rows.values()), known, at,
                     core.size + len(extra))
    beyond = [*extra, *part.added]
    lower, upper, integer = bounds(beyond)
    cost = np.concatenate([core.cost, np.zeros(len(beyond))])
    np.add.at(cost, part.cost_at, part.cost)
    variables = np.full(core.size + len(beyond), None, dtype=object)
    variables[made] = made_vars
    variables[core.size:] = objects(beyond)
    tail = model.tail or RowBlock.empty()
    middle = RowBlock(list(model.pulp_rows), part.row_lower, part.row_upper, part.start,
                      part.index, part.value)
    if model.array_rows:  # PuLP's rows and those kept as arrays, in the order added
        middle = middle.interleaved(model.middle(), [n in model.array_rows
                                                     for n in model.placed])
    middle_end = core.start[-1] + middle.start[-1]
    return Arrays(
        columns=core.names.plus([v.name for v in beyond]),
        rows=[*core.rows, *middle.rows, *tail.rows], cost=cost,  # the arrays' order
        col_lower=np.concatenate([np.zeros(core.size), lower]),
        col_upper=np.concatenate([np.full(core.size, INF), upper]),
        integer=np.concatenate([core.integer, integer]),
        row_lower=np.concatenate([core.row_lower, middle.row_lower, tail.row_lower]),
        row_upper=np.concatenate([core.row_upper, middle.row_upper, tail.row_upper]),
        start=np.concatenate([core.start, core.start[-1] + middle.start[1:],
                              middle_end + tail.start[1:]]).astype(np.int32),
        index=np.concatenate([core.index, middle.index, tail.index]).astype(np.int32),
        value=np.concatenate([core.value, middle.value, tail.value]), offset=part.offset,
        variables=variables)


def solve_highs(model: PlanningModel, time_limit: float | None, msg: bool, ranging: bool,
                duals_wanted: bool, mip_gap: MipGap, algorithm: str = "auto") -> Solution:
    """The model's arrays solved by the LP algorithm their size calls for
    (``planner.solving.algorithm``): HiGHS's, fed the arrays in one call
    (``planner.solving.highs``), not row by row; or CLP's, whose optimum the planner proves
    (``planner.solving.clp``), HiGHS taking over only where CLP's answer is not one."""
    arrays = model_arrays(model)
    try:
        chosen = choose(algorithm, len(arrays.value), bool(arrays.integer.any()),
                        clp_here=clp.available, ranging=ranging, span=decades(arrays.value))
    except ValueError as exc:
        raise SolverError(str(exc)) from exc
    fast: HighsModel | clp.Solved
    if chosen.clp:
        done = clp.solve(arrays, model.lp.name, time_limit, msg, hand_over=lambda: in_name_order(
            model, time_limit, msg, mip_gap, arrays))
        result, fast, at = done.result, done.solved, done.at
    else:
        fast, at = in_name_order(model, time_limit, msg, mip_gap, arrays)
        del arrays  # HiGHS holds them, reordered: not twice while it solves
        fast.use(chosen.option, chosen.options)
        shown = msg or solver_log_shown()  # the solver's own log says it already
        result = fast.run(progress=None if shown else MipProgress.for_stderr(sys.stderr))
    solution = read_solution(model, fast, at, result, ranging, duals_wanted,
                             mip_gap if fast.integer else None)
    finished = ("; CLP's answer was no proved optimum, so HiGHS finished the solve"
                if chosen.clp and isinstance(fast, HighsModel) else "")
    return dataclasses.replace(solution, algorithm=f"{chosen.name}: {chosen.reason}{finished}")


def read_solution(model: PlanningModel, fast: HighsModel | clp.Solved, at: np.ndarray,
                  result: Result,
                  ranging: bool = False, duals_wanted: bool = True,
                  tolerance: MipGap | None = None) -> Solution:
    """The Solution of a run of ``fast`` (the model in HiGHS, or the arrays CLP solved;
    ``at`` the model's column positions in it): a one-off solve and a warm re-solve of a
    changed model (the exercise server) read their numbers the same way."""
    solver = "clp" if isinstance(fast, clp.Solved) else "highs"  # which one said it
    if result.status not in WITH_PLAN:
        return Solution(solver, result.status, None, [], [], {}, {}, [], "none", None,
                        tolerance)
    every = np.round(result.values, 9) + 0.0
    variables = fast.arrays.variables
    if variables is not None:  # the columns PuLP objects hold carry their values
        made = np.flatnonzero(~pd.isna(variables))
        for var, value in zip(variables[made].tolist(), every[made].tolist(), strict=True):
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
        priced, highs_ranges = result, None  # CLP's proved LP: its own prices, no ranges
        if isinstance(fast, HighsModel):
            priced, highs_ranges = (fast.fixed_lp(result.values, ranging) if fast.integer
                                    else (result, fast.ranging() if ranging else None))
        duals = priced.duals
        duals_from = ("fixed_lp" if fast.integer else "lp") if len(duals) else "none"
        if highs_ranges and isinstance(fast, HighsModel):
            ranges = read_ranging(fast, priced, highs_ranges, model.core.names[
                :n_units + n_short])  # the units' and shortfalls' costs
    rows = model.pulp_rows  # the PuLP rows the model has made carry their prices
    if len(duals) and rows:
        for name, dual in zip(a.rows, duals.tolist(), strict=True):
            if name in rows:
                rows[name].pi = dual
    return Solution(
        solver, result.status, clean(result.objective), values[:n_units].tolist(),
        values[n_units:n_units + n_short].tolist(),
        dict(zip(a.rows, (np.round(duals, 9) + 0.0).tolist(), strict=True)) if len(duals)
        else {},
        slacks, values[model.core.size:model.core.size + len(model.leads)].tolist(),
        duals_from, ranges, tolerance,
        clean(result.bound) if result.bound is not None else None,
        "" if result.bound is not None or not fast.integer else "highs found no finite bound",
        force=values[n_units + n_short:model.core.size].tolist())


def read_ranging(fast: HighsModel, result: Result, ranges: highspy.HighsRanging,
                 columns: Sequence[str]) -> Ranging:
    """HiGHS's ranges of an LP (the fixed LP, for a MIP) over the units and shortfall
    columns, keyed by name. For a row that does not bind HiGHS reports no useful range, so
    the range runs from its activity to the loose side."""
    a = fast.arrays
    at = fast.column
    costs = {n: (clean(ranges.col_cost_dn.value_[at[n]]),
                 clean(ranges.col_cost_up.value_[at[n]])) for n in columns}
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
