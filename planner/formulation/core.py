"""The bulk of the model as arrays: units and shortfall columns (and a multi-year model's
orders and fielded units), pool and cover rows.

A mission's units columns are hundreds of thousands on a large theatre, and the pool and
cover rows hold nearly all the nonzeros. Made as PuLP objects (a variable, a name, a
dictionary entry per nonzero) they cost about 650 bytes a column and most of the build's
time, though HiGHS needs only arrays. So the build makes these two families' rows here, as
compressed-row arrays over column positions (units first, then shortfalls, then any columns
``Core.with_columns`` adds), straight from the grouped tables; ``PlanningModel.complete``
makes the same rows as PuLP objects where PuLP is used (CBC, conflict search, analyses that
add rows over units columns), and ``tests/test_core.py`` checks that both routes give the
same matrix on every mission.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pulp

from planner.formulation.bulk import grouped, objects, starts
from planner.formulation.families import new_columns
from planner.formulation.names import Names


@dataclass(frozen=True)
class Groups:
    """The rows of a table grouped by keys, groups numbered in order of first appearance:
    ``order[start[g]:start[g + 1]]`` are the rows of group g, in table order."""

    order: np.ndarray
    start: np.ndarray
    first: np.ndarray  # the first row of each group

    @classmethod
    def of(cls, factorized: dict[str, tuple[np.ndarray, Any]], keys: list[str]) -> Groups:
        """Groups by ``keys`` of a table whose key columns ``factorize`` has coded, so that
        no text is hashed again."""
        combined = np.zeros(len(factorized[keys[0]][0]), dtype=np.int64)
        for key in keys:
            codes, distinct = factorized[key]
            combined = combined * (len(distinct) + 1) + (codes + 1)
        number = pd.factorize(combined)[0]  # numbered in order of first appearance
        order, start = grouped(number, int(number.max(initial=-1)) + 1)
        return cls(order, start, order[start[:-1]])

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.start)


@dataclass(frozen=True)
class RowBlock:
    """Rows as compressed arrays over the model's columns (positions as ``model_arrays``
    lists them: the core's, then the others): the core's own rows (``Core``), and the rows
    a model places after every PuLP row (``PlanningModel.tail``: a multi-year model's
    fleet, crew, line and budget rows; a budget row holds every units column of a country
    in a year, and as PuLP expressions would make each of them a PuLP object)."""

    rows: list[str]
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    @classmethod
    def empty(cls) -> RowBlock:
        """No rows."""
        return cls.of([], [], [], [])

    @classmethod
    def of(cls, rows: list[str], lower: Sequence[float], upper: Sequence[float],
           entries: Sequence[tuple[np.ndarray, np.ndarray]]) -> RowBlock:
        """Rows from each row's bounds and its entries (column positions, values)."""
        return cls(rows, np.array(lower, dtype=float), np.array(upper, dtype=float),
                   starts([len(at) for at, _ in entries]),
                   np.concatenate([at for at, _ in entries] or [np.zeros(0, dtype=np.int64)]
                                  ).astype(np.int32),
                   np.concatenate([value for _, value in entries] or [np.zeros(0)]))

    def right_hand_sides(self) -> dict[str, float]:
        """Each row's bound by name: its lower bound, or its upper where it has none."""
        bound = np.where(np.isinf(self.row_lower), self.row_upper, self.row_lower)
        return dict(zip(self.rows, bound.tolist(), strict=True))

    def interleaved(self, other: RowBlock, from_other: list[bool]) -> RowBlock:
        """This block's rows and ``other``'s in one, in the order ``from_other`` gives
        (True: the next of ``other``'s rows, False: the next of this one's)."""
        taken = np.asarray(from_other, dtype=bool)
        lengths = np.empty(len(taken), dtype=np.int64)
        lengths[~taken], lengths[taken] = np.diff(self.start), np.diff(other.start)
        begin = np.empty(len(taken), dtype=np.int64)  # in this index, then other's
        begin[~taken], begin[taken] = self.start[:-1], len(self.index) + other.start[:-1]
        start = starts(lengths)
        gather = np.repeat(begin - start[:-1], lengths) + np.arange(int(start[-1]))
        rows, mine, theirs = [], iter(self.rows), iter(other.rows)
        for t in taken.tolist():
            rows.append(next(theirs) if t else next(mine))

        def placed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            out = np.empty(len(taken), dtype=float)
            out[~taken], out[taken] = a, b
            return out

        return RowBlock(rows, placed(self.row_lower, other.row_lower),
                        placed(self.row_upper, other.row_upper), start,
                        np.concatenate([self.index, other.index])[gather],
                        np.concatenate([self.value, other.value])[gather])

    def expressions(self, columns: np.ndarray) -> list[pulp.LpConstraint]:
        """The rows as PuLP constraints over ``columns`` (the variable at each position:
        the core's, then the model's other columns), with each row's nonzeros in their
        order. PuLP holds one bound a row: a row with two must be an equality (a budget's
        floor is a row of its own)."""
        made = []
        index, value = self.index.tolist(), self.value.tolist()
        listed = columns.tolist()
        for i, (begin, end) in enumerate(zip(self.start[:-1].tolist(),
                                             self.start[1:].tolist(), strict=True)):
            expr = pulp.LpAffineExpression(
                zip([listed[j] for j in index[begin:end]], value[begin:end], strict=True))
            lower, upper = float(self.row_lower[i]), float(self.row_upper[i])
            if np.isinf(lower):
                made.append(expr <= upper)
            elif np.isinf(upper):
                made.append(expr >= lower)
            elif lower == upper:
                made.append(expr == lower)
            else:
                raise ValueError(f"row {self.rows[i]} has two bounds ({lower:g}, {upper:g})")
        return made


