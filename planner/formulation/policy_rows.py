"""The rows of the policies in force: the context each policy kind builds its rows with.

A kind (``planner/schema/policies/<kind>.py``) names no PuLP: it selects units columns with
``Context.select`` and compares their weighted totals (``Context.total``) to numbers. A
selection is the units table's rows a scope picks (their positions, or a mask), and a total
adds up repeated columns (PuLP keeps only the last of a pair). A total is arrays
(``Terms``), and a total compared to a number a row of arrays (``TermsRow``), which the
model keeps as arrays, as it keeps its core's, until something needs PuLP's objects; a row
that also names other columns (a lead-nation policy's binary columns) is PuLP's.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pulp

from planner.formulation.bulk import grouped
from planner.formulation.families import LEAD
from planner.scenario.instance import Instance
from planner.schema.policies.base import Names, Policy, PolicyRow, names


class Selection:
    """Which rows of the units table a policy speaks about: a mask, one boolean per row (a
    Series costs 30 us to make), or their positions in order (``at``), each made from the
    other when first asked for (a total reads the positions alone). Read-only: a scope's
    selection is shared."""

    __slots__ = ("_at", "_mask", "size")

    def __init__(self, mask: np.ndarray | None = None, *, at: np.ndarray | None = None,
                 size: int = 0) -> None:
        if mask is None and at is None:
            raise ValueError("a selection needs a mask or positions")
        self._mask, self._at = mask, at
        self.size = len(mask) if mask is not None else size
        for made in (mask, at):
            if made is not None:
                made.flags.writeable = False

    @property
    def mask(self) -> np.ndarray:
        if self._mask is None:
            mask = np.zeros(self.size, dtype=bool)
            mask[self.at] = True
            mask.flags.writeable = False
            self._mask = mask
        return self._mask

    @property
    def at(self) -> np.ndarray:
        """The positions selected, in order."""
        if self._at is None:
            at = np.flatnonzero(self.mask)
            at.flags.writeable = False
            self._at = at
        return self._at

    def __and__(self, other: Selection) -> Selection:
        return Selection(self.mask & other.mask)

    def __or__(self, other: Selection) -> Selection:
        return Selection(self.mask | other.mask)

    def any(self) -> bool:
        return bool(len(self.at)) if self._at is not None else bool(self.mask.any())


@dataclass(frozen=True, eq=False)
class Terms:
    """A weighted total of units columns as arrays: their positions in the units table and
    coefficients, in the order a PuLP expression would hold them. Compared to a number or
    another total (``<=``, ``>=``, ``==``) it is a row of arrays (``TermsRow``), which the
    model keeps as arrays like its core's; met with anything else (a lead's column, on
    either side) it becomes PuLP's expression, as a total always was: PuLP's own operators
    take it as an iterable of that one expression (they raise on a type they do not know,
    so Python never asks ``__radd__``)."""

    at: np.ndarray
    coefficient: np.ndarray
    variables: Callable[[np.ndarray], np.ndarray]  # units columns by position, made on demand

    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """Each column once, where it first appears, its coefficients added up in order
        (as PuLP's expression adds up a repeated variable: ``affine``)."""
        if len(self.at) < 2 or (np.diff(self.at) > 0).all():  # one total: no repeats
            return self.at, 0.0 + self.coefficient
        distinct, first, inverse = np.unique(self.at, return_index=True,
                                             return_inverse=True)
        summed = np.zeros(len(distinct))
        np.add.at(summed, inverse, self.coefficient)
        appear = np.argsort(first, kind="stable")
        return distinct[appear], summed[appear]

    def expression(self) -> pulp.LpAffineExpression:
        """The total as PuLP's expression (over the model's units columns)."""
        at, coefficient = self.merged()
        columns = self.variables(at)
        return pulp.LpAffineExpression(zip(columns.tolist(), coefficient.tolist(),
                                           strict=True))

    def __iter__(self) -> Iterator[pulp.LpAffineExpression]:
        yield self.expression()

    def __add__(self, other: Any) -> Any:
        if isinstance(other, Terms):
            return Terms(np.concatenate([self.at, other.at]),
                         np.concatenate([self.coefficient, other.coefficient]), self.variables)
        if isinstance(other, int) and other == 0:
            return self
        return self.expression() + other

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, int) and other == 0:  # sum() starts from 0
            return self
        return other + self.expression()

    def __mul__(self, factor: float) -> Terms:
        return Terms(self.at, self.coefficient * factor, self.variables)

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> Terms:
        return Terms(self.at, self.coefficient / divisor, self.variables)

    def __neg__(self) -> Terms:
        return self * -1

    def __sub__(self, other: Any) -> Any:
        return self + (-other)

    def __le__(self, bound: Any) -> Any:
        return self.row(bound, pulp.LpConstraintLE)

    def __ge__(self, bound: Any) -> Any:
        return self.row(bound, pulp.LpConstraintGE)

    def __eq__(self, bound: Any) -> Any:  # type: ignore[override]
        return self.row(bound, pulp.LpConstraintEQ)

    __hash__ = None  # type: ignore[assignment]

    def row(self, bound: Any, sense: int) -> Any:
        """The row ``total <sense> bound``: of arrays for a number or another total, PuLP's
        otherwise."""
        if isinstance(bound, Terms):
            return (self - bound).row(0, sense)
        if not isinstance(bound, numbers.Real) or isinstance(bound, bool):
            return pulp.LpConstraint(self.expression() - bound, sense)
        at, coefficient = self.merged()
        return TermsRow.of(at, coefficient, sense, bound)


