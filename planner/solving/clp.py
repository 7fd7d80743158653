"""CLP, the LP solver whose binary the cbcbox wheel ships beside CBC's, for cold solves of
large LPs.

On the large benchmark theatre (1.6M nonzeros) CLP's own binary solved in about 6 s,
with a peak of 280 MB, the LP that HiGHS's tuned dual simplex took 16 s for
(``planner.solving.algorithm`` says when it is chosen; CLP inside the CBC binary took
8.6-10 s and 890-910 MB). The model's arrays are written as an MPS file
(``planner.solving.mps``), CLP solves it in its own process and saves every row's and
column's value and price, and the planner proves that answer optimal itself (``proved``:
feasible within 1e-6, the prices a dual solution of the same cost), so the model is never
passed to HiGHS: the Plan's numbers and prices are CLP's, read like any other solve's.
Where CLP finds no optimum, or its answer fails the proof, HiGHS takes over
(``finish``). Warm re-solves (a sweep's) stay with HiGHS.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import highspy
import numpy as np

from planner.errors import SolverError
from planner.solving import mps
from planner.solving.algorithm import simplex_options
from planner.solving.highs import Arrays, HighsModel, Result
from planner.solving.quiet import solver_log_shown, solver_output


def cbc_path() -> str | None:
    """The CBC binary shipped by the ``cbcbox`` wheel (PuLP's own bundled CBC is deprecated)."""
    try:
        import cbcbox
    except ImportError:
        return None
    return str(cbcbox.cbc_bin_path())


def clp_path() -> str | None:
    """CLP's own binary, beside CBC's in the ``cbcbox`` wheel (every release on PyPI, from
    2.901, ships both). It solves an LP without CBC's driver around it, which copies the
    model twice and turns one-column rows into bounds."""
    cbc = cbc_path()
    return None if cbc is None else str(Path(cbc).with_name("clp" + Path(cbc).suffix))


def available() -> bool:
    """Whether CLP can run here (its binary is installed)."""
    path = clp_path()
    return path is not None and Path(path).exists()


@dataclass(frozen=True)
class Answer:
    """CLP's word on an LP (the first line of its solution file: ``Optimal``,
    ``Infeasible``, ``Stopped``...) and, at an optimum, every value and price, in the
    arrays' order."""

    head: str
    solution: Saved | None = None

    @property
    def optimal(self) -> bool:
        return self.head.startswith("Optimal") and self.solution is not None

    @property
    def stopped(self) -> bool:
        return self.head.startswith("Stopped")


@dataclass(frozen=True)
class Solved:
    """An LP that CLP solved and the planner proved optimal, as ``read_solution`` reads a
    solve: its arrays (an LP: no fixed LP, no ranges)."""

    arrays: Arrays
    integer: ClassVar[bool] = False


def run(arrays: Arrays, name: str, time_limit: float | None = None,
        msg: bool = False) -> Answer:
    """CLP's dual simplex on the LP of ``arrays``, in its own process.

    CLP runs without presolve: its dual simplex was faster without on every benchmark
    theatre (medium 0.25 s against 0.30, large 5.7 against 6.0)."""
    if arrays.integer.any():
        raise SolverError(f"CLP solves LPs; mission {name} has whole units or lead choices "
                          "(a MIP): use --lp-algorithm auto")
    binary = clp_path()
    if binary is None or not Path(binary).exists():
        raise SolverError("--lp-algorithm clp needs CLP's binary from the cbcbox package "
                          "(pip install cbcbox), which is not installed here")
    if np.any(arrays.col_lower > arrays.col_upper) or np.any(arrays.row_lower > arrays.row_upper):
        return Answer("Infeasible: a lower bound above its upper bound")  # CLP refuses the file
    shown = msg or solver_log_shown()
    with tempfile.TemporaryDirectory(prefix="planner-clp-") as work:
        model, answer, saved = (Path(work) / n for n in (
            "model.mps", "solution.txt", "solution.bin"))
        mps.write(arrays, model)
        limit = ["-sec", f"{time_limit:g}"] if time_limit is not None else []
        command = [binary, str(model), *limit, "-presolve", "off", "-dualS",
                   "-saveSolution", str(saved), "-solution", str(answer), "-quit"]
        release_freed_memory()
        done = subprocess.run(command, stdout=sys.stderr if shown else subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        head = (answer.read_text(errors="replace").partition("\n")[0] if answer.exists()
                else "")
        if not head:
            said = (done.stdout or "").strip().splitlines()[-3:]
            raise SolverError(f"CLP failed on mission {name} (exit {done.returncode}"
                              + (f": {' / '.join(said)}" if said else "") + ")")
        values = read_solution(arrays, saved) if head.startswith("Optimal") else None
    return Answer(head, values)


@dataclass(frozen=True)
class Solve:
    """A solve by CLP as the planner reads it: the Result, what it is read from (the arrays
    CLP solved, or the model in HiGHS where HiGHS had to take over) and where each of the
    arrays' columns sits in that."""

    result: Result
    solved: HighsModel | Solved
    at: np.ndarray


def solve(arrays: Arrays, name: str = "model", time_limit: float | None = None,
          msg: bool = False,
          hand_over: Callable[[], tuple[HighsModel, np.ndarray]] | None = None) -> Solve:
    """CLP's solve of the LP of ``arrays`` (``run``), proved (``outcome``); where it is not
    a proved optimum, HiGHS's (``finish``), on the model ``hand_over`` gives (the arrays
    in their own order when None)."""
    answer = run(arrays, name, time_limit, msg)
    proved = outcome(arrays, answer, time_limit)
    if proved is not None:  # the model never went to HiGHS
        return Solve(proved, Solved(arrays), np.arange(len(arrays.col_lower)))
    fast, at = (hand_over() if hand_over is not None else
                (HighsModel(arrays, name, time_limit, msg), np.arange(len(arrays.col_lower))))
    return Solve(finish(fast, answer, at), fast, at)


def outcome(arrays: Arrays, answer: Answer, time_limit: float | None) -> Result | None:
    """The Result CLP's answer gives on its own: a proved optimum, or no plan where CLP
    stopped on the time limit (a simplex midway); None where HiGHS has to say
    (``finish``)."""
    if answer.stopped and time_limit is not None:
        empty = np.zeros(0)
        return Result("not_solved", None, empty, empty, empty)
    return proved(arrays, answer.solution) if answer.optimal else None


FEASIBLE = 1e-6  # a bound's violation, relative to 1 + |bound|
GAP = 1e-7  # the cost less the prices' bound, relative to 1 + |cost|


def proved(arrays: Arrays, solution: Saved | None) -> Result | None:
    """CLP's values and prices as a Result, where they prove the optimum; else None.

    The proof is weak duality, computed here from the model's own arrays: the values keep
    every bound (within ``FEASIBLE``); the reduced costs c - A'y the prices y leave give a
    lower bound on the cost of any plan (each row's and column's bound taken on the side its
    price's sign says; a price pointing at a side that is not there, beyond CLP's dual
    tolerance and a reduced cost's rounding, is no proof); and the plan's cost is within
    ``GAP`` of that bound. Values or prices that are not finite are no proof. Row
    activities are A x, from the values, so that slacks and values agree exactly."""
    if solution is None:
        return None
    a = arrays
    x = np.asarray(solution.col_value, dtype=float)
    y = np.asarray(solution.row_dual, dtype=float)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    m, n = len(a.row_lower), len(a.col_lower)
    row_of = a.row_of
    activity = np.bincount(row_of, weights=a.value * x[a.index], minlength=m)
    priced = a.value * y[row_of]
    reduced = a.cost - np.bincount(a.index, weights=priced, minlength=n)
    # a reduced cost is a difference of terms: its rounding grows with them
    rounding = ROUNDING * (np.abs(a.cost)
                           + np.bincount(a.index, weights=np.abs(priced), minlength=n))
    violation = max(outside(x, a.col_lower, a.col_upper),
                    outside(activity, a.row_lower, a.row_upper))
    cost = float(a.cost @ x)
    bound = (side_value(y, a.row_lower, a.row_upper, DUAL, activity)
             + side_value(reduced, a.col_lower, a.col_upper, DUAL + rounding, x))
    if (violation > FEASIBLE or not np.isfinite(cost) or not np.isfinite(bound)
            or cost - bound > GAP * (1 + abs(cost))):
        return None
    return Result("optimal", cost + a.offset, x, activity, y)


def outside(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The largest violation of a bound, relative to 1 + |bound| (0 inside)."""
    if not len(value):
        return 0.0
    with np.errstate(invalid="ignore"):
        low = (lower - value) / (1 + np.abs(lower))
        high = (value - upper) / (1 + np.abs(upper))
    return float(max(np.nanmax(low, initial=0.0), np.nanmax(high, initial=0.0)))


DUAL = 1e-7  # CLP's dual feasibility tolerance
ROUNDING = 1e-12  # of a reduced cost, relative to the sum of its terms' sizes


def side_value(price: np.ndarray, lower: np.ndarray, upper: np.ndarray,
               tolerance: np.ndarray | float, value: np.ndarray) -> float:
    """Sum of each price times the bound its sign points at (lower for a positive price,
    upper for a negative one), a price within ``tolerance`` of 0 times the plan's own
    ``value`` (its sign is noise, and a far bound would make the noise count); minus
    infinity where a larger price points at a side that is not there."""
    small = np.abs(price) <= tolerance
    missing = np.where(price > 0, ~np.isfinite(lower), ~np.isfinite(upper))
    if np.any(missing & ~small):
        return -np.inf
    side = np.where(small, value, np.where(price > 0, lower, upper))
    return float(price @ side)


def finish(fast: HighsModel, answer: Answer, at: np.ndarray) -> Result:
    """HiGHS's solve where CLP's answer is not a proved optimum: with the options the
    matrix calls for (its size and its entries' span), from CLP's values and prices where
    it has them (HiGHS's crossover turns them into a basis and its primal simplex
    finishes), else from scratch; at an infeasible or unbounded LP, HiGHS says so in its
    own words. ``at``: where each of the arrays' first columns sits in ``fast`` (the rest,
    columns rows added, stay where they are)."""
    fast.use("simplex", simplex_options(fast.arrays.value))
    if answer.solution is not None:
        n = len(fast.arrays.cost)  # columns beyond ``at`` (a relaxation's) stay in place
        moved = np.concatenate([at, np.arange(len(at), n)])
        values, prices = np.empty(n), np.empty(n)
        values[moved] = answer.solution.col_value
        prices[moved] = answer.solution.col_dual
        start = highspy.HighsSolution()
        start.col_value, start.col_dual = values, prices  # arrays: no list per column
        start.row_value, start.row_dual = answer.solution.row_value, answer.solution.row_dual
        start.value_valid = start.dual_valid = True
        if crossed(fast, start):
            return finish_by_primal_simplex(fast)
    return fast.run()


def release_freed_memory() -> None:
    """Give back to the system what the build freed, before CLP's process starts: glibc
    keeps freed memory for reuse, and the two processes' memory adds up while CLP runs
    (549 -> 478 MB on the large benchmark theatre, in a few milliseconds). Elsewhere than
    on Linux, nothing."""
    if not sys.platform.startswith("linux"):
        return
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; not in musl
    if trim is not None:
        trim(0)


@dataclass(frozen=True)
class Saved:
    """CLP's values and prices of every row and column, in the arrays' order (its
    ``-saveSolution`` file), kept as numpy arrays: a HiGHS solution would copy them into
    lists on every read."""

    row_value: np.ndarray
    row_dual: np.ndarray
    col_value: np.ndarray
    col_dual: np.ndarray


def read_solution(arrays: Arrays, path: Path) -> Saved | None:
    """CLP's values and prices of every row and column, from the file CLP's
    ``-saveSolution`` writes (the count of rows and of columns as two ints, the objective,
    then row values, row prices, column values and column prices as doubles); None when
    the file is missing or not of this model."""
    n, m = len(arrays.col_lower), len(arrays.row_lower)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) != 16 + 8 * 2 * (m + n) or np.frombuffer(data[:8], np.int32).tolist() != [m, n]:
        return None
    numbers = np.frombuffer(data, np.float64, offset=16)
    return Saved(numbers[:m], numbers[m:2 * m], numbers[2 * m:2 * m + n], numbers[2 * m + n:])


def crossed(fast: HighsModel, values: highspy.HighsSolution) -> bool:
    """HiGHS's crossover from CLP's values and prices to a basis of the model's own, where
    HiGHS refused CLP's basis; False where it fails too. HiGHS's crossover reaches for a task
    scheduler of the thread that only a ``run`` starts: on a thread where HiGHS never ran
    it ends the process (a segmentation fault in highspy 1.16, whose code for it is 1.13's),
    so an empty model is run first, which takes a millisecond (``tests/test_algorithm.py``
    runs it in a new process)."""
    try:
        with solver_output():
            starter = highspy.Highs()
            starter.setOptionValue("output_flag", False)
            starter.run()
            status = fast.highs.crossover(values)
    except RuntimeError:  # highspy raises what HiGHS reports as a crash
        return False
    return status != highspy.HighsStatus.kError and fast.highs.getBasis().valid


def finish_by_primal_simplex(fast: HighsModel) -> Result:
    """HiGHS's primal simplex from the crossover's basis (primal feasible, a few prices
    wrong: primal simplex is the method for that start; the dual one took 4,702 iterations
    from it on medium against 11), then its usual strategy back for later re-solves."""
    highs = fast.highs
    strategy = option(highs, "simplex_strategy")
    highs.setOptionValue("simplex_strategy", PRIMAL)
    try:
        return fast.run()
    finally:
        highs.setOptionValue("simplex_strategy", strategy)


PRIMAL = 4  # HiGHS's simplex_strategy for its primal simplex


def option(highs: highspy.Highs, name: str) -> object:
    """An option's value (highspy returns it alone, or with a status, by release)."""
    got = highs.getOptionValue(name)
    return got[1] if isinstance(got, tuple) else got
