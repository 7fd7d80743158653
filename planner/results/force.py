"""What a multi-year plan says: orders per country, pool, line and year; fleets per year;
each country's budget use against its pledge; the marginal value of one more USD m of budget,
one more delivery slot of a line and one more person, from the duals.

A marginal value is minus the dual of the row: how much the discounted objective (USD m)
would fall with one more unit of the row's bound. It is 0 where the row does not bind. A
budget floor's cost is its dual: how much the discounted objective would rise with one more
USD m of floor (what holding the country to the floor costs the alliance).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from planner.formulation.force import BUDGET, BUDGET_FLOOR, LINE, PERSONNEL
from planner.solving.solve import clean


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Order(Record):
    """Units of a pool one country ordered in one year, built on one line."""

    country: str  # the buyer, who pays
    pool: str
    line: str
    builder: str  # the country where the line stands
    year: int  # ordered (and paid)
    in_service: int
    units: float
    cost: float  # USD m, undiscounted
    credit: float = 0.0  # USD m, undiscounted: the value of the service left after last_year


class Fleet(Record):
    """A pool in an operating year: what is owned and what is fielded."""

    country: str
    pool: str
    year: int
    table: float  # the table's quantity (the start)
    retired: float  # known retirements up to the year
    delivered: float  # new units in service in the year
    owned: float
    fielded: float


class BudgetUse(Record):
    """A country's spending in a year against its pledge."""

    country: str
    year: int
    pledge: float
    acquisitions: float
    operations: float
    used: float
    marginal_value: float | None  # objective saved per extra USD m of pledge (discounted)
    floor: float | None = None  # the least it must spend (None: no floor)
    floor_cost: float | None = None  # objective added per extra USD m of floor (discounted)


class LineUse(Record):
    """A production line or yard in a year: deliveries against capacity."""

    line: str
    builder: str
    year: int
    capacity: float
    delivered: float
    marginal_value: float | None  # objective saved per extra delivery slot


class PersonnelUse(Record):
    country: str
    year: int
    limit: float
    used: float
    marginal_value: float | None  # objective saved per extra person


class YearCoverage(Record):
    """How far the requirements of an operating year are met."""

    year: int
    requirements: int
    met: int
    shortfall_penalty: float  # USD m, undiscounted, summed over the year's phases
    employment_cost: float


class ForceResults(Record):
    first_year: int
    last_year: int
    snapshots: list[int]
    discount_rate: float
    mission_phases: list[str]
    orders: list[Order]
    fleets: list[Fleet]
    budgets: list[BudgetUse]
    lines: list[LineUse]
    personnel: list[PersonnelUse]
    years: list[YearCoverage]
    acquisition_cost: float  # undiscounted, USD m
    discounted_acquisition_cost: float
    discounted_employment_cost: float = 0.0
    discounted_shortfall_penalty: float = 0.0
    end_of_horizon: str = "none"  # how orders count the service after last_year
    whole_orders: bool = False  # orders in whole units (a MIP)
    discounted_end_credit: float = 0.0  # the orders' credit for it, discounted


def value_of(duals: dict[str, float], name: str) -> float | None:
    dual = duals.get(name)
    return None if dual is None else clean(-dual)


def cost_of(duals: dict[str, float], name: str) -> float | None:
    dual = duals.get(name)
    return None if dual is None else clean(dual)


def floor_of(fm: Any, country: str, year: int) -> float | None:
    floor = fm.floors.get((country, year))
    return None if floor is None else clean(floor)


