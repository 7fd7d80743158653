"""Hand a built model to HiGHS once, as arrays, and re-solve it in place.

PuLP's HiGHS class adds the model one row at a time and rebuilds it on every solve, so a
sweep of a thousand solves pays a thousand builds. Here the PuLP model (the one formulation,
built by ``planner.formulation.model``) is read once into compressed-row arrays and passed
to HiGHS in a single ``passModel`` call; a sweep then changes column bounds, row bounds or costs and
re-solves from the previous basis. Results are keyed by the model's own row and column
names, so the rest of the planner reads them like any other solve.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any

import highspy
import numpy as np
import pandas as pd
import pulp

from planner.errors import SolverError
from planner.formulation.bulk import no_cycle_collection, objects
from planner.formulation.names import Names
from planner.solving import basic_values
from planner.solving.gap import WITH_PLAN, MipGap, proof
from planner.solving.progress import MipProgress
from planner.solving.quiet import redirected_here, solver_log_shown, solver_output

INF = highspy.kHighsInf
Status = highspy.HighsModelStatus
# Stopped before proving an optimum. Older highspy releases lack some of these statuses
# (1.10 has no kHighsInterrupt), so the tuple holds those the installed one has.
STOPPED = tuple(getattr(Status, name) for name in (
    "kTimeLimit", "kIterationLimit", "kInterrupt", "kHighsInterrupt", "kSolutionLimit",
    "kObjectiveBound", "kObjectiveTarget", "kMemoryLimit") if hasattr(Status, name))


@dataclass(frozen=True)
class Arrays:
    """An LP (or MIP) as HiGHS reads it: columns, rows and the matrix by rows (CSR).
    ``variables`` holds the PuLP variable of each column where the model has made one (a
    units column a plain solve never needed has none), to carry the solution back."""

    columns: Sequence[str]  # column names (``Names``: made as they are read)
    rows: list[str]
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # 1 where a column is integer, else 0
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    offset: float
    variables: np.ndarray | None = None  # object: a pulp.LpVariable or None per column

    @cached_property
    def row_of(self) -> np.ndarray:
        """Each nonzero's row (CSR's rows spelt out): CLP's MPS file and the proof of its
        answer both read the matrix by entry, on large 1.6 million of them."""
        return np.repeat(np.arange(len(self.row_lower), dtype=np.int32), np.diff(self.start))

    def reordered(self, order: np.ndarray) -> Arrays:
        """The same model with its first ``len(order)`` columns in the order given (column
        ``order[k]`` moves to position k); the rest stay behind them."""
        n = len(self.columns)
        every = np.concatenate([np.asarray(order, dtype=np.int64),
                                np.arange(len(order), n, dtype=np.int64)])
        moved = np.empty(n, dtype=np.int32)  # as HiGHS takes the index: no copy to convert
        moved[every] = np.arange(n, dtype=np.int32)
        return dataclasses.replace(
            self, columns=Names.of(self.columns).take(every), cost=self.cost[every],
            col_lower=self.col_lower[every], col_upper=self.col_upper[every],
            integer=self.integer[every], index=moved[self.index],
            variables=None if self.variables is None else self.variables[every])


@dataclass(frozen=True)
class Part:
    """PuLP rows and an objective read into arrays over known column positions."""

    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost_at: np.ndarray
    cost: np.ndarray
    offset: float
    added: list[pulp.LpVariable]  # columns the rows use that were not known, in order


def read_part(objective: pulp.LpAffineExpression | None,
              constraints: Sequence[pulp.LpConstraint], known: Sequence[pulp.LpVariable],
              at: np.ndarray, first_new: int) -> Part:
    """Rows and objective as arrays: a column among ``known`` sits at its ``at``; any other
    is ``added``, from position ``first_new`` on, where it first appears.

    Nonzeros are read by C-level iteration over the rows' own dictionaries and matched to
    columns by identity in one hash-table pass (pandas), with no Python call per nonzero.
    """
    with no_cycle_collection():
        expressions = [c.expr for c in constraints]
        objective = objective if objective is not None else {}
        start = np.zeros(len(constraints) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, expressions), dtype=np.int64, count=len(expressions)),
                  out=start[1:])
        used = [*objective, *chain.from_iterable(expressions)]
        where, added = positions(used, known, at, first_new)
        value = np.fromiter(chain.from_iterable(map(dict.values, expressions)),
                            dtype=np.float64, count=int(start[-1]))
        rhs = np.fromiter((-c.constant for c in constraints), dtype=np.float64,
                          count=len(constraints))
        sense = np.fromiter((c.sense for c in constraints), dtype=np.int8,
                            count=len(constraints))
        return Part(
            start=start, index=where[len(objective):].astype(np.int32), value=value,
            row_lower=np.where(sense == pulp.LpConstraintLE, -INF, rhs),
            row_upper=np.where(sense == pulp.LpConstraintGE, INF, rhs),
            cost_at=where[:len(objective)],
            cost=np.fromiter(objective.values(), dtype=np.float64, count=len(objective)),
            offset=float(getattr(objective, "constant", 0.0)), added=added)


def bounds(columns: Sequence[pulp.LpVariable]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds (infinite where PuLP has None) and integrality of columns."""
    lower = np.array([v.lowBound for v in columns], dtype=np.float64)  # None: nan
    upper = np.array([v.upBound for v in columns], dtype=np.float64)
    return (np.where(np.isnan(lower), -INF, lower), np.where(np.isnan(upper), INF, upper),
            np.array([v.cat == pulp.LpInteger for v in columns], dtype=np.uint8))


