"""What a requirement is worth: its value per task unit and the basis of that value.

A unit of a requirement left uncovered costs the plan its value per unit (the shortfall
penalty of the LP). One figure for every task prices an interceptor a year like a division,
so a mission states a basis for each value, in this order of precedence:

1. ``penalty`` on the requirement: a figure the mission gives (USD m per unit);
2. a priority tier (``tier`` on the requirement, else ``objective.region_tiers`` for its
   task in its region, a regional priority on the same scale, else ``objective.task_tiers``
   for its task):
   the value is the tier's factor times the cost per task unit of the dearest pool able to
   deliver the task in that region (``cost_per_unit`` plus the task's own cost, divided by
   what one unit delivers), among every country of the tables (whether or not it takes
   part: a requirement is worth as much to a smaller coalition), after the mission's
   overrides.
   Covering a unit with any capable pool then costs less than leaving it uncovered, and the
   factor says how much more than that the alliance would give up rather than go without.
   Where no pool can serve the region, the dearest provider of the task anywhere is used.
   In a mission with a ``force`` section, where a unit can also be provided by buying one,
   each acquisition the mission offers is a way to provide the task too, and its cost per
   task unit adds a year's share of the price to the operating cost: the price over the
   years it is paid for (its service life when orders are credited for the service after
   the horizon, ``end_of_horizon: straight_line``; else the most years an order can serve
   within the horizon), divided by the readiness (a unit bought is employable that share
   of the time) and by what one unit delivers. The whole year's share is charged to a unit
   short in one phase, as a shortfall in one phase alone would need the unit for the year:
   so a unit short is worth more than buying what would cover it, and the plan buys when
   that is the cheaper way (the operating costs alone would leave capital out of the value
   and every shortfall cheaper than an order);
3. the mission's one ``objective.shortfall_penalty`` for a requirement with neither.

The values are fixed by the mission as applied, before any analysis takes an ally, pool or
link out: a coalition or an N-1 case prices a shortfall as the whole mission does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.schema.force import ForceDevelopment
from planner.schema.mission import Mission


@dataclass(frozen=True)
class Provider:
    """The dearest pool able to deliver a task in a region, and its cost per task unit."""

    country: str
    pool: str
    cost_per_task_unit: float  # USD m per unit of the task
    anywhere: bool  # True: no pool serves the region; the dearest for the task anywhere
    capital_per_task_unit: float = 0.0  # a new unit's year's share of its price, per task
    # unit (0: a pool of the tables, whose price is sunk)
    price: float = 0.0  # the new unit's price, USD m
    years_paid: int = 0  # the years the price is spread over
    readiness: float = 1.0
    delivers: float = 1.0  # task units a unit delivers

    @property
    def bought(self) -> bool:
        """Whether the way to provide the task is to buy a unit (an acquisition)."""
        return self.years_paid > 0

    def described(self) -> str:
        """The provider and, for an acquisition, how its price enters the value."""
        if not self.bought:
            return f"the dearest capable provider ({self.country}/{self.pool})"
        operating = self.cost_per_task_unit - self.capital_per_task_unit
        per = "" if self.delivers == 1 else f", {self.delivers:g} task units a unit"
        return (f"the dearest way to provide it, a new {self.country}/{self.pool}: operating "
                f"{operating:.4g} + a year's share of its price {self.capital_per_task_unit:.4g}"
                f" ({self.price:,g} over {self.years_paid} years, at readiness "
                f"{self.readiness:g}{per})")


def provider_costs(pools: pd.DataFrame, deliveries: pd.DataFrame,
                   pool_regions: pd.DataFrame) -> pd.DataFrame:
    """One row per (country, pool, task, region) a pool can deliver, with its cost per task
    unit: (cost_per_unit + task_cost) / delivers."""
    able = deliveries[deliveries["delivers"] > 0].merge(
        pool_regions, on=["country", "pool"]).merge(
        pools[["country", "pool", "cost_per_unit"]], on=["country", "pool"])
    able = able.assign(cost_per_task_unit=(able["cost_per_unit"] + able["task_cost"])
                       / able["delivers"])
    return able[COST_COLUMNS]


def acquisition_costs(force: ForceDevelopment | None, pools: pd.DataFrame,
                      costs: pd.DataFrame) -> pd.DataFrame:
    """One row per (country, pool, task, region) an acquisition the mission offers can
    deliver, with its cost per task unit: the pool's operating cost per task unit plus the
    year's share of a new unit's price (price / years paid for) / (readiness x delivers).
    Empty without a force section or acquisitions that can be ordered within the horizon."""
    columns = [*COST_COLUMNS, "capital_per_task_unit", "price", "years_paid", "readiness"]
    rows = []
    if force is not None:
        readiness = {(c, p): float(r) for c, p, r in zip(
            pools["country"], pools["pool"], pools["readiness"], strict=True)}
        for option in force.acquisitions:
            years = force.years_paid(option)
            ready = readiness.get((option.country, option.pool), 0.0)
            if years is None or ready <= 0:
                continue
            able = costs[(costs["country"] == option.country) & (costs["pool"] == option.pool)]
            for r in able.itertuples(index=False):
                capital = option.unit_cost / years / ready / r.delivers
                rows.append((r.country, r.pool, r.task, r.region,
                             r.cost_per_task_unit + capital, r.delivers, capital,
                             float(option.unit_cost), years, ready))
    return pd.DataFrame(rows, columns=columns)


COST_COLUMNS = ["country", "pool", "task", "region", "cost_per_task_unit", "delivers"]


def dearest_providers(costs: pd.DataFrame, bought: pd.DataFrame | None = None
                      ) -> tuple[dict[tuple[str, str], Provider], dict[str, Provider]]:
    """The dearest capable provider of each (task, region), and of each task anywhere,
    among the pools of the tables and (``bought``) the acquisitions a force mission offers;
    ties go to the first in table order, pools before acquisitions, so the basis names the
    same provider on every run."""
    frames = [costs.assign(capital_per_task_unit=0.0, price=0.0, years_paid=0,
                           readiness=1.0)]
    if bought is not None and len(bought):
        frames.append(bought)
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    ordered = table.sort_values("cost_per_task_unit", ascending=False, kind="stable")

    def provider(r: object, anywhere: bool) -> Provider:
        return Provider(r.country, r.pool, float(r.cost_per_task_unit), anywhere,
                        float(r.capital_per_task_unit), float(r.price), int(r.years_paid),
                        float(r.readiness), float(r.delivers))

    in_region = {(r.task, r.region): provider(r, False)
                 for r in ordered.drop_duplicates(["task", "region"]).itertuples(index=False)}
    anywhere = {r.task: provider(r, True)
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
    regional = None if tier else objective.region_tiers.get(region, {}).get(task)
    tier = tier or regional or objective.task_tiers.get(task)
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
    described = provider.described()
    if where:
        described = described.replace("provider (", f"provider{where} (", 1).replace(
            "provide it,", f"provide it{where},", 1)
    named = f"tier {tier} in {region} (region_tiers)" if regional else f"tier {tier}"
    return value, (f"{named}: {factor:g} x {provider.cost_per_task_unit:.4g} per unit, "
                   f"{described}")


def requirement_values(mission: Mission, pools: pd.DataFrame, deliveries: pd.DataFrame,
                       pool_regions: pd.DataFrame
                       ) -> dict[tuple[str, str], tuple[float, str]]:
    """Each (task, region) requirement's value per unit and basis (the same in every phase:
    a phase changes what is required, not what a unit of it is worth)."""
    costs = provider_costs(pools, deliveries, pool_regions)
    providers = dearest_providers(costs, acquisition_costs(mission.force, pools, costs))
    return {(req.task, req.region): requirement_value(mission, req.task, req.region,
                                                      req.penalty, req.tier, providers)
            for req in mission.requirements}
