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

Expressions are built from grouped tables, one group per row, not by nested loops: the
units table is ordered once by group (a stable sort of the group numbers) and each row takes
a slice of it, so the cost is linear in the number of nonzeros.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import numpy as np
import pandas as pd
import pulp

from planner.formulation.bulk import no_cycle_collection
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
from planner.formulation.policy_rows import Context
from planner.formulation.stocks import StockFamilies, add_stock_families
from planner.scenario.instance import Instance

# Row, label, labels and TRANSLATE live in planner.formulation.families; importing them from
# here keeps working.
__all__ = ["TRANSLATE", "PlanningModel", "Row", "build_model", "label", "labels",
           "new_columns", "pool_sentence"]


@dataclass
class PlanningModel:
    """The LP with the tables that map its columns and rows back to the mission."""

    problem: pulp.LpProblem
    units: pd.DataFrame  # one row per units variable: keys, delivers, unit_cost, var
    shortfalls: pd.DataFrame  # one row per requirement: keys, amount, penalty, var
    rows: dict[str, Row] = field(default_factory=dict)
    constraints: dict[str, pulp.LpConstraint] = field(default_factory=dict)
    leads: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["policy", "country", "task", "region", "var"]))
    stocks: StockFamilies | None = None  # inventories, production, transfers (periods)
    force: Any = None  # planner.force_model.ForceModel of a multi-year mission

    @property
    def integer(self) -> bool:
        """Whether the model has integer or binary columns (a MIP)."""
        return (bool(len(self.leads)) or bool(self.force is not None and self.force.integer)
                or any(v.cat == pulp.LpInteger for v in self.units["var"]))

    @property
    def columns(self) -> list[pulp.LpVariable]:
        """Every column, in a fixed order: units, shortfalls, leads, then the stock families'
        and a multi-year model's orders and fielded units (so that both solver paths see them
        all, in name order, and land on the same optimum)."""
        stocks = self.stocks.columns if self.stocks is not None else []
        extra = [] if self.force is None else [*self.force.acquire["var"],
                                                 *self.force.fielded["var"]]
        return [*self.units["var"], *self.shortfalls["var"], *self.leads["var"], *stocks,
                *extra]

    def add(self, row: Row, constraint: pulp.LpConstraint) -> None:
        self.rows[row.name] = row
        self.constraints[row.name] = constraint
        self.problem.addConstraint(constraint, name=row.name)

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
    asked = [cell for p in instance.policies for cell in p.demand_cells(instance.phases)]
    keys = pd.concat([instance.requirements[["task", "region", "phase"]],
                      pd.DataFrame(asked, columns=["task", "region", "phase"])])
    return keys.drop_duplicates().reset_index(drop=True)


def unit_candidates(instance: Instance) -> pd.DataFrame:
    """Every (pool, task, region, phase) where a unit could usefully be employed, ordered by
    phase, region, task and country as the tables list them, then by pool name."""
    caps = instance.capabilities
    pools = caps.pools.assign(available=caps.pools["quantity"] * caps.pools["readiness"])
    growable = instance.growable_pools
    pools = pools[(pools["available"] > 0) | pd.Series(
        [(c, p) in growable for c, p in zip(pools["country"], pools["pool"], strict=True)],
        index=pools.index, dtype=bool)]
    candidates = (
        caps.deliveries.merge(caps.pool_regions, on=["country", "pool"])
        .merge(demand_keys(instance), on=["task", "region"])
        .merge(pools[["country", "pool", "cost_per_unit", "available"]],
               on=["country", "pool"])
    )
    candidates["unit_cost"] = candidates["cost_per_unit"] + candidates["task_cost"]
    weights = instance.weights
    if any(w != 1.0 for w in weights.values()):  # a phase split into periods
        candidates["unit_cost"] *= candidates["phase"].map(weights).astype(float)
    orders = [list(instance.phases), list(caps.regions["region"]), list(caps.tasks["task"]),
              list(caps.countries["country"])]
    keys = [pd.Categorical(candidates[column], categories=order).codes
            for column, order in zip(["phase", "region", "task", "country"], orders,
                                     strict=True)]
    keys.append(pd.factorize(candidates["pool"], sort=True)[0])
    candidates = candidates.take(np.lexsort(keys[::-1])).reset_index(drop=True)
    return candidates[["country", "pool", "task", "region", "phase", "delivers", "unit_cost",
                       "available"]]




