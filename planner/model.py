"""Build the linear program from an instance, with every row and column named by its domain.

Sets: countries c, pools p of c, tasks t, regions r, phases h.
Variables: ``units[c,p,t,r,h] >= 0``, units of pool p employed on task t in region r in
phase h (only where the pool can do t, can serve r, and the mission requires t in r in h;
integer for the pools a mission wants in whole units); ``shortfall[t,r,h] >= 0``, the part
of a requirement left uncovered; ``lead[c,t,r]`` in {0, 1} for lead-nation policies.
Rows:
- ``pool[c,p,h]``: sum over t, r of units <= quantity * readiness (the pool is shared by
  all its tasks and regions within a phase);
- ``cover[t,r,h]``: sum over c, p of delivers * units + shortfall >= amount;
- ``policy[name]`` / ``policy[name,h]``: the legal and political constraints that hold
  under the scenario flags, links that are inactive, and lead-nation choices
  ``policy[name,t,r]`` / ``policy[name,c,t,r]`` (see ``planner.policy``).
Objective: minimise sum (cost_per_unit + task_cost) * units + sum penalty * shortfall.

Expressions are built from grouped tables, one group per row, not by nested loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pulp

from planner.policy import lead_nation_rows, names, policy_rows
from planner.scenario import Instance


@dataclass(frozen=True)
class Row:
    """One named constraint, with the sentence that explains it to an analyst."""

    name: str  # the domain label, e.g. pool[JPN,aegis_ddg,conflict]
    kind: str  # pool | cover | policy
    sentence: str
    source: str


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

    @property
    def integer(self) -> bool:
        """Whether the model has integer or binary columns (a MIP)."""
        return bool(len(self.leads)) or any(v.cat == pulp.LpInteger for v in self.units["var"])

    @property
    def columns(self) -> list[pulp.LpVariable]:
        """Every column, in a fixed order: units, shortfalls, leads."""
        return [*self.units["var"], *self.shortfalls["var"], *self.leads["var"]]

    def add(self, row: Row, constraint: pulp.LpConstraint) -> None:
        self.rows[row.name] = row
        self.constraints[row.name] = constraint
        self.problem.addConstraint(constraint, name=row.name)


def label(kind: str, *keys: str) -> str:
    """The domain name of a row or column, e.g. ``cover[isr,east_china_sea,crisis]``."""
    return f"{kind}[{','.join(keys)}]"


def demand_keys(instance: Instance) -> pd.DataFrame:
    """(task, region, phase) where units may be employed: every requirement, and every
    region a policy says a country must hold (even where the mission requires nothing)."""
    retained = [(p.task, p.region, phase) for p in instance.policies
                if p.kind == "retain_at_home"
                for phase in names(p.phase) or instance.phases if phase in instance.phases]
    keys = pd.concat([instance.requirements[["task", "region", "phase"]],
                      pd.DataFrame(retained, columns=["task", "region", "phase"])])
    return keys.drop_duplicates().reset_index(drop=True)


def unit_candidates(instance: Instance) -> pd.DataFrame:
    """Every (pool, task, region, phase) where a unit could usefully be employed."""
    caps = instance.capabilities
    pools = caps.pools.assign(available=caps.pools["quantity"] * caps.pools["readiness"])
    pools = pools[pools["available"] > 0]
    candidates = (
        caps.deliveries.merge(caps.pool_regions, on=["country", "pool"])
        .merge(demand_keys(instance), on=["task", "region"])
        .merge(pools[["country", "pool", "cost_per_unit", "available"]],
               on=["country", "pool"])
    )
    candidates["unit_cost"] = candidates["cost_per_unit"] + candidates["task_cost"]
    order = {
        "phase": {p: i for i, p in enumerate(instance.phases)},
        "region": {r: i for i, r in enumerate(caps.regions["region"])},
        "task": {t: i for i, t in enumerate(caps.tasks["task"])},
        "country": {c: i for i, c in enumerate(caps.countries["country"])},
    }
    candidates = candidates.sort_values(
        ["phase", "region", "task", "country", "pool"],
        key=lambda s: s.map(order[s.name]) if s.name in order else s,
    ).reset_index(drop=True)
    return candidates[["country", "pool", "task", "region", "phase", "delivers", "unit_cost",
                       "available"]]


def build_model(instance: Instance) -> PlanningModel:
    """The LP for an instance: pure, no solving and no I/O."""
    caps = instance.capabilities
    names = dict(zip(caps.countries["country"], caps.countries["name"], strict=True))
    pool_source = {(c, p): s for c, p, s in
                   caps.pools[["country", "pool", "source"]].itertuples(index=False)}
    problem = pulp.LpProblem(instance.mission.name, pulp.LpMinimize)

    units = unit_candidates(instance)
    keys = ["country", "pool", "task", "region", "phase"]
    whole = instance.integer_pools
    units["var"] = [problem.add_variable(label("units", *k), lowBound=0, cat=pulp.LpInteger
                                         if (k[0], k[1]) in whole else pulp.LpContinuous)
                    for k in units[keys].itertuples(index=False)]

    shortfalls = instance.requirements.copy()
    shortfalls["var"] = [problem.add_variable(label("shortfall", t, r, h), lowBound=0)
                         for t, r, h in shortfalls[["task", "region", "phase"]].itertuples(
                             index=False)]

    problem.setObjective(pulp.LpAffineExpression(
        list(zip(units["var"], units["unit_cost"], strict=True))
        + list(zip(shortfalls["var"], shortfalls["penalty"], strict=True))
    ))
    model = PlanningModel(problem, units, shortfalls)

    for (country, pool, phase), group in units.groupby(["country", "pool", "phase"],
                                                         sort=False):
        available = float(group["available"].iloc[0])
        expr = pulp.LpAffineExpression([(v, 1.0) for v in group["var"]])
        model.add(
            Row(label("pool", country, pool, phase), "pool",
                f"{names[country]} can employ at most {available:g} units of {pool} in "
                f"{phase}, shared among its tasks and regions.",
                pool_source[(country, pool)]),
            expr <= available,
        )

    delivered = {key: list(zip(g["var"], g["delivers"], strict=True))
                 for key, g in units.groupby(["task", "region", "phase"], sort=False)}
    for req in shortfalls.itertuples(index=False):
        terms = [*delivered.get((req.task, req.region, req.phase), []), (req.var, 1.0)]
        model.add(
            Row(label("cover", req.task, req.region, req.phase), "cover",
                f"The alliance must deliver {req.amount:g} of {req.task} in {req.region} in "
                f"{req.phase}, or pay {req.penalty:g} per unit short.",
                f"mission {instance.mission.name}" + (f": {req.note}" if req.note else "")),
            pulp.LpAffineExpression(terms) >= float(req.amount),
        )

    homes = instance.homes
    countries = list(caps.countries["country"])
    required = set(zip(shortfalls["task"], shortfalls["region"], strict=True))
    leads = []
    for policy in instance.policies:
        for name, constraint in policy_rows(policy, units, instance.phases, homes):
            model.add(Row(name, "policy", policy.sentence, policy.source), constraint)
        if policy.kind == "lead_nation":
            rows, chosen = lead_nation_rows(
                policy, units, countries, list(instance.links), required,
                lambda name: problem.add_variable(name, cat=pulp.LpBinary))
            for name, constraint, sentence in rows:
                model.add(Row(name, "policy", f"{sentence} {policy.sentence}",
                              policy.source), constraint)
            leads += [(policy.name, *lead) for lead in chosen]
    if leads:
        model.leads = pd.DataFrame(leads, columns=["policy", "country", "task", "region",
                                                   "var"])
    return model