def to_arrays(problem: pulp.LpProblem, columns: Sequence[pulp.LpVariable],
              rows: dict[str, pulp.LpConstraint]) -> Arrays:
    """The arrays of a PuLP model: columns in the order given, then any other column the
    objective or a row uses (e.g. the elastic columns of a conflict search), in the order
    they first appear; rows in the order of ``rows``."""
    columns = list(columns)
    part = read_part(problem.objective, list(rows.values()), columns,
                     np.arange(len(columns)), len(columns))
    columns += part.added
    cost = np.zeros(len(columns))
    np.add.at(cost, part.cost_at, part.cost)
    lower, upper, integer = bounds(columns)
    return Arrays(
        columns=[v.name for v in columns], rows=list(rows), cost=cost, col_lower=lower,
        col_upper=upper, integer=integer, row_lower=part.row_lower,
        row_upper=part.row_upper, start=part.start.astype(np.int32), index=part.index,
        value=part.value, offset=part.offset, variables=objects(columns))


def positions(used: list[pulp.LpVariable], known: Sequence[pulp.LpVariable],
              at: np.ndarray, first_new: int) -> tuple[np.ndarray, list[pulp.LpVariable]]:
    """The column position of each variable in ``used``: ``at[k]`` for ``known[k]``; a
    variable not known is numbered from ``first_new`` on where it first appears."""
    ids = pd.Index(np.fromiter(map(id, known), dtype=np.int64, count=len(known)))
    if not ids.is_unique:
        raise ValueError("a column is given twice")
    found = ids.get_indexer(np.fromiter(map(id, used), dtype=np.int64, count=len(used)))
    where = np.where(found >= 0, np.asarray(at, dtype=np.int64)[found], -1)
    added: list[pulp.LpVariable] = []
    missing = np.flatnonzero(found < 0)
    if len(missing):
        numbered: dict[int, int] = {}
        for i in missing.tolist():
            var = used[i]
            if id(var) not in numbered:
                numbered[id(var)] = first_new + len(added)
                added.append(var)
            where[i] = numbered[id(var)]
    return where, added


def spread(value: np.ndarray | float, length: int) -> np.ndarray:
    """One number for each of ``length`` positions, as HiGHS takes them (float64)."""
    if isinstance(value, int | float):  # the common case of a sweep: no broadcasting
        return np.full(length, value, dtype=np.float64)
    if (isinstance(value, np.ndarray) and value.dtype == np.float64
            and value.shape == (length,) and value.flags.c_contiguous):
        return value  # as HiGHS takes it: broadcasting would cost 3 us of a 280 us draw
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=np.float64),
                                                (length,)))


def first(value: np.ndarray | float) -> float:
    """The one number of a bound given for one position."""
    return float(value if isinstance(value, int | float) else np.asarray(value).flat[0])


@dataclass(frozen=True)
class Result:
    """One solve: status word, objective and the raw vectors in column and row order."""

    status: str  # optimal | not_proven | infeasible | unbounded | time_limit | not_solved
    #              | undefined
    objective: float | None
    values: np.ndarray  # column values (empty without a solution)
    row_values: np.ndarray  # row activities
    duals: np.ndarray  # row duals (empty for a MIP or without an optimum)
    bound: float | None = None  # a MIP's best bound (None for an LP)

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"