class TermsRow(NamedTuple):
    """A row as arrays: ``sum coefficient * column[at] <sense> bound``
    (``pulp.LpConstraintLE``, ``GE`` or ``EQ``), ``at`` the columns' positions as
    ``PlanningModel.every_column`` lists them (a policy's: units columns). A named tuple,
    made by ``of``: cheaper than a frozen dataclass."""

    at: np.ndarray
    coefficient: np.ndarray
    sense: int
    bound: float

    @classmethod
    def of(cls, at: Sequence[int] | np.ndarray, coefficient: Sequence[float] | np.ndarray,
           sense: int, bound: float) -> TermsRow:
        """The row ``PuLP's expression of these terms <sense> bound`` would make (each
        column once), its bound as PuLP computes it (``pulp_bound``)."""
        return tuple.__new__(cls, (np.asarray(at, dtype=np.int64),
                                   np.asarray(coefficient, dtype=float), sense,
                                   pulp_bound(bound)))

    @property
    def lower(self) -> float:
        return -np.inf if self.sense == pulp.LpConstraintLE else float(self.bound)

    @property
    def upper(self) -> float:
        return np.inf if self.sense == pulp.LpConstraintGE else float(self.bound)

    def constraint(self, variables: Callable[[np.ndarray], np.ndarray]) -> pulp.LpConstraint:
        """The row as PuLP's constraint over these columns (by position)."""
        expression = pulp.LpAffineExpression(zip(variables(self.at).tolist(),
                                                 self.coefficient.tolist(), strict=True))
        return pulp.LpConstraint(expression, self.sense, rhs=self.bound)


def pulp_bound(bound: float) -> float:
    """A row's bound as PuLP computes it from the row's constant (0.0 - bound, negated:
    signed zeros alike); a bound that is not a finite number is refused, as PuLP refuses
    it."""
    if not math.isfinite(bound):
        raise pulp.PulpError(f"a row's bound must be a finite number, not {bound}")
    return float(-(0.0 - bound))


