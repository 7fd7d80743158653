"""Build the linear program from an instance, with every row and column named by its domain.

Sets: countries c, pools p of c, tasks t, regions r, phases h. Every column and row belongs
to a family of ``planner.formulation.families`` (its name, its keys), which names it.
Variables: ``units[c,p,t,r,h] >= 0``, units of pool p employed on task t in region r in
phase h (only where the pool can do t, can serve r, and the mission requires t in r in h;
integer for the pools a mission wants in whole units); ``shortfall[t,r,h] >= 0``, the part
of a requirement left uncovered; ``lead[name,c,t,r]`` in {0, 1} for lead-nation policies.
Rows:
- ``pool[c,p,h]``: sum over t, r of units <= quantity * readiness (the pool is shared by
  all its tasks and regions within a phase);
- ``cover[t,r,h]``: sum over c, p of delivers * units + shortfall >= amount;
- ``policy[name]`` / ``policy[name,h]``: the legal and political constraints that hold
  under the scenario flags, links that are inactive, and lead-nation choices
  ``policy[name,t,r]`` / ``policy[name,c,t,r,h]``: each kind of policy builds its own (see
  ``planner/schema/policies/`` and ``planner.formulation.policy_rows``).
Objective: minimise sum (cost_per_unit + task_cost) * units + sum penalty * shortfall.

The pool and cover rows are built from grouped tables, one group per row, not by nested
loops: the units table is ordered once by group (a stable sort of the group numbers) and
each row takes a slice of it, so the cost is linear in the number of nonzeros. They and the
units and shortfall columns are arrays (``planner.formulation.core``), and so are the policy
rows over units columns alone (``policy_rows.TermsRow``); the other families' rows are PuLP
expressions over the columns they name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pulp

from planner.formulation.bulk import grouped, lexical_order, no_cycle_collection, objects
from planner.formulation.core import Core, Groups, LazyColumns, RowBlock, build_core, factorize
from planner.formulation.families import (
    COVER,
    POLICY,
    POOL,
    SHORTFALL,
    TRANSLATE,
    UNITS,
    Row,
    key_columns,
    label,
    labels,
    new_columns,
)
from planner.formulation.policy_rows import Context, TermsRow
from planner.formulation.stocks import StockFamilies, add_stock_families
from planner.scenario.instance import Instance

# Row, label, labels and TRANSLATE live in planner.formulation.families; importing them from
# here keeps working.
__all__ = ["TRANSLATE", "PlanningModel", "Row", "build_model", "label", "labels",
           "new_columns", "pool_sentence"]


@dataclass
class PlanningModel:
    """The LP with the tables that map its columns and rows back to the mission.

    The units and shortfall columns and the pool and cover rows, nearly all of a large
    model, are held as arrays (``core``, ``planner.formulation.core``), and so are the
    policy rows over units columns alone (``array_rows``), and a multi-year model's orders
    and fielded units (the core's last columns); ``lp`` holds the rest as PuLP objects
    (lead-nation and stock rows, lead and stock columns), but for the rows that come last
    as arrays (``tail``: a multi-year model's fleet, crew, line and budget rows).
    ``complete`` makes the core's, the policies' and the tail's PuLP objects too, for what
    uses PuLP's model (``problem``, ``constraints``, the ``var`` column of ``units`` and
    ``shortfalls``)."""

    lp: pulp.LpProblem
    units: pd.DataFrame  # one row per units column: keys, delivers, unit_cost (+ var)
    shortfalls: pd.DataFrame  # one row per requirement: keys, amount, penalty (+ var)
    core: Core
    core_columns: LazyColumns  # the core's PuLP variables, made as they are asked for
    rows: dict[str, Row] = field(default_factory=dict)
    pulp_rows: dict[str, pulp.LpConstraint] = field(default_factory=dict)
    # rows as arrays (``policy_rows.TermsRow``: a policy's over units columns alone) until
    # the model is made complete;
    # ``placed`` lists them and PuLP's rows in the order added
    array_rows: dict[str, TermsRow] = field(default_factory=dict)
    placed: list[str] = field(default_factory=list)
    leads: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["policy", "country", "task", "region", "var"]))
    stocks: StockFamilies | None = None  # inventories, production, transfers (periods)
    force: Any = None  # planner.force_model.ForceModel of a multi-year mission
    completed: bool = False  # whether the core's rows are PuLP objects too
    # the units table's key columns as codes and distinct values (core.factorize), from
    # which the solver's column order is found without sorting the names
    unit_keys: dict[str, tuple[np.ndarray, Any]] | None = None
    # the same of the shortfalls table (the requirements')
    shortfall_keys: dict[str, tuple[np.ndarray, Any]] | None = None
    # rows as arrays after every PuLP row (a multi-year model's fleet, crew, line and budget
    # rows: add_rows_last)
    tail: RowBlock | None = None

    @property
    def integer(self) -> bool:
        """Whether the model has integer or binary columns (a MIP)."""
        return (bool(len(self.leads)) or bool(self.force is not None and self.force.integer)
                or bool(self.core.integer.any()))

    @property
    def problem(self) -> pulp.LpProblem:
        """The whole model as a PuLP problem (made complete on first use)."""
        self.complete()
        return self.lp

    @property
    def constraints(self) -> dict[str, pulp.LpConstraint]:
        """Every row as a PuLP constraint, in model order (made complete on first use)."""
        self.complete()
        return self.pulp_rows

    @property
    def extra_columns(self) -> list[pulp.LpVariable]:
        """The columns beyond the core, in model order: leads, then the stock families'."""
        stocks = self.stocks.columns if self.stocks is not None else []
        return [*self.leads["var"], *stocks]

    @property
    def columns(self) -> list[pulp.LpVariable]:
        """Every column as a PuLP variable, in a fixed order: the core's (units, shortfalls,
        a multi-year model's orders and fielded units), then leads and the stock families'
        (so that both solver paths see them all, in name order, and land on the same
        optimum)."""
        self.complete()
        return self.every_column().tolist()

    def add_core_columns(self, names: list[str], cost: np.ndarray, integer: np.ndarray
                         ) -> int:
        """Columns after the core's own (``Core.with_columns``: a multi-year model's orders
        and fielded units, arrays like the units columns, PuLP variables only when asked
        for), and the position of the first. Those beyond the core move up, so no row may
        hold them by position yet (none does before the force family's rows)."""
        if self.tail is not None or (self.core.index >= self.core.size).any() or any(
                (r.at >= self.core.size).any() for r in self.array_rows.values()):
            raise ValueError("columns join the core before any row holds a column beyond it")
        first = self.core.size
        self.core = self.core.with_columns(names, cost, integer)
        self.core_columns = self.core_columns.extended(self.core.names, self.core.integer)
        if self.completed:  # PuLP's objective holds every priced column of a complete model
            objective = self.objective_beyond_core()
            added = self.core_columns.take(np.arange(first, self.core.size))
            for var, price in zip(added.tolist(), np.asarray(cost, dtype=float).tolist(),
                                  strict=True):
                if price:
                    objective[var] = price
        return first

    def unit_vars(self, at: np.ndarray | None = None) -> np.ndarray:
        """The units columns at these positions of the units table (all when ``None``) as
        PuLP variables, made on first use."""
        return self.core_columns.take(np.arange(len(self.units)) if at is None else at)

    def right_hand_sides(self) -> dict[str, float]:
        """Each row's bound (its right-hand side), by name, without making PuLP objects."""
        if self.completed:  # PuLP's rows are the model (an analysis may have changed some)
            return {name: -c.constant for name, c in self.pulp_rows.items()}
        kept, made = self.array_rows, self.pulp_rows
        return {**self.core.right_hand_sides(),  # in model order, as the solver sees them
                **{name: float(kept[name].bound) if name in kept else -made[name].constant
                   for name in self.placed},
                **(self.tail or RowBlock.empty()).right_hand_sides()}

    def add(self, row: Row, constraint: pulp.LpConstraint | TermsRow) -> None:
        """A row after those added before: a row given as arrays (``TermsRow``) stays arrays
        until the model is made complete."""
        if self.tail is not None:  # the rows given as arrays come last: PuLP's from now on
            self.complete()
        if row.name in self.pulp_rows or row.name in self.array_rows:  # as PuLP refuses it
            raise pulp.PulpError(f"overlapping constraint names: {row.name}")
        self.rows[row.name] = row
        self.placed.append(row.name)
        if isinstance(constraint, TermsRow):
            if not self.completed:
                self.array_rows[row.name] = constraint
                return
            constraint = constraint.constraint(self.columns_at)
        self.pulp_rows[row.name] = constraint
        self.lp.addConstraint(constraint, name=row.name)

    def constraint(self, name: str) -> pulp.LpConstraint:
        """A row beyond the core as PuLP's constraint, without making the model complete
        (a row kept as arrays is made over the columns it names)."""
        kept = self.array_rows.get(name)
        return self.pulp_rows[name] if kept is None else kept.constraint(self.columns_at)

    def columns_at(self, at: np.ndarray) -> np.ndarray:
        """The columns at these positions (as ``every_column`` lists them) as PuLP
        variables, making only the core's asked for."""
        at = np.asarray(at, dtype=np.int64)
        core = at < self.core.size
        out = np.empty(len(at), dtype=object)
        out[core] = self.core_columns.take(at[core])
        out[~core] = objects(self.extra_columns)[at[~core] - self.core.size]
        return out

    def middle(self) -> RowBlock:
        """The rows kept as arrays (``array_rows``), as a block over the model's columns."""
        kept = list(self.array_rows.values())
        return RowBlock.of(list(self.array_rows), [r.lower for r in kept],
                           [r.upper for r in kept], [(r.at, r.coefficient) for r in kept])

    def every_column(self) -> np.ndarray:
        """Every column as a PuLP variable, by position (the core's, made now, then the
        others): what rows over positions read as PuLP expressions."""
        return np.concatenate([self.core_columns.take(), objects(self.extra_columns)])

    def objective_beyond_core(self) -> pulp.LpAffineExpression:
        """PuLP's objective, for the costs of columns beyond the core (the whole objective
        once the model is complete); made empty where nothing has priced one yet."""
        if self.lp.objective is None:
            self.lp.setObjective(pulp.LpAffineExpression())
        return self.lp.objective

    def scale_core_costs(self, factor: np.ndarray) -> None:
        """Each core column's cost times its factor (one for each units column, then
        shortfall; the core's columns after those keep theirs), with what the rows beyond
        the core added to it (a multi-year model's discounting)."""
        factor = np.concatenate([factor, np.ones(self.core.size - len(factor))])
        at, made = ((np.arange(self.core.size), self.core_columns.take()) if self.completed
                    else self.core_columns.known())
        objective = self.lp.objective
        if objective is not None:
            for var, by in zip(made.tolist(), factor[at].tolist(), strict=True):
                cost = objective.get(var)
                if cost is not None:
                    objective[var] = cost * by
        self.core = dataclasses.replace(self.core, cost=self.core.cost * factor)

    def add_to_core_rows(self, rows: np.ndarray, columns: np.ndarray, values: np.ndarray,
                         upper: float) -> None:
        """One more nonzero in each of these core rows (positions among the core's rows),
        over any column (positions as ``every_column``: a multi-year model's fielded units,
        the core's own), each row's bound then ``upper``."""
        if self.completed:
            listed = self.every_column()
            for at, j, value in zip(rows.tolist(), columns.tolist(), values.tolist(),
                                    strict=True):
                constraint = self.pulp_rows[self.core.rows[at]]
                constraint.constant = -upper
                constraint.expr.constant = 0.0
                constraint.expr[listed[j]] = value
        self.core = self.core.with_entries(np.asarray(rows, dtype=np.int64),
                                           columns, values, upper)

    def add_rows_last(self, rows: list[Row], block: RowBlock) -> None:
        """Rows as arrays over any columns (``RowBlock``), after every other row; as PuLP
        expressions at once where the model is complete. A name given twice, or already a
        row's, is refused, as ``add`` refuses it."""
        names = [row.name for row in rows]
        taken = [n for n in names if n in self.rows]
        if taken or len(set(names)) < len(names):
            twice = taken or [n for n in names if names.count(n) > 1]
            raise pulp.PulpError(f"overlapping constraint names: {twice[0]}")
        if self.completed:
            for row, constraint in zip(rows, block.expressions(self.every_column()),
                                       strict=True):
                self.add(row, constraint)
            return
        if self.tail is not None:
            raise ValueError("a model has one block of rows given as arrays")
        self.rows.update((row.name, row) for row in rows)
        self.tail = block

    def complete(self) -> None:
        """Make the core's columns and rows PuLP objects, placed first as the model lists
        them, and its costs part of PuLP's objective: the model as one PuLP problem."""
        if self.completed:
            return
        self.completed = True
        with no_cycle_collection():
            listed = self.every_column()  # the core's, then the others
            every = listed[:self.core.size]
            n_units, n_short = len(self.units), len(self.shortfalls)
            self.units["var"] = pd.Series(every[:n_units], index=self.units.index,
                                          dtype=object)
            self.shortfalls["var"] = pd.Series(every[n_units:n_units + n_short],
                                               index=self.shortfalls.index, dtype=object)
            # the units' and shortfalls' costs, and the priced columns after them (a
            # multi-year model's orders; its fielded units cost nothing)
            priced = np.ones(self.core.size, dtype=bool)
            priced[n_units + n_short:] = self.core.cost[n_units + n_short:] != 0
            objective = pulp.LpAffineExpression(
                zip(every[priced].tolist(), shared(self.core.cost[priced]), strict=True))
            if self.lp.objective is not None:  # rows beyond the core may price columns
                for var, cost in self.lp.objective.items():
                    objective[var] = objective.get(var, 0.0) + cost
                objective.constant = self.lp.objective.constant
            self.lp.setObjective(objective)
            kept = self.array_rows
            beyond = {name: self.pulp_rows[name] if name in self.pulp_rows
                      else kept[name].constraint(listed.__getitem__) for name in self.placed}
            self.array_rows = {}
            self.lp._constraints.clear()  # the core's rows go first, as the model lists them
            self.pulp_rows = {}
            last = ([] if self.tail is None else
                    list(zip(self.tail.rows, self.tail.expressions(listed), strict=True)))
            self.tail = None  # PuLP's rows from now on, the tail's last
            for name, constraint in [*zip(self.core.rows, self.core.expressions(listed),
                                          strict=True), *beyond.items(), *last]:
                self.pulp_rows[name] = constraint
                self.lp.addConstraint(constraint, name=name)

    def table(self, *families: str) -> pd.DataFrame:
        """The rows of these families (every row without one), one line each: ``name``,
        ``family``, ``policy`` and the families' key columns (empty where a row has no such
        key), in model order. Joining it on keys finds a row; nothing takes a name apart."""
        wanted = set(families)
        rows = [row for row in self.rows.values() if not wanted or row.family in wanted]
        keys = key_columns(wanted or {row.family for row in rows})
        keys += sorted({k for row in rows for k in row.keys} - set(keys))  # undeclared
        keys = [k for k in keys if k != "policy"]  # the policy column holds it
        return pd.DataFrame({
            "name": [row.name for row in rows],
            "family": [row.family for row in rows],
            "policy": [row.policy for row in rows],
            **{k: [row.keys.get(k, "") for row in rows] for k in keys},
        }, columns=["name", "family", "policy", *keys])


def demand_keys(instance: Instance) -> pd.DataFrame:
    """(task, region, phase) where units may be employed: every requirement, and every cell
    a policy asks for even where the mission requires nothing (``demand_cells``: a region a
    country must hold)."""
    columns = ["task", "region", "phase"]
    required = instance.requirements
    cells = dict.fromkeys(zip(*(required[k].tolist() for k in columns), strict=True))
    distinct = len(cells)
    cells.update(dict.fromkeys(  # after the requirements, those not among them, in order
        cell for p in instance.policies for cell in p.demand_cells(instance.phases)))
    if distinct == len(required) == len(cells):  # the requirements' keys, each once: their table
        return required[columns].reset_index(drop=True)
    listed = list(zip(*cells, strict=True)) or [(), (), ()]
    return pd.DataFrame({k: pd.array(list(v), dtype=required[k].dtype)
                         for k, v in zip(columns, listed, strict=True)})


def coded(order: list[str], *columns: pd.Series) -> tuple[list[np.ndarray], list[str]]:
    """Each value's place in ``order`` (a table's list of its keys), column by column, with
    values outside it (which validation keeps out) placed after it in order of first
    appearance; and the order so extended."""
    texts = [column.tolist() for column in columns]
    place = {v: i for i, v in enumerate(order)}
    extra = dict.fromkeys(v for text in texts for v in text if v not in place)
    if extra:
        order = [*order, *extra]
        place = {v: i for i, v in enumerate(order)}
    return [np.asarray([place[v] for v in text], dtype=np.int64) for text in texts], order


def pairs(left: np.ndarray, right: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """An inner join on integer keys in ``[0, size)`` (-1: no key): every pair of a left
    and a right row with the same key, as their positions, in the left's order."""
    right_at = np.flatnonzero(right >= 0)
    order, start = grouped(right[right_at], size)
    right_at, count = right_at[order], np.diff(start)
    left_at = np.flatnonzero(left >= 0)
    many = count[left[left_at]]
    left_rows = np.repeat(left_at, many)
    within = np.arange(len(left_rows)) - np.repeat(np.cumsum(many) - many, many)
    return left_rows, right_at[np.repeat(start[left[left_at]], many) + within]


def unit_candidates(instance: Instance) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray,
                                                                           Any]]]:
    """Every (pool, task, region, phase) where a unit could usefully be employed, ordered by
    phase, region, task and country as the tables list them, then by pool name; with its
    key columns' codes and distinct values (as ``core.factorize`` gives them: the codes
    that order the table serve the names, the groups and the policies too).

    The deliveries, the regions each pool serves, the demand and the pools are joined on
    integer codes, not by pandas' merges (a medium theatre's 100,000 candidates: 18-22 ms
    against 39-41)."""
    caps = instance.capabilities
    pools, deliveries, served = caps.pools, caps.deliveries, caps.pool_regions
    demand = demand_keys(instance)
    available = (pools["quantity"] * pools["readiness"]).to_numpy(dtype=float)
    growable = instance.growable_pools
    place = {key: i for i, key in enumerate(zip(pools["country"].tolist(),
                                                 pools["pool"].tolist(), strict=True))
             if available[i] > 0 or key in growable}

    def pool_of(table: pd.DataFrame) -> np.ndarray:
        """Each row's pool in the pools table (-1: none, or nothing available to grow)."""
        return np.asarray([place.get(k, -1) for k in zip(
            table["country"].tolist(), table["pool"].tolist(), strict=True)], dtype=np.int64)

    (task, demand_task), tasks = coded(list(caps.tasks["task"]), deliveries["task"],
                                       demand["task"])
    (region, demand_region), regions = coded(list(caps.regions["region"]), served["region"],
                                             demand["region"])
    (phase,), phases = coded(list(instance.phases), demand["phase"])
    (country,), countries = coded(list(caps.countries["country"]), deliveries["country"])
    names, pool = np.unique(np.asarray(deliveries["pool"].tolist(), dtype=object),
                            return_inverse=True)
    pool_at = pool_of(deliveries)
    d, r = pairs(pool_at, pool_of(served), len(pools))  # a pool's tasks x its regions
    joined, k = pairs(task[d] * len(regions) + region[r],  # x the demand there
                      demand_task * len(regions) + demand_region, len(tasks) * len(regions))
    d, r = d[joined], r[joined]
    employed = np.bincount(pool[d], minlength=len(names)) > 0  # the pools' names employed,
    used = np.flatnonzero(employed)  # sorted (as factorize's), and each one's place among them
    rank = np.cumsum(employed) - 1
    keys = {"country": (country[d], countries), "pool": (rank[pool[d]], names[used]),
            "task": (task[d], tasks), "region": (region[r], regions), "phase": (phase[k], phases)}
    ordered = lexical_order([(keys[k][0], len(keys[k][1]))
                             for k in ("pool", "country", "task", "region", "phase")])
    d, r, k = d[ordered], r[ordered], k[ordered]
    unit_cost = (pools["cost_per_unit"].to_numpy(dtype=float)[pool_at[d]]
                 + deliveries["task_cost"].to_numpy(dtype=float)[d])
    weights = instance.weights
    if any(w != 1.0 for w in weights.values()):  # a phase split into periods
        unit_cost *= np.asarray([weights.get(h, np.nan) for h in phases])[phase[k]]
    candidates = pd.DataFrame({
        "country": deliveries["country"].array.take(d),
        "pool": deliveries["pool"].array.take(d),
        "task": deliveries["task"].array.take(d),
        "region": served["region"].array.take(r),
        "phase": demand["phase"].array.take(k),
        "delivers": deliveries["delivers"].to_numpy(dtype=float)[d],
        "unit_cost": unit_cost,
        "available": available[pool_at[d]],
    })
    return candidates, {key: (compact(codes[ordered], len(distinct)),
                              np.array(distinct, dtype=object))
                        for key, (codes, distinct) in keys.items()}