class HighsModel:
    """A model living inside HiGHS: solve, change numbers, solve again from the last basis.

    Column and row positions are looked up by the model's domain names
    (``units[JPN,aegis_ddg,...]``, ``pool[JPN,aegis_ddg,conflict]``), so a sweep is written
    in the mission's words.
    """

    def __init__(self, arrays: Arrays, name: str = "model",
                 time_limit: float | None = None, msg: bool = False,
                 mip_gap: MipGap | None = None, algorithm: str | None = None) -> None:
        self.arrays = arrays
        self.name = name
        self.integer = bool(arrays.integer.any())
        self.mip_gap = mip_gap or MipGap()
        with solver_output():
            self.highs = highspy.Highs()
            self.highs.setOptionValue("output_flag", bool(msg) or solver_log_shown())
        if time_limit is not None:
            self.highs.setOptionValue("time_limit", float(time_limit))
        if algorithm is not None:
            self.use(algorithm)
        self.highs.setOptionValue("mip_rel_gap", self.mip_gap.relative)
        self.highs.setOptionValue("mip_abs_gap", self.mip_gap.absolute)
        a = arrays
        status = self.highs.passModel(
            len(a.columns), len(a.rows), len(a.value), int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize), a.offset, a.cost, a.col_lower, a.col_upper,
            a.row_lower, a.row_upper, a.start, a.index, a.value,
            a.integer.astype(np.int32))
        if status == highspy.HighsStatus.kError:
            raise SolverError(f"highs refused mission {name}: a number in the tables or the "
                              "mission may be too large for it")
        # from this size, the column values of an optimal LP come from its basis, and the
        # bounds are followed for it (``tracked``); below, highspy's list is cheaper
        self.from_basis = len(a.columns) >= basic_values.FROM_COLUMNS
        self.changed: basic_values.Bounds | None = None  # the bounds once one is changed

    def tracked(self) -> basic_values.Bounds:
        """The bounds as they stand in HiGHS, followed from the first change on (copies of
        the arrays, which stay as built)."""
        if self.changed is None:
            a = self.arrays
            self.changed = basic_values.Bounds(a.col_lower, a.col_upper, a.row_lower,
                                               a.row_upper)
        return self.changed

    def use(self, algorithm: str, options: Mapping[str, object] | None = None) -> None:
        """The LP algorithm of the next solves (``planner.solving.algorithm``): simplex,
        ipm (with crossover, so that it ends on a basis: duals, ranging and warm starts
        need one) or choose (HiGHS decides), with HiGHS's ``options`` for it."""
        self.highs.setOptionValue("solver", algorithm)
        if algorithm == "ipm":
            self.highs.setOptionValue("run_crossover", "on")
        for name, value in (options or {}).items():
            self.highs.setOptionValue(name, value)

    @classmethod
    def of(cls, problem: pulp.LpProblem, columns: Sequence[pulp.LpVariable],
           rows: dict[str, pulp.LpConstraint], **options: object) -> HighsModel:
        return cls(to_arrays(problem, columns, rows), problem.name, **options)  # type: ignore[arg-type]

    @cached_property
    def column(self) -> dict[str, int]:
        """Column positions by name (made on first use: a plain solve never needs them)."""
        return {n: i for i, n in enumerate(self.arrays.columns)}

    @cached_property
    def row(self) -> dict[str, int]:
        """Row positions by name."""
        return {n: i for i, n in enumerate(self.arrays.rows)}

    def columns(self, names: Iterable[str]) -> np.ndarray:
        return np.array([self.column[n] for n in names], dtype=np.int32)

    def rows(self, names: Iterable[str]) -> np.ndarray:
        return np.array([self.row[n] for n in names], dtype=np.int32)

    def set_column_bounds(self, columns: np.ndarray, lower: np.ndarray | float,
                          upper: np.ndarray | float) -> None:
        low, up = self.change_bounds(columns, lower, upper, self.highs.changeColBounds,
                                     self.highs.changeColsBounds)
        if self.from_basis:
            self.tracked().columns(np.asarray(columns), low, up)

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray | float,
                       upper: np.ndarray | float) -> None:
        low, up = self.change_bounds(rows, lower, upper, self.highs.changeRowBounds,
                                     self.highs.changeRowsBounds)
        if self.from_basis:
            self.tracked().rows(np.asarray(rows), low, up)

    def change_bounds(self, at: np.ndarray, lower: np.ndarray | float,
                      upper: np.ndarray | float, one: Any, many: Any
                      ) -> tuple[np.ndarray | float, np.ndarray | float]:
        """Bounds of columns or rows changed by HiGHS's call for ``one`` position (its scalar
        call: no arrays built) or for ``many``; the bounds as HiGHS took them."""
        if len(at) == 1:
            low, up = first(lower), first(upper)
            status = one(int(at[0]), low, up)
        else:
            low, up = spread(lower, len(at)), spread(upper, len(at))
            status = many(len(at), at, low, up)
        self.changed_as_asked(status)
        return low, up

    def coefficients(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """The matrix's entry at each (row, column) pair, as the model was built (0 where
        the row does not hold the column)."""
        a = self.arrays
        found = []
        for row, column in zip(np.asarray(rows).tolist(), np.asarray(columns).tolist(),
                               strict=True):
            at = np.flatnonzero(a.index[a.start[row]:a.start[row + 1]] == column)
            found.append(float(a.value[a.start[row] + at[0]]) if len(at) else 0.0)
        return np.array(found)

    def set_coefficients(self, rows: np.ndarray, columns: np.ndarray,
                         values: np.ndarray) -> None:
        """The matrix's entry at each (row, column) pair, one value each (HiGHS changes
        them one at a time)."""
        for row, column, value in zip(np.asarray(rows).tolist(), np.asarray(columns).tolist(),
                                      np.asarray(values, dtype=float).tolist(), strict=True):
            self.highs.changeCoeff(row, column, value)

    def changed_as_asked(self, status: highspy.HighsStatus) -> None:
        """Stop where HiGHS refused a change (a position given twice in one call, or out of
        range): the model in HiGHS is then not the one the caller means."""
        if status == highspy.HighsStatus.kError:
            raise SolverError(f"highs refused a change to mission {self.name}'s bounds")

    def set_costs(self, columns: np.ndarray, costs: np.ndarray | float) -> None:
        self.highs.changeColsCost(len(columns), columns, spread(costs, len(columns)))

    def set_integer(self, columns: np.ndarray, integer: bool) -> None:
        kinds = np.full(len(columns), 1 if integer else 0, dtype=np.uint8)
        self.highs.changeColsIntegrality(len(columns), columns, kinds)

    def restore(self) -> None:
        """Every bound, cost and integrality back to the model as built (the basis is kept,
        so the next solve still starts warm)."""
        a = self.arrays
        every_col = np.arange(len(a.columns), dtype=np.int32)
        self.highs.changeColsBounds(len(every_col), every_col, a.col_lower, a.col_upper)
        self.highs.changeColsCost(len(every_col), every_col, a.cost)
        self.highs.changeColsIntegrality(len(every_col), every_col, a.integer)
        every_row = np.arange(len(a.rows), dtype=np.int32)
        self.highs.changeRowsBounds(len(every_row), every_row, a.row_lower, a.row_upper)
        self.changed = None  # the bounds as built

    def run(self, objective_only: bool = False, progress: MipProgress | None = None,
            columns_only: bool = False) -> Result:
        """Solve (warm from the last basis when there is one) and read the result.

        ``objective_only`` skips reading the solution vectors (empty in the Result): a
        sweep that wants only the optimum's cost saves a copy of every column and row
        value per solve, which on a large model costs more than a warm re-solve.
        ``progress`` shows a MIP's best plan and bound on standard error while it runs.
        ``columns_only`` reads the column values alone (no row values or duals): what a
        sweep's outcome needs."""
        try:
            if progress is None and redirected_here():  # a sweep's chunk: fd 1 is redirected
                status = self.highs.run()
            else:
                watching = (progress.watching(self.highs) if progress and self.integer
                            else nullcontext())
                with solver_output(), watching:
                    status = self.highs.run()
        except RuntimeError as exc:  # highspy raises what HiGHS reports as a crash
            raise SolverError(f"highs failed on mission {self.name}: {exc}") from exc
        if status == highspy.HighsStatus.kError and self.highs.getModelStatus() in (
                Status.kNotset, Status.kModelError, Status.kSolveError,
                Status.kPresolveError, Status.kPostsolveError, Status.kLoadError):
            raise SolverError(f"highs failed on mission {self.name} "
                              f"({self.highs.modelStatusToString(self.highs.getModelStatus())})")
        return self.result(objective_only, columns_only)

    def result(self, objective_only: bool = False, columns_only: bool = False) -> Result:
        model_status = self.highs.getModelStatus()
        if model_status in (Status.kOptimal, Status.kModelEmpty):
            status = "optimal"
        elif model_status in (Status.kInfeasible, Status.kUnboundedOrInfeasible):
            status = "infeasible"
        elif model_status == Status.kUnbounded:
            status = "unbounded"
        elif model_status in STOPPED:  # kSolutionStatusFeasible: a plan, not an optimum
            feasible = self.highs.getInfo().primal_solution_status == 2
            status = "time_limit" if feasible else "not_solved"
        else:
            status = "undefined"
        empty = np.zeros(0)
        if status not in WITH_PLAN:
            return Result(status, None, empty, empty, empty)
        objective = float(self.highs.getObjectiveValue())  # HiGHS's info, without a copy
        bound = None
        if self.integer:
            bound = (objective if model_status == Status.kModelEmpty
                     else float(self.highs.getInfo().mip_dual_bound))
            bound = bound if np.isfinite(bound) else None  # stopped before any bound
            if status == "optimal" and not proof(objective, bound).within(self.mip_gap):
                status = "not_proven"  # HiGHS stopped on a rule other than the gap asked
        if objective_only:
            return Result(status, objective, empty, empty, empty, bound)
        if columns_only and status == "optimal" and not self.integer and self.from_basis:
            values = basic_values.read(self.highs, self.tracked(), len(self.arrays.columns))
            if values is not None:  # from the basis: no list of a float object per column
                return Result(status, objective, values, empty, empty, bound)
        solution = self.highs.getSolution()
        # highspy hands the values over as a list; fromiter reads it 10% faster than
        # asarray (about 1.8 ms for the medium theatre's 101,664 columns)
        listed = solution.col_value
        values = np.fromiter(listed, dtype=float, count=len(listed))
        if columns_only:
            return Result(status, objective, values, empty, empty, bound)
        row_values = np.asarray(solution.row_value, dtype=float)
        duals = (np.asarray(solution.row_dual, dtype=float)
                 if status == "optimal" and not self.integer and solution.dual_valid else empty)
        return Result(status, objective, values, row_values, duals, bound)

    def fixed_lp(self, values: np.ndarray, ranging: bool = False
                 ) -> tuple[Result, highspy.HighsRanging | None]:
        """The LP left when every integer column is fixed at its value in ``values``: its
        duals are a MIP's prices given its whole-unit and lead choices. Ranges, when asked
        for, are read before the MIP is put back."""
        whole = np.flatnonzero(self.arrays.integer).astype(np.int32)
        fixed = np.round(values[whole])
        self.set_integer(whole, False)
        self.set_column_bounds(whole, fixed, fixed)
        self.integer = False
        try:
            result = self.run()
            return result, self.ranging() if ranging and result.optimal else None
        finally:
            self.integer = True
            self.set_integer(whole, True)
            self.set_column_bounds(whole, self.arrays.col_lower[whole],
                                   self.arrays.col_upper[whole])

    def ranging(self) -> highspy.HighsRanging | None:
        """HiGHS's cost and bound ranges for the last LP solved, when it has them."""
        status, ranges = self.highs.getRanging()
        return ranges if status != highspy.HighsStatus.kError and ranges.valid else None


def domain_name(name: str) -> str:
    """A column's name as the planner gave it: PuLP turns ``units[JPN,aegis_ddg,...]`` into
    ``units_JPN,aegis_ddg,..._``; this gives the family its brackets back. Row names, which
    PuLP keeps, pass unchanged."""
    if "[" not in name and name.endswith("_") and "_" in name[:-1]:
        family, _, keys = name[:-1].partition("_")
        if family.isalpha():
            return f"{family}[{keys}]"
    return name


def lp_name(name: str) -> str:
    """A domain name as LP and MPS files accept it: ``pool[JPN,aegis_ddg,conflict]`` becomes
    ``pool(JPN,aegis_ddg,conflict)`` (the CPLEX LP format has no square brackets)."""
    return domain_name(name).replace("[", "(").replace("]", ")").replace(" ", "_")


def write_model(fast: HighsModel, path: str) -> None:
    """The model as HiGHS holds it, written as LP or MPS (by the file's suffix) with the
    planner's names for every row and column, for users who take it to another solver."""
    for i, column in enumerate(fast.arrays.columns):
        fast.highs.passColName(i, lp_name(column))
    for i, row in enumerate(fast.arrays.rows):
        fast.highs.passRowName(i, lp_name(row))
    with solver_output():
        status = fast.highs.writeModel(path)
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"highs could not write the model to {path}")
