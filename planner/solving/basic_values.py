"""The column values of an optimal LP basis, read as arrays instead of through highspy's list.

highspy hands a solution's column values over as a Python list, one float object each: on
the medium benchmark theatre (101,664 columns) about 2.4 ms of a sweep case's 20, more than
anything else the planner does around HiGHS's run. Where every column's value when it is
nonbasic is 0 (each finite bound is 0: the units and shortfall columns, whatever a sweep
switches off) and every row's is known from its bounds (no row with two different finite
bounds), the values follow from the basis alone: the basic variables' values solve
B x_B = b, where b holds the value each nonbasic row's activity sits at (its one finite
bound, its fixed value, or 0 for a free row), and every other column is 0. HiGHS gives
both the basic variables and that solve as arrays (``getBasicVariables``,
``getBasisSolve``), and its own values come out of the same solve: on 1,000 sweep cases of
five missions and theatres the two readings were equal to the last bit
(``tests/test_highs.py`` checks it on every shipped mission). Below ``FROM_COLUMNS`` the
list is cheaper.
"""

from __future__ import annotations

import highspy
import numpy as np

FROM_COLUMNS = 4096  # on baseline (387 columns) the list: 10 us, this way: 60 us
# HiGHS's infinite_bound: a bound at least this large is none (the planner writes 1e30 for
# a row it means to leave free, as in ``planner.analyze.pareto``)
HUGE = 1e20


class Bounds:
    """A model's bounds as they stand in HiGHS (the arrays it was built from, then every
    change), with what the reading needs kept up to date: which columns could sit at a
    bound other than 0, which rows have two different finite bounds, and the value each
    row's activity takes when it is nonbasic."""

    def __init__(self, col_lower: np.ndarray, col_upper: np.ndarray, row_lower: np.ndarray,
                 row_upper: np.ndarray) -> None:
        self.col_lower, self.col_upper = col_lower.copy(), col_upper.copy()
        self.row_lower, self.row_upper = row_lower.copy(), row_upper.copy()
        self.odd = ~zero_when_nonbasic(self.col_lower, self.col_upper)
        self.boxed = two_bounds(self.row_lower, self.row_upper)
        self.odd_count, self.boxed_count = int(self.odd.sum()), int(self.boxed.sum())
        self.at_bound = at_bound(self.row_lower, self.row_upper)

    def columns(self, at: np.ndarray, lower: np.ndarray | float,
                upper: np.ndarray | float) -> None:
        """Columns ``at`` now have these bounds (one each, broadcast as HiGHS takes them)."""
        self.col_lower[at], self.col_upper[at] = lower, upper
        at = np.unique(at)
        odd = ~zero_when_nonbasic(self.col_lower[at], self.col_upper[at])
        self.odd_count += int(odd.sum()) - int(self.odd[at].sum())
        self.odd[at] = odd

    def rows(self, at: np.ndarray, lower: np.ndarray | float,
             upper: np.ndarray | float) -> None:
        """Rows ``at`` now have these bounds."""
        self.row_lower[at], self.row_upper[at] = lower, upper
        at = np.unique(at)
        boxed = two_bounds(self.row_lower[at], self.row_upper[at])
        self.boxed_count += int(boxed.sum()) - int(self.boxed[at].sum())
        self.boxed[at] = boxed
        self.at_bound[at] = at_bound(self.row_lower[at], self.row_upper[at])

    @property
    def readable(self) -> bool:
        """Whether the basis alone gives the column values."""
        return self.odd_count == 0 and self.boxed_count == 0


def zero_when_nonbasic(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Columns whose every finite bound is 0, so that nonbasic they are 0."""
    return (~finite(lower) | (lower == 0)) & (~finite(upper) | (upper == 0))


def finite(bound: np.ndarray) -> np.ndarray:
    """Bounds HiGHS takes as bounds (below its infinite_bound)."""
    return np.abs(bound) < HUGE


def two_bounds(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rows with two different finite bounds: nonbasic, a row's activity sits at one of them,
    which only the basis status says."""
    return finite(lower) & finite(upper) & (lower != upper)


def at_bound(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The activity of each row when it is nonbasic: its finite bound, or 0 for a free row
    (two different finite bounds are left to ``two_bounds``)."""
    return np.where(finite(lower), lower, np.where(finite(upper), upper, 0.0))


def read(highs: highspy.Highs, bounds: Bounds, columns: int) -> np.ndarray | None:
    """Every column's value at HiGHS's current basis (an optimal LP's), or None where the
    basis does not give them (see ``Bounds.readable``) or HiGHS has no basis to solve with."""
    if not bounds.readable:
        return None
    status, basic = highs.getBasicVariables()
    if status == highspy.HighsStatus.kError:
        return None
    basic = np.asarray(basic)
    rhs = bounds.at_bound.copy()
    rhs[-1 - basic[basic < 0]] = 0.0  # a basic row's activity is among the unknowns
    status, solved = highs.getBasisSolve(rhs)
    if status == highspy.HighsStatus.kError:
        return None
    values = np.zeros(columns)
    structural = basic >= 0
    values[basic[structural]] = np.asarray(solved)[structural]
    return values