def affine(pairs: Iterable[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """An expression that adds up repeated variables (PuLP keeps only the last of a pair)."""
    summed: dict[pulp.LpVariable, float] = {}
    for var, coefficient in pairs:
        summed[var] = summed.get(var, 0.0) + coefficient
    return pulp.LpAffineExpression(list(summed.items()))


@dataclass
class Context:
    """What a policy's ``rows`` may use: the units columns of the model being built, the
    mission's phases and requirements, the countries, their homes and the active links."""

    instance: Instance
    units: pd.DataFrame  # one row per units column: keys, delivers, unit_cost
    problem: pulp.LpProblem
    variables: Callable[[np.ndarray], np.ndarray]  # units columns by position, made on demand
    factorized: dict[str, tuple[np.ndarray, Any]]  # the key columns' codes (core.factorize)
    policy: Policy | None = None  # the policy whose rows are being built
    leads: list[tuple[str, str, str, str, Any]] = field(default_factory=list)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)  # see ``weights``
    selected: dict[tuple[Any, ...], Selection] = field(default_factory=dict)  # ``select``
    by_code: dict[str, tuple[np.ndarray, list[int]]] = field(
        default_factory=dict)  # ``positions``

    @cached_property
    def phases(self) -> list[str]:
        return self.instance.phases

    @cached_property
    def countries(self) -> list[str]:
        return list(self.instance.capabilities.countries["country"])

    @cached_property
    def homes(self) -> dict[str, str]:
        return self.instance.homes

    @cached_property
    def links(self) -> tuple[Any, ...]:
        return tuple(self.instance.links)

    @cached_property
    def required(self) -> dict[tuple[str, str, str], float]:
        """The amount of each requirement by task, region and phase."""
        return {(t, r, h): float(a) for t, r, h, a in self.instance.requirements[
            ["task", "region", "phase", "amount"]].itertuples(index=False)}

    def select(self, country: Names = None, task: Names = None, region: Names = None,
               phase: Names = None) -> Selection:
        """The units of ``country`` (every country when ``None``) within the scope given;
        a list names several. Made once for each scope (a share policy per country selects
        every country's units in the same scope each time); read-only, as it is shared."""
        scope = tuple(v if v is None or isinstance(v, str) else tuple(v)
                      for v in (country, task, region, phase))
        known = self.selected.get(scope)
        if known is None:
            known = self.selected[scope] = self.selection(*scope)
        return known

    def selection(self, *scope: str | tuple[str, ...] | None) -> Selection:
        """``select``'s selection. Of one key, the positions of the codes wanted
        (``positions``); of several, those of the scope without its last key (made once,
        and shared: a ten-year mission's policies differ by phase) narrowed by that key. A
        few microseconds, where a mask over the whole table per key took forty."""
        size = len(self.units)
        given = [k for k, value in enumerate(scope) if value is not None]
        if not given:
            return Selection(at=np.arange(size), size=size)
        last = given[-1]
        column = ("country", "task", "region", "phase")[last]
        number = self.codes[column][1]
        chosen = list(dict.fromkeys(number[n] for n in names(scope[last]) if n in number))
        if len(given) == 1:
            order, start = self.positions(column)
            parts = [order[start[c]:start[c + 1]] for c in chosen]  # each in table order
            at = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts or [order[:0]]))
            return Selection(at=at.copy(), size=size)
        at = self.select(*(None if k == last else value for k, value in enumerate(scope))).at
        codes = self.codes[column][0][at]
        if len(chosen) == 1:
            return Selection(at=at[codes == chosen[0]], size=size)
        # a table of the codes wanted, looked up by code; its last place, False, is where a
        # code of -1 (a value outside the tables) lands
        table = np.zeros(len(self.factorized[column][1]) + 1, dtype=bool)
        table[chosen] = True
        return Selection(at=at[table[codes]], size=size)

    def positions(self, column: str) -> tuple[np.ndarray, list[int]]:
        """The units table's positions grouped by their code in a key column (``grouped``;
        a position whose value lies outside the tables, code -1, in none), with where each
        code's start, made once."""
        if column not in self.by_code:
            codes, distinct = self.factorized[column]
            valid = np.flatnonzero(codes >= 0)
            order, start = grouped(codes[valid], len(distinct))
            self.by_code[column] = (valid[order], start.tolist())
        return self.by_code[column]

    @cached_property
    def codes(self) -> dict[str, tuple[np.ndarray, dict[str, int]]]:
        """Each key column of the units table as integer codes, with the code of each name:
        a selection compares integers (a multi-year mission selects hundreds of times, and
        ``isin`` on the text costs a millisecond each)."""
        out = {}
        for column in ("country", "pool", "task", "region", "phase"):
            codes, distinct = self.factorized[column]
            out[column] = (codes, {str(v): i for i, v in enumerate(distinct)})
        return out

    def nothing(self) -> Selection:
        return Selection(np.zeros(len(self.units), dtype=bool))

    def based_in(self, host: str) -> Selection:
        """The units of pools based on ``host``'s territory (``basing.csv``): a table of the
        (country, pool) codes based there, looked up by each unit's codes (a ten-year
        mission has some 12,000 units columns)."""
        country, country_at = self.codes["country"]
        pool, pool_at = self.codes["pool"]
        wanted = np.zeros((len(country_at) + 1, len(pool_at) + 1), dtype=bool)  # [-1]: none
        for c, p in self.basing.get(host, []):
            if c in country_at and p in pool_at:
                wanted[country_at[c], pool_at[p]] = True
        return Selection(wanted[country, pool])

    @cached_property
    def basing(self) -> dict[str, list[tuple[str, str]]]:
        """The (country, pool) pairs based on each host's territory (``basing.csv``), read
        once: a pandas filter per ``based_in`` costs half a millisecond."""
        based = self.instance.capabilities.basing
        hosts: dict[str, list[tuple[str, str]]] = {}
        for host, c, p in zip(*(based[k].tolist() for k in ("host", "country", "pool")),
                              strict=True):
            hosts.setdefault(str(host), []).append((str(c), str(p)))
        return hosts

    def needed(self) -> Selection:
        """The units in a (task, region) the mission requires in some phase."""
        pairs = pd.Series(list(zip(self.units["task"], self.units["region"], strict=True)),
                          index=self.units.index)
        return Selection(pairs.isin({(t, r) for t, r, _ in self.required}).to_numpy(dtype=bool))

    def total(self, chosen: Selection, weight: str | None = None, times: float = 1.0
              ) -> Terms:
        """The units selected, each weighted by a column of the units table (``delivers``,
        ``unit_cost``; 1 when ``None``), times a factor: arrays, not PuLP's objects, until
        something other than a number meets them (``Terms``)."""
        at = chosen.at
        weights = (self.weights(weight)[at] if weight else np.ones(len(at))) * times
        return Terms(at, weights, self.variables)

    def weights(self, column: str) -> np.ndarray:
        """A number column of the units table as an array, read once (a ten-year mission
        totals hundreds of times)."""
        if column not in self.numbers:
            self.numbers[column] = self.units[column].to_numpy(dtype=float)
        return self.numbers[column]

    def columns(self, at: Iterable[int]) -> np.ndarray:
        """The units columns at these positions of the units table (made on first use by
        the model, ``PlanningModel.unit_vars``)."""
        return self.variables(np.asarray(at, dtype=np.int64))

    def linear(self, pairs: Iterable[tuple[Any, float]]) -> pulp.LpAffineExpression:
        """A sum of columns times coefficients (repeated columns added up)."""
        return affine(pairs)

    def sum(self, columns: Iterable[Any]) -> pulp.LpAffineExpression:
        return pulp.lpSum(columns)

    @cached_property
    def lead_units(self) -> pd.DataFrame:
        """The units table with each pool's quantity and whether it comes in whole units,
        which lead-nation bounds read."""
        pools = self.instance.capabilities.pools
        quantity = dict(zip(zip(pools["country"], pools["pool"], strict=True),
                            pools["quantity"].astype(float), strict=True))
        whole = self.instance.integer_pools
        keys = list(zip(self.units["country"], self.units["pool"], strict=True))
        return self.units.assign(quantity=[quantity[k] for k in keys],
                                 integer=[k in whole for k in keys])

    def frame(self, chosen: Selection) -> pd.DataFrame:
        """The selected units as a table, with quantity and whole units (see
        ``lead_units``)."""
        return self.lead_units[chosen.mask]

    def lead(self, country: str, task: str, region: str) -> pulp.LpVariable:
        """A binary column: whether the country leads the task in the region under the
        policy whose rows are being built."""
        assert self.policy is not None
        var = self.problem.add_variable(LEAD.label(
            {"policy": self.policy.name, "country": country, "task": task, "region": region}),
            cat=pulp.LpBinary)
        self.leads.append((self.policy.name, country, task, region, var))
        return var

    @cached_property
    def open_cells(self) -> set[tuple[str, str, str]]:
        """(task, region, phase) where a policy in force may make delivering more than the
        requirement worth its cost (``rewards_overshoot``): lead-nation bounds leave these
        alone."""
        cells: set[tuple[str, str, str]] = set()
        units = self.units
        for policy in self.instance.policies:
            chosen = policy.rewards_overshoot(self)
            if chosen is not None:
                mask = chosen.mask
                cells |= set(zip(units["task"][mask], units["region"][mask],
                                 units["phase"][mask], strict=True))
        return cells

    def rows(self, policy: Policy) -> list[PolicyRow]:
        """The rows of one policy in force."""
        self.policy = policy
        try:
            return policy.rows(self)
        finally:
            self.policy = None