class Entries:
    """Rows' nonzeros gathered as flat lists, row after row, and made a ``RowBlock`` at once:
    hundreds of small arrays, one a row, would cost more than the rows' lists."""

    def __init__(self) -> None:
        self.index: list[int] = []
        self.value: list[float] = []
        self.lengths: list[int] = []

    def add(self, at: list[int], coefficient: list[float]) -> None:
        """The next row's columns (positions) and coefficients."""
        if len(at) != len(coefficient):
            raise ValueError(f"{len(at)} columns and {len(coefficient)} coefficients")
        self.index += at
        self.value += coefficient
        self.lengths.append(len(at))

    def block(self, rows: list[str], lower: list[float], upper: list[float]) -> RowBlock:
        """The rows named ``rows``, with these bounds, over the nonzeros gathered."""
        return RowBlock(rows, np.array(lower, dtype=float), np.array(upper, dtype=float),
                        starts(self.lengths), np.array(self.index, dtype=np.int32),
                        np.array(self.value, dtype=float))


@dataclass(frozen=True)
class Core(RowBlock):
    """The core's columns (units, shortfalls, a multi-year model's orders and fielded units)
    and the pool and cover rows, as HiGHS reads them.

    Columns are numbered units first (the units table's order), then shortfalls (the
    requirements' order), then a multi-year model's orders and fielded units; rows are the
    pool rows, then the cover rows, in the order the model lists them;
    ``start``/``index``/``value`` hold the rows' nonzeros (CSR), each row's in the order its
    PuLP expression would hold them."""

    names: Names  # column names as PuLP keeps them, made as they are read
    cost: np.ndarray
    integer: np.ndarray  # 1 where a units column is whole units

    @property
    def size(self) -> int:
        return len(self.names)

    def with_columns(self, names: Sequence[str], cost: np.ndarray, integer: np.ndarray
                     ) -> Core:
        """The same core with more columns after its own (a multi-year model's orders and
        fielded units: ``planner.formulation.force``), bounded below by 0 as the others,
        in none of its rows yet."""
        return dataclasses.replace(
            self, names=self.names.plus(names),
            cost=np.concatenate([self.cost, np.asarray(cost, dtype=float)]),
            integer=np.concatenate([self.integer, np.asarray(integer, dtype=np.uint8)]))

    def with_entries(self, rows: np.ndarray, columns: np.ndarray, values: np.ndarray,
                     upper: float) -> Core:
        """The same core with one more nonzero at the end of each of ``rows`` (distinct),
        over any column (a multi-year model's pool row bounded by the units fielded that
        year, ``planner.formulation.force``), and those rows' upper bounds set to
        ``upper``."""
        order = np.argsort(rows, kind="stable")  # an empty row's end is the next one's
        rows = np.asarray(rows, dtype=np.int64)[order]
        ends = self.start[rows + 1]
        index = np.insert(self.index, ends, np.asarray(columns, dtype=self.index.dtype)[order])
        value = np.insert(self.value, ends, np.asarray(values, dtype=float)[order])
        added = np.zeros(len(self.rows), dtype=np.int64)
        added[rows] = 1
        start = self.start + np.concatenate([[0], np.cumsum(added)])
        row_upper = self.row_upper.copy()
        row_upper[rows] = upper
        return dataclasses.replace(self, start=start, index=index, value=value,
                                   row_upper=row_upper)


