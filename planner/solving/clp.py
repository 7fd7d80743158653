"""CLP, the LP solver inside the CBC binary the project ships, for cold solves of large LPs.

On the benchmark theatres CLP's dual simplex solved the large LP (1.6M nonzeros) in about
16-30 s where HiGHS's dual simplex took 74-320 s and its interior point about 88 s
(``planner.solving.algorithm`` says when it is chosen). The model HiGHS holds is written as
an MPS file by HiGHS itself, CLP solves it in its own process and writes every row's
activity and price and every column's value, which are read back by position into the same
``Result`` a HiGHS solve gives, so the Plan, its prices and slacks are read the same way.
Warm re-solves (a sweep's) stay with HiGHS.
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
    """Solve the LP ``fast`` holds: CLP's dual simplex finds an optimal vertex, then HiGHS's
    simplex starts from CLP's basis and proves it, so that the plan's numbers, prices and
    ranges, and the warm starts of any re-solve, are HiGHS's own.

    CLP's own prices are not used: its driver turns rows with one nonzero into bounds on
    their columns and reports those rows' prices as 0 (on baseline, a Japanese shipyard
    that binds at 28 USD m a unit would be worth nothing)."""
    if fast.integer:
        raise SolverError(f"CLP solves LPs; mission {fast.name} has whole units or lead "
                          "choices (a MIP): use --lp-algorithm auto")
    binary = cbc_path()
    if binary is None or not Path(binary).exists():
        raise SolverError("--lp-algorithm clp needs the CBC binary of the cbcbox package "
                          "(pip install cbcbox), which is not installed here")
    shown = msg or solver_log_shown()
    with tempfile.TemporaryDirectory(prefix="planner-clp-") as work:
        model, answer, basis = (Path(work) / n for n in ("model.mps", "solution.txt",
                                                          "basis.bas"))
        with solver_output():
            written = fast.highs.writeModel(str(model))
        if written == highspy.HighsStatus.kError:
            raise SolverError(f"highs could not write mission {fast.name} for CLP")
        basis.touch()  # CBC writes a basis only into a file that exists
        limit = ["-sec", f"{time_limit:g}"] if time_limit is not None else []
        command = [binary, str(model), *limit, "-dualS", "-basisO", str(basis),
                   "-solution", str(answer), "-quit"]
        done = subprocess.run(command, stdout=sys.stderr if shown else subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        head = (answer.read_text(errors="replace").partition("\n")[0] if answer.exists()
                else "")
        if not head:
            said = (done.stdout or "").strip().splitlines()[-3:]
            raise SolverError(f"CLP failed on mission {fast.name} (exit {done.returncode}"
                              + (f": {' / '.join(said)}" if said else "") + ")")
        start = (read_basis(fast, basis.read_text(errors="replace"))
                 if head.startswith("Optimal") else None)
    if head.startswith("Stopped"):  # on the time limit: a simplex midway is no plan
        empty = np.zeros(0)
        return Result("not_solved", None, empty, empty, empty)
    fast.use("simplex")
    if start is None:  # infeasible or unbounded: HiGHS says which, in its own words
        return fast.run()
    if fast.highs.setBasis(start) == highspy.HighsStatus.kError:
        raise SolverError(f"highs refused CLP's basis for mission {fast.name}")
    return fast.run()


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
