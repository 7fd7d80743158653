"""CLP, the LP solver whose binary the cbcbox wheel ships beside CBC's, for cold solves of
large LPs.

On the large benchmark theatre (1.6M nonzeros) CLP's own binary solved in about 6 s, with
a peak of 280 MB, the LP that HiGHS's tuned dual simplex took 16 s for
(``planner.solving.algorithm`` says when it is chosen; CLP inside the CBC binary took
8.6-10 s and 890-910 MB). The model HiGHS holds is written as an MPS file by HiGHS itself,
CLP solves it in its own process and saves its basis and every row's and column's value
and price, and HiGHS finishes from that basis (``solve``), so the Plan, its prices and
slacks are HiGHS's, read the same way as after any other solve. Warm re-solves (a sweep's)
stay with HiGHS.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import tempfile
from pathlib import Path

import highspy
import numpy as np

from planner.errors import SolverError
from planner.solving.algorithm import choose
from planner.solving.highs import HighsModel, Result
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


def solve(fast: HighsModel, time_limit: float | None = None, msg: bool = False) -> Result:
    """Solve the LP ``fast`` holds: CLP's dual simplex finds an optimal basis, then HiGHS
    starts from it and proves it, so that the plan's numbers, prices and ranges, and the
    warm starts of any re-solve, are HiGHS's own.

    CLP runs without presolve: its basis is then one of the model as written (with presolve
    the same, after CLP's postsolve) and its dual simplex was faster without on every
    benchmark theatre (medium 0.25 s against 0.30, large 5.7 against 6.0). From CLP's basis
    HiGHS needed no iteration on medium, 6 x 400 pools, 8 x 400 pools and large (0.04 to
    0.3 s to factor it and check it). Where HiGHS refuses the basis, it starts from CLP's
    values and prices instead: its crossover turns them into a basis, and its primal
    simplex finishes."""
    if fast.integer:
        raise SolverError(f"CLP solves LPs; mission {fast.name} has whole units or lead "
                          "choices (a MIP): use --lp-algorithm auto")
    binary = clp_path()
    if binary is None or not Path(binary).exists():
        raise SolverError("--lp-algorithm clp needs CLP's binary from the cbcbox package "
                          "(pip install cbcbox), which is not installed here")
    shown = msg or solver_log_shown()
    with tempfile.TemporaryDirectory(prefix="planner-clp-") as work:
        model, answer, basis, saved = (Path(work) / n for n in (
            "model.mps", "solution.txt", "basis.bas", "solution.bin"))
        with solver_output():
            written = fast.highs.writeModel(str(model))
        if written == highspy.HighsStatus.kError:
            raise SolverError(f"highs could not write mission {fast.name} for CLP")
        basis.touch()  # CLP writes a basis only into a file that exists
        limit = ["-sec", f"{time_limit:g}"] if time_limit is not None else []
        command = [binary, str(model), *limit, "-presolve", "off", "-dualS", "-basisO",
                   str(basis), "-saveSolution", str(saved), "-solution", str(answer), "-quit"]
        release_freed_memory()
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
    if head.startswith("Stopped") and time_limit is not None:  # a simplex midway: no plan
        empty = np.zeros(0)
        return Result("not_solved", None, empty, empty, empty)
    # HiGHS's simplex with the options the size calls for: they matter where HiGHS has to
    # solve on its own (CLP found no optimum, or neither start took)
    fast.use("simplex", choose("simplex", len(fast.arrays.value), integer=False).options)
    if not optimal:  # infeasible, unbounded, or stopped on its own: HiGHS says, in its words
        return fast.run()
    if from_basis(fast, clp_basis):
        return fast.run()
    if values is not None and crossed(fast, values):
        return finish_by_primal_simplex(fast)
    fast.highs.clearSolver()  # neither start took: HiGHS solves from scratch
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


def from_basis(fast: HighsModel, text: str) -> bool:
    """HiGHS given CLP's basis (``read_basis``) to start from; False where the file names
    what the model does not have or HiGHS refuses it."""
    try:
        start = read_basis(fast, text)
    except SolverError:
        return False
    return fast.highs.setBasis(start) != highspy.HighsStatus.kError


def read_solution(fast: HighsModel, path: Path) -> highspy.HighsSolution | None:
    """CLP's values and prices of every row and column as a HiGHS solution, from the file
    CLP's ``-saveSolution`` writes (the count of rows and of columns as two ints, the
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


def read_basis(fast: HighsModel, text: str) -> highspy.HighsBasis:
    """HiGHS's basis from CLP's (an MPS basis file: ``XU``/``XL`` a basic column and a
    nonbasic row, ``UL``/``LL`` a column at its upper or lower bound; rows not named are
    basic, columns not named at their lower bound).

    CLP's own binary keeps the model's bounds; CBC's driver tightened column bounds from
    the rows first, so CLP could leave a column nonbasic at a bound the model does not have
    (HiGHS then put it at its own bound and iterated: on the medium theatre about 4,900
    iterations against none from the basis of CLP's binary)."""
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