class LazyColumns:
    """PuLP variables for the core's columns, made only when something asks for them (a
    policy's row over some units, or the whole PuLP model): a plain solve of a mission
    without policies over units never makes one."""

    def __init__(self, names: Names, integer: np.ndarray) -> None:
        self.names = names
        self.integer = integer
        self.made = np.full(len(names), None, dtype=object)
        self.done = np.zeros(len(names), dtype=bool)

    def take(self, at: np.ndarray | None = None) -> np.ndarray:
        """The variables at these positions (every one when ``None``), made if new."""
        at = np.arange(len(self.names)) if at is None else np.asarray(at, dtype=np.int64)
        new = np.unique(at[~self.done[at]])
        if len(new):
            kinds = np.where(self.integer[new] == 1, pulp.LpInteger, pulp.LpContinuous)
            self.made[new] = objects(new_columns(self.names.made(new), kinds.tolist()))
            self.done[new] = True
        return self.made[at]

    def known(self) -> tuple[np.ndarray, np.ndarray]:
        """The positions made so far and their variables."""
        at = np.flatnonzero(self.done)
        return at, self.made[at]

    def extended(self, names: Names, integer: np.ndarray) -> LazyColumns:
        """The same columns, those made kept, and more after them (``Core.with_columns``)."""
        more = LazyColumns(names, integer)
        more.made[:len(self.made)] = self.made
        more.done[:len(self.done)] = self.done
        return more


def factorize(frame: pd.DataFrame, keys: list[str]) -> dict[str, tuple[np.ndarray, Any]]:
    """Each key column's integer codes and distinct values (``pd.factorize``), made once
    for the names, the groups and the policies' selections of a table."""
    return {key: pd.factorize(frame[key]) for key in keys}


def pool_rows(units: pd.DataFrame, by_pool: Groups) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray, np.ndarray]:
    """Each pool row: its units (coefficient 1) and its bound, the pool's availability."""
    available = units["available"].to_numpy(dtype=float)
    index = by_pool.order.astype(np.int32)
    return (by_pool.start, index, np.ones(len(index)), available[by_pool.first])


def cover_rows(units: pd.DataFrame, shortfalls: pd.DataFrame, by_need: Groups
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each cover row (one per requirement, in their order): the units delivering there
    (coefficient ``delivers``), then its shortfall column; bound, the amount."""
    keys = ["task", "region", "phase"]
    first = zip(*(units[k].array.take(by_need.first).tolist() for k in keys), strict=True)
    group = {k: g for g, k in enumerate(first)}
    wanted = [group.get(k, -1) for k in zip(*(shortfalls[k].tolist() for k in keys),
                                            strict=True)]
    wanted_at = np.asarray(wanted, dtype=np.int64)
    has = wanted_at >= 0
    sizes = np.ones(len(shortfalls), dtype=np.int64)  # the shortfall column, and the units
    sizes[has] += by_need.sizes[wanted_at[has]]
    start = starts(sizes)
    index = np.empty(int(start[-1]), dtype=np.int32)
    value = np.empty(int(start[-1]))
    delivers = units["delivers"].to_numpy(dtype=float)
    n_units = len(units)
    # the units of each requirement's group, then its shortfall column, laid out in one go:
    # each group's slice of the order, gathered by one index (not a slice per requirement)
    groups = wanted_at[has]
    lengths = by_need.sizes[groups]
    ends = np.cumsum(lengths)
    taken = by_need.order[np.repeat(by_need.start[groups] - (ends - lengths), lengths)
                          + np.arange(int(ends[-1]) if len(ends) else 0)]
    is_short = np.zeros(int(start[-1]), dtype=bool)
    is_short[start[1:] - 1] = True
    index[~is_short] = taken
    value[~is_short] = delivers[taken]
    index[is_short] = n_units + np.arange(len(shortfalls))
    value[is_short] = 1.0
    return start, index, value, shortfalls["amount"].to_numpy(dtype=float)


def build_core(units: pd.DataFrame, shortfalls: pd.DataFrame, unit_names: Names,
               short_names: Names, integer: np.ndarray, by_pool: Groups,
               by_need: Groups, rows: list[str]) -> Core:
    """The core block of a mission's model from its units and requirements tables."""
    p_start, p_index, p_value, p_upper = pool_rows(units, by_pool)
    c_start, c_index, c_value, c_lower = cover_rows(units, shortfalls, by_need)
    n_pool, n_cover = len(p_upper), len(c_lower)
    inf = np.inf
    return Core(
        names=unit_names.plus(short_names),
        cost=np.concatenate([units["unit_cost"].to_numpy(dtype=float),
                             shortfalls["penalty"].to_numpy(dtype=float)]),
        integer=np.concatenate([integer.astype(np.uint8),
                                np.zeros(len(shortfalls), dtype=np.uint8)]),
        rows=rows,
        row_lower=np.concatenate([np.full(n_pool, -inf), c_lower]),
        row_upper=np.concatenate([p_upper, np.full(n_cover, inf)]),
        start=np.concatenate([p_start, p_start[-1] + c_start[1:]]).astype(np.int64),
        index=np.concatenate([p_index, c_index]).astype(np.int32),
        value=np.concatenate([p_value, c_value]),
    )