def compact(codes: np.ndarray, distinct: int) -> np.ndarray:
    """Codes in the narrowest integer type that holds them: the model keeps them (a large
    theatre's five key columns: 7.5 MB as int16, 30 MB as int64)."""
    return codes.astype(np.int16 if distinct < np.iinfo(np.int16).max else np.int32)


def shared(values: np.ndarray) -> list[float]:
    """The numbers as Python floats, one object per distinct value: a million coefficients
    take a few thousand values, and each float object costs 24 bytes."""
    distinct, codes = np.unique(values, return_inverse=True)
    return np.array(distinct.tolist(), dtype=object)[codes].tolist()


def written(numbers: list[float]) -> list[str]:
    """Each number as ``f"{x:g}"`` writes it, each distinct one written once (a theatre's
    amounts and penalties repeat: thousands of rows, a few hundred values). Zeros are
    written each time: 0.0 and -0.0 are equal keys but read apart."""
    once = {x: f"{x:g}" for x in set(numbers) if x}
    return [once.get(x) or f"{x:g}" for x in numbers]


def pool_sentence(country_name: str, pool: str, phase: str, available: float) -> str:
    """What a pool row says; a re-solve that changes the pool's size says it again."""
    return (f"{country_name} can employ at most {available:g} units of {pool} in {phase}, "
            "shared among its tasks and regions.")