def force_results(instance: Any, model: Any, duals: dict[str, float],
                  allocations: pd.DataFrame, coverage: list[Any],
                  values: list[float]) -> ForceResults:
    """The force-development part of a plan, read from the solved model's columns:
    ``values`` are its orders', then its fielded units' (``Solution.force``)."""
    force = instance.mission.force
    fm = model.force
    ordered, fielded = values[:len(fm.acquire)], values[len(fm.acquire):]
    acquire = fm.acquire.assign(units=[clean(v or 0.0) for v in ordered])
    bought = acquire[acquire["units"] > 1e-9]
    orders = [Order(country=r.country, pool=r.pool, line=r.line, builder=r.builder,
                    year=int(r.year), in_service=int(r.in_service), units=r.units,
                    cost=clean(r.units * r.unit_cost),
                    credit=clean(r.units * r.unit_cost * r.credit))
              for r in bought.itertuples(index=False)]
    fleets = []
    for r, used in zip(fm.fielded.itertuples(index=False), fielded, strict=True):
        mine = bought[(bought["country"] == r.country) & (bought["pool"] == r.pool)
                      & (bought["in_service"] <= r.year) & (bought["until"] > r.year)]
        delivered = clean(float(mine["units"].sum()))
        fleets.append(Fleet(country=r.country, pool=r.pool, year=int(r.year), table=r.table,
                            retired=clean(r.table - r.owned_before), delivered=delivered,
                            owned=clean(r.owned_before + delivered),
                            fielded=clean(used or 0.0)))
    year_of = fm.snapshot_of_phase
    if len(allocations):
        running = allocations.assign(snapshot=allocations["phase"].map(year_of))
        operating = running.groupby(["country", "snapshot"])["cost"].sum().to_dict()
    else:
        operating = {}
    budgets = []
    for (country, year), pledge in fm.pledges.items():
        spent = float(bought.loc[(bought["country"] == country) & (bought["year"] == year),
                                 "units"].mul(bought["unit_cost"]).sum())
        run = float(operating.get((country, force.snapshot_of(year)), 0.0))
        budgets.append(BudgetUse(country=country, year=year, pledge=clean(pledge),
                                 acquisitions=clean(spent), operations=clean(run),
                                 used=clean(spent + run),
                                 marginal_value=value_of(duals, BUDGET.label(
                                     {"country": country, "year": year})),
                                 floor=floor_of(fm, country, year),
                                 floor_cost=cost_of(duals, BUDGET_FLOOR.label(
                                     {"country": country, "year": year}))))
    builders = {line.name: line.country for line in force.lines}
    lines = []
    for (line, year), capacity in fm.capacities.items():
        made = float(bought.loc[(bought["line"] == line) & (bought["in_service"] == year),
                                "units"].sum())
        lines.append(LineUse(line=line, builder=builders[line], year=year,
                             capacity=clean(capacity), delivered=clean(made),
                             marginal_value=value_of(duals, LINE.label(
                                 {"line": line, "year": year}))))
    crews = {(c.country, c.pool): c.per_unit for c in force.crews}
    personnel = []
    for (country, year), limit in fm.limits.items():
        used = sum(f.fielded * crews.get((f.country, f.pool), 0.0) for f in fleets
                   if f.country == country and f.year == year)
        personnel.append(PersonnelUse(country=country, year=year, limit=clean(limit),
                                      used=clean(used),
                                      marginal_value=value_of(duals, PERSONNEL.label(
                                          {"country": country, "year": year}))))
    years = []
    for year in force.snapshots:
        mine = [c for c in coverage if year_of.get(c.phase) == year]
        cost = float(allocations.loc[allocations["phase"].map(year_of) == year, "cost"].sum()
                     ) if len(allocations) else 0.0
        years.append(YearCoverage(
            year=year, requirements=len(mine), met=sum(c.shortfall <= 1e-6 for c in mine),
            shortfall_penalty=clean(sum(c.shortfall * c.penalty_per_unit for c in mine)),
            employment_cost=clean(cost)))
    weight = {year: force.weight(year) for year in force.snapshots}
    return ForceResults(
        first_year=force.first_year, last_year=force.last_year, snapshots=force.snapshots,
        discount_rate=force.discount_rate, mission_phases=list(force.mission_phases),
        orders=orders, fleets=fleets, budgets=budgets, lines=lines, personnel=personnel,
        years=years, acquisition_cost=clean(sum(o.cost for o in orders)),
        discounted_acquisition_cost=clean(sum(o.cost * force.discount(o.year)
                                              for o in orders)),
        end_of_horizon=force.end_of_horizon, whole_orders=force.whole_orders,
        discounted_end_credit=clean(sum(o.credit for o in orders)
                                    * force.discount(force.last_year + 1)),
        discounted_employment_cost=clean(sum(y.employment_cost * weight[y.year]
                                             for y in years)),
        discounted_shortfall_penalty=clean(sum(y.shortfall_penalty * weight[y.year]
                                               for y in years)))
