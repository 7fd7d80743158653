"""What a requirement is worth: its value per task unit and the basis of that value.

A unit of a requirement left uncovered costs the plan its value per unit (the shortfall
penalty of the LP). One figure for every task prices an interceptor a year like a division,
so a mission states a basis for each value, in this order of precedence:

1. ``penalty`` on the requirement: a figure the mission gives (USD m per unit);
2. a priority tier (``tier`` on the requirement, else ``objective.task_tiers`` for its task):
   the value is the tier's factor times the cost per task unit of the dearest pool able to
   deliver the task in that region (``cost_per_unit`` plus the task's own cost, divided by
   what one unit delivers), among every country of the tables (whether or not it takes
   part: a requirement is worth as much to a smaller coalition), after the mission's
   overrides.
   Covering a unit with any capable pool then costs less than leaving it uncovered, and the
   factor says how much more than that the alliance would give up rather than go without.
   Where no pool can serve the region, the dearest provider of the task anywhere is used;
3. the mission's one ``objective.shortfall_penalty`` for a requirement with neither.

The values are fixed by the mission as applied, before any analysis takes an ally, pool or
link out: a coalition or an N-1 case prices a shortfall as the whole mission does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.schema.mission import Mission


@dataclass(frozen=True)
class Provider:
    """The dearest pool able to deliver a task in a region, and its cost per task unit."""

    country: str
    pool: str
    cost_per_task_unit: float  # USD m per unit of the task
    anywhere: bool  # True: no pool serves the region; the dearest for the task anywhere


def provider_costs(pools: pd.DataFrame, deliveries: pd.DataFrame,
                   pool_regions: pd.DataFrame) -> pd.DataFrame:
    """One row per (country, pool, task, region) a pool can deliver, with its cost per task
    unit: (cost_per_unit + task_cost) / delivers."""
    able = deliveries[deliveries["delivers"] > 0].merge(
        pool_regions, on=["country", "pool"]).merge(
        pools[["country", "pool", "cost_per_unit"]], on=["country", "pool"])
    able = able.assign(cost_per_task_unit=(able["cost_per_unit"] + able["task_cost"])
                       / able["delivers"])
    return able[["country", "pool", "task", "region", "cost_per_task_unit"]]


def dearest_providers(costs: pd.DataFrame) -> tuple[dict[tuple[str, str], Provider],
                                                    dict[str, Provider]]:
    """The dearest capable provider of each (task, region), and of each task anywhere; ties
    go to the first in table order, so the basis names the same pool on every run."""
    ordered = costs.sort_values("cost_per_task_unit", ascending=False, kind="stable")
    in_region = {
        (r.task, r.region): Provider(r.country, r.pool, float(r.cost_per_task_unit), False)
        for r in ordered.drop_duplicates(["task", "region"]).itertuples(index=False)}
    anywhere = {
        r.task: Provider(r.country, r.pool, float(r.cost_per_task_unit), True)
        for r in ordered.drop_duplicates(["task"]).itertuples(index=False)}
    return in_region, anywhere


def requirement_value(mission: Mission, task: str, region: str, penalty: float | None,
                      tier: str | None,
                      providers: tuple[dict[tuple[str, str], Provider], dict[str, Provider]]
                      ) -> tuple[float, str]:
    """A requirement's value per unit (USD m) and the sentence that states its basis."""
    objective = mission.objective
    if penalty is not None:
        return penalty, f"{penalty:g} per unit, set on the requirement in the mission"
    tier = tier or objective.task_tiers.get(task)
    if tier is None:
        default = objective.shortfall_penalty
        return default, (f"{default:g} per unit, the mission's one shortfall penalty for a "
                         "requirement with no value or tier")
    factor = objective.tiers[tier]
    in_region, anywhere = providers
    provider = in_region.get((task, region)) or anywhere.get(task)
    if provider is None:
        default = objective.shortfall_penalty
        return default, (f"{default:g} per unit: tier {tier}, but no pool of the allies can "
                         f"deliver {task}, so the mission's shortfall penalty")
    value = factor * provider.cost_per_task_unit
    where = " anywhere (none serves the region)" if provider.anywhere else ""
    return value, (f"tier {tier}: {factor:g} x {provider.cost_per_task_unit:.4g} per unit, "
                   f"the dearest capable provider{where} ({provider.country}/{provider.pool})")


def requirement_values(mission: Mission, pools: pd.DataFrame, deliveries: pd.DataFrame,
                       pool_regions: pd.DataFrame
                       ) -> dict[tuple[str, str], tuple[float, str]]:
    """Each (task, region) requirement's value per unit and basis (the same in every phase:
    a phase changes what is required, not what a unit of it is worth)."""
    providers = dearest_providers(provider_costs(pools, deliveries, pool_regions))
    return {(req.task, req.region): requirement_value(mission, req.task, req.region,
                                                      req.penalty, req.tier, providers)
            for req in mission.requirements}