def shared(values: np.ndarray) -> list[float]:
    """The numbers as Python floats, one object per distinct value: a million coefficients
    take a few thousand values, and each float object costs 24 bytes."""
    distinct, codes = np.unique(values, return_inverse=True)
    return np.array(distinct.tolist(), dtype=object)[codes].tolist()


@dataclass(frozen=True)
class Groups:
    """The rows of a table grouped by keys, groups numbered in order of first appearance:
    ``order[start[g]:start[g + 1]]`` are the rows of group g, in table order."""

    order: np.ndarray
    start: np.ndarray
    first: np.ndarray  # the first row of each group

    @classmethod
    def of(cls, frame: pd.DataFrame, keys: list[str]) -> Groups:
        number = frame.groupby(keys, sort=False).ngroup().to_numpy()
        order = np.argsort(number, kind="stable")
        start = np.zeros(int(number.max(initial=-1)) + 2, dtype=np.int64)
        np.cumsum(np.bincount(number, minlength=len(start) - 1), out=start[1:])
        return cls(order, start, order[start[:-1]])

    def slices(self) -> Iterable[tuple[int, int]]:
        return zip(self.start[:-1].tolist(), self.start[1:].tolist(), strict=True)


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
    pool_source = {(c, p): s for c, p, s in
                   caps.pools[["country", "pool", "source"]].itertuples(index=False)}
    problem = pulp.LpProblem(instance.mission.name, pulp.LpMinimize)

    units = unit_candidates(instance)
    whole = instance.integer_pools
    kinds: Iterable[str] = repeat(pulp.LpContinuous)
    if whole:
        kinds = [pulp.LpInteger if pair in whole else pulp.LpContinuous
                 for pair in zip(units["country"], units["pool"], strict=True)]
    columns = new_columns(UNITS.labels(units), kinds)
    units["var"] = pd.Series(columns, index=units.index, dtype=object)

    shortfalls = instance.requirements.copy()
    short = new_columns(SHORTFALL.labels(shortfalls), repeat(pulp.LpContinuous))
    shortfalls["var"] = pd.Series(short, index=shortfalls.index, dtype=object)

    problem.setObjective(pulp.LpAffineExpression(chain(  # no list of a million pairs first
        zip(columns, shared(units["unit_cost"].to_numpy(dtype=float)), strict=True),
        zip(short, shortfalls["penalty"].astype(float).tolist(), strict=True))))
    model = PlanningModel(problem, units, shortfalls)

    country, pool, phase = (units[k].to_numpy(dtype=object) for k in ("country", "pool",
                                                                       "phase"))
    available = units["available"].to_numpy(dtype=float)
    by_pool = Groups.of(units, ["country", "pool", "phase"])
    ordered = [columns[i] for i in by_pool.order.tolist()]
    for first, (begin, end) in zip(by_pool.first.tolist(), by_pool.slices(), strict=True):
        c, p, h, cap = country[first], pool[first], phase[first], float(available[first])
        model.add(
            POOL.row({"country": c, "pool": p, "phase": h},
                     pool_sentence(names[c], p, h, cap), pool_source[(c, p)]),
            pulp.LpAffineExpression(zip(ordered[begin:end], repeat(1.0))) <= cap,
        )

    by_need = Groups.of(units, ["task", "region", "phase"])
    ordered = [columns[i] for i in by_need.order.tolist()]
    delivers = shared(units["delivers"].to_numpy(dtype=float)[by_need.order])
    task, region = (units[k].to_numpy(dtype=object) for k in ("task", "region"))
    delivered = {(task[first], region[first], phase[first]): (begin, end) for first,
                 (begin, end) in zip(by_need.first.tolist(), by_need.slices(), strict=True)}
    for req, var in zip(shortfalls.itertuples(index=False), short, strict=True):
        begin, end = delivered.get((req.task, req.region, req.phase), (0, 0))
        expr = pulp.LpAffineExpression(zip(ordered[begin:end], delivers[begin:end],
                                           strict=True))
        expr[var] = 1.0
        model.add(
            COVER.row(
                {"task": req.task, "region": req.region, "phase": req.phase},
                f"The alliance must deliver {req.amount:g} of {req.task} in {req.region} in "
                f"{req.phase}, or pay {req.penalty:g} per unit short.",
                f"mission {instance.mission.name}" + (f": {req.note}" if req.note else "")),
            expr >= float(req.amount),
        )

    context = Context(instance, units, problem)
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

        add_force(model, instance)
    return model
