"""CLP, the LP solver inside the CBC binary the project ships, for cold solves of large LPs.

On the benchmark theatres CLP's dual simplex solved the large LP (1.6M nonzeros) in about
16-30 s where HiGHS's dual simplex took 74-320 s and its interior point about 88 s
(``planner.solving.algorithm`` says when it is chosen). The model HiGHS holds is written as
an MPS file by HiGHS itself, CLP solves it in its own process and saves every row's and
column's value and price, and HiGHS finishes from them (``solve``), so the Plan, its prices
and slacks are HiGHS's, read the same way as after any other solve. Warm re-solves (a
sweep's) stay with HiGHS.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import highspy
import numpy as np

from planner.errors import SolverError
from planner.solving.highs import HighsModel, Result
from planner.solving.quiet import solver_log_shown, solver_output


def cbc_path() -> str | None:
    """The CBC binary shipped by the ``cbcbox`` wheel (PuLP's own bundled CBC is deprecated)."""
    try:
        import cbcbox
    except ImportError:
        return None
    return str(cbcbox.cbc_bin_path())


def available() -> bool:
    """Whether CLP can run here (the CBC binary is installed)."""
    path = cbc_path()
    return path is not None and Path(path).exists()


def solve(fast: HighsModel, time_limit: float | None = None, msg: bool = False) -> Result:
    """Solve the LP ``fast`` holds: CLP's dual simplex finds an optimal vertex, then HiGHS
    proves it and ends on a basis of its own, so that the plan's numbers, prices and
    ranges, and the warm starts of any re-solve, are HiGHS's own.

    CLP's own prices are not used: its driver turns rows with one nonzero into bounds on
    their columns and reports those rows' prices as 0 (on baseline, a Japanese shipyard
    that binds at 28 USD m a unit would be worth nothing), and it leaves columns at bounds
    it inferred from their rows, which the model does not have. So HiGHS does not start
    from CLP's basis as it stands (on the medium theatre 837 primal infeasibilities, 4,967
    dual simplex iterations to finish) but from CLP's values and prices: HiGHS's crossover
    turns them into a basis of the model's own, and its primal simplex finishes (13
    crossover and 11 simplex iterations on medium; 1,103 and 3 on large: 0.8 s in all,
    where the finish from CLP's basis took 2.7 s, 41,439 iterations, the same hour). CLP's
    basis is the fallback where crossover is not there or fails."""
    if fast.integer:
        raise SolverError(f"CLP solves LPs; mission {fast.name} has whole units or lead "
                          "choices (a MIP): use --lp-algorithm auto")
    binary = cbc_path()
    if binary is None or not Path(binary).exists():
        raise SolverError("--lp-algorithm clp needs the CBC binary of the cbcbox package "
                          "(pip install cbcbox), which is not installed here")
    shown = msg or solver_log_shown()
    with tempfile.TemporaryDirectory(prefix="planner-clp-") as work:
        model, answer, basis, saved = (Path(work) / n for n in (
            "model.mps", "solution.txt", "basis.bas", "solution.bin"))
        with solver_output():
            written = fast.highs.writeModel(str(model))
        if written == highspy.HighsStatus.kError:
            raise SolverError(f"highs could not write mission {fast.name} for CLP")
        basis.touch()  # CBC writes a basis only into a file that exists
        limit = ["-sec", f"{time_limit:g}"] if time_limit is not None else []
        command = [binary, str(model), *limit, "-dualS", "-basisO", str(basis),
                   "-saveSolution", str(saved), "-solution", str(answer), "-quit"]
        done = subprocess.run(command, stdout=sys.stderr if shown else subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        head = (answer.read_text(errors="replace").partition("\n")[0] if answer.exists()
                else "")
        if not head:
            said = (done.stdout or "").strip().splitlines()[-3:]
            raise SolverError(f"CLP failed on mission {fast.name} (exit {done.returncode}"
                              + (f": {' / '.join(said)}" if said else "") + ")")
        optimal = head.startswith("Optimal")
        values = read_solution(fast, saved) if optimal else None
        clp_basis = basis.read_text(errors="replace") if optimal else ""
    if head.startswith("Stopped"):  # on the time limit: a simplex midway is no plan
        empty = np.zeros(0)
        return Result("not_solved", None, empty, empty, empty)
    fast.use("simplex")
    if not optimal:  # infeasible or unbounded: HiGHS says which, in its own words
        return fast.run()
    if values is not None and crossed(fast, values):
        return finish_by_primal_simplex(fast)
    start = read_basis(fast, clp_basis)
    if fast.highs.setBasis(start) == highspy.HighsStatus.kError:
        raise SolverError(f"highs refused CLP's basis for mission {fast.name}")
    return fast.run()


def read_solution(fast: HighsModel, path: Path) -> highspy.HighsSolution | None:
    """CLP's values and prices of every row and column as a HiGHS solution, from the file
    CBC's ``-saveSolution`` writes (the count of rows and of columns as two ints, the
    objective, then row values, row prices, column values and column prices as doubles);
    None when the file is missing or not of this model."""
    a = fast.arrays
    n, m = len(a.columns), len(a.rows)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) != 16 + 8 * 2 * (m + n) or np.frombuffer(data[:8], np.int32).tolist() != [m, n]:
        return None
    numbers = np.frombuffer(data, np.float64, offset=16)
    solution = highspy.HighsSolution()
    solution.row_value = numbers[:m]  # arrays, not lists: a large model's would take 50 MB
    solution.row_dual = numbers[m:2 * m]
    solution.col_value = numbers[2 * m:2 * m + n]
    solution.col_dual = numbers[2 * m + n:]
    solution.value_valid = solution.dual_valid = True
    return solution


def crossed(fast: HighsModel, values: highspy.HighsSolution) -> bool:
    """HiGHS's crossover from CLP's values and prices to a basis of the model's own; False
    where it fails (CLP's basis is then the start). HiGHS's crossover reaches for a task
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


def read_basis(fast: HighsModel, text: str) -> highspy.HighsBasis:
    """HiGHS's basis from CLP's (an MPS basis file: ``XU``/``XL`` a basic column and a
    nonbasic row, ``UL``/``LL`` a column at its upper or lower bound; rows not named are
    basic, columns not named at their lower bound).

    CBC's driver first tightens column bounds from the rows (a pool's column bounded by
    the pool's size), so CLP may leave a column nonbasic at a bound the model itself does
    not have; HiGHS puts it at its own bound and iterates from there (on the medium theatre
    about 4,900 iterations, against 10,800 cold)."""
    a = fast.arrays
    n, m = len(a.columns), len(a.rows)
    col = np.zeros(n, dtype=np.int8)  # 0 lower, 1 basic, 2 upper
    row = np.ones(m, dtype=np.int8)
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0] not in ("XU", "XL", "UL", "LL"):
            continue
        j = position(fields[1], "c", n)
        if fields[0] in ("XU", "XL"):
            col[j] = 1
            row[position(fields[2], "r", m)] = 2 if fields[0] == "XU" else 0
        else:
            col[j] = 2 if fields[0] == "UL" else 0
    # a bound that is not there is the other side (CLP's row sides may be mirrored)
    col[(col == 2) & ~np.isfinite(a.col_upper)] = 0
    row[(row == 2) & ~np.isfinite(a.row_upper)] = 0
    row[(row == 0) & ~np.isfinite(a.row_lower)] = 2
    kinds = (highspy.HighsBasisStatus.kLower, highspy.HighsBasisStatus.kBasic,
             highspy.HighsBasisStatus.kUpper)
    basis = highspy.HighsBasis()
    basis.col_status = [kinds[k] for k in col.tolist()]
    basis.row_status = [kinds[k] for k in row.tolist()]
    basis.valid = True
    return basis


def position(name: str, prefix: str, count: int) -> int:
    """The index in a name HiGHS wrote without names of its own (``c12``, ``r7``)."""
    if not name.startswith(prefix) or not name[1:].isdigit() or int(name[1:]) >= count:
        kind = "column" if prefix == "c" else "row"
        raise SolverError(f"CLP's basis names {name!r}, which is not a {kind} of the model "
                          "as HiGHS wrote it")
    return int(name[1:])