def build_model(instance: Instance) -> PlanningModel:
    """The LP for an instance: pure, no solving and no I/O."""
    with no_cycle_collection():
        return build(instance)


def build(instance: Instance) -> PlanningModel:
    caps = instance.capabilities
    names = dict(zip(caps.countries["country"], caps.countries["name"], strict=True))
    pool_source = dict(zip(zip(caps.pools["country"].tolist(), caps.pools["pool"].tolist(),
                               strict=True), caps.pools["source"].tolist(), strict=True))
    lp = pulp.LpProblem(instance.mission.name, pulp.LpMinimize)

    units, factorized = unit_candidates(instance)
    whole = instance.integer_pools
    integer = (np.array([pair in whole for pair in zip(units["country"], units["pool"],
                                                        strict=True)], dtype=bool)
               if whole else np.zeros(len(units), dtype=bool))
    unit_names = UNITS.lazy_labels(units, factorized=factorized)
    shortfalls = instance.requirements.copy()
    short_keys = factorize(shortfalls, list(SHORTFALL.keys))
    short_names = SHORTFALL.lazy_labels(shortfalls, factorized=short_keys)

    by_pool = Groups.of(factorized, ["country", "pool", "phase"])
    first = by_pool.first
    country, pool, phase = (units[k].to_numpy(dtype=object)[first].tolist()
                            for k in ("country", "pool", "phase"))
    available = units["available"].to_numpy(dtype=float)[first].tolist()
    if instance.mission.force is None:
        said = [pool_sentence(names[c], p, h, cap)
                for c, p, h, cap in zip(country, pool, phase, available, strict=True)]
    else:  # its pool rows bound the units fielded in each year (add_force)
        from planner.formulation.force import pool_sentences

        said = pool_sentences(instance, names, country, pool, phase)
    pool_rows = POOL.rows({"country": country, "pool": pool, "phase": phase}, said,
                          [pool_source[(c, p)] for c, p in zip(country, pool, strict=True)])
    task, region, when = (shortfalls[k].tolist() for k in ("task", "region", "phase"))
    cited = f"mission {instance.mission.name}"
    cover_rows = COVER.rows(
        {"task": task, "region": region, "phase": when},
        [f"The alliance must deliver {amount} of {t} in {r} in {h}, or pay {penalty} "
         "per unit short." for t, r, h, amount, penalty in zip(
             task, region, when, written(shortfalls["amount"].tolist()),
             written(shortfalls["penalty"].tolist()), strict=True)],
        [cited + (f": {note}" if note else "") for note in shortfalls["note"].tolist()])
    rows: dict[str, Row] = {row.name: row for row in [*pool_rows, *cover_rows]}
    core = build_core(units, shortfalls, unit_names, short_names, integer, by_pool,
                      Groups.of(factorized, ["task", "region", "phase"]), list(rows))
    model = PlanningModel(lp, units, shortfalls, core, LazyColumns(core.names, core.integer),
                          rows, unit_keys=factorized, shortfall_keys=short_keys)

    context = Context(instance, units, lp, model.unit_vars, factorized)
    for policy in instance.policies:
        for row in context.rows(policy):
            model.add(POLICY.row(row.keys, row.sentence, policy.source, policy.name),
                      row.constraint)
    leads = context.leads
    if leads:
        model.leads = pd.DataFrame(leads, columns=["policy", "country", "task", "region",
                                                   "var"])
    mission = instance.mission
    if mission.stocks:
        present = set(caps.countries["country"])
        model.stocks = add_stock_families(
            model, list(instance.spans), [s for s in mission.stocks if s.country in present],
            [u for u in instance.uses if u.country in present], instance.routes, names)
    if instance.mission.force is not None:
        from planner.formulation.force import add_force

        add_force(model, instance, first)
    return model
