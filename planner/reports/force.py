"""Terminal tables of a multi-year (force-development) plan: what each ally orders, its
fleets year by year, its budget use against its pledge with the marginal value of one more
USD m, the lines' deliveries, personnel, and how far each year's requirements are met."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from planner.reports.tables import titled
from planner.results.force import ForceResults
from planner.results.plan import Plan

# The cells say '-' for nothing: a blank would read as a missing number.
NOTHING = "-"


def figure(value: float, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    return NOTHING if text.strip("-0.,") == "" else text


def objective_sentence(plan: Plan, force: ForceResults) -> str:
    """What the objective of a multi-year plan adds up, with its basis."""
    return (f"{figure(plan.objective or 0.0)} USD m, discounted at "
            f"{100 * force.discount_rate:g}% a year to {force.first_year}: acquisitions "
            f"{figure(force.discounted_acquisition_cost)}"
            + (f" - credit for service after {force.last_year} "
               f"{figure(force.discounted_end_credit)}"
               if force.discounted_end_credit else "")
            + f" + employment {figure(force.discounted_employment_cost)} + shortfall "
            f"penalty {figure(force.discounted_shortfall_penalty)} (each operating year "
            "counts for itself and the years until the next; "
            + end_sentence(force) + ")")


def end_sentence(force: ForceResults) -> str:
    """How the orders count the service they give after the horizon: stated with the
    objective and the orders, which it shapes."""
    if force.end_of_horizon == "none":
        return f"an order pays its full price, whatever service it gives after {force.last_year}"
    return (f"an order with a service life is credited the straight-line share of its price "
            f"for the years it serves after {force.last_year}, discounted from "
            f"{force.last_year + 1}")


def year_columns(table: object, years: list[int]) -> None:
    for year in years:
        table.add_column(str(year), justify="right")  # type: ignore[attr-defined]


def orders_table(force: ForceResults) -> Table:
    years = list(range(force.first_year, force.last_year + 1))
    table = titled("Orders: units ordered per year, paid by the buyer in the year of the "
                   "order, in service after the lead time "
                   + ("(whole units: whole_orders)" if force.whole_orders else
                      "(an LP: a fraction is a share of a unit, read it as a rate)"))
    for name in ("Buyer", "Pool", "Built by"):
        table.add_column(name, no_wrap=True)
    year_columns(table, years)
    table.add_column("USD m", justify="right")
    grouped: dict[tuple[str, str, str], dict[int, float]] = defaultdict(dict)
    cost: dict[tuple[str, str, str], float] = defaultdict(float)
    for o in force.orders:
        key = (o.country, o.pool, f"{o.line} ({o.builder})")
        grouped[key][o.year] = grouped[key].get(o.year, 0.0) + o.units
        cost[key] += o.cost
    for key, by_year in grouped.items():
        table.add_row(*key, *(figure(by_year.get(y, 0.0), 2) for y in years),
                      figure(cost[key]))
    table.caption = f"USD m: the price paid; {end_sentence(force)}."
    table.caption_justify = "left"
    return table


def fleets_table(force: ForceResults) -> Table:
    changed = {(f.country, f.pool) for f in force.fleets
               if f.retired or f.delivered or figure(f.fielded, 2) != figure(f.owned, 2)}
    table = titled("Forces over time: units owned in each operating year (fielded, where "
                   "fewer, after /)")
    table.add_column("Country", no_wrap=True)
    table.add_column("Pool", no_wrap=True)
    year_columns(table, force.snapshots)
    rows: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    for f in force.fleets:
        if (f.country, f.pool) not in changed:
            continue
        cell = figure(f.owned, 2)
        if figure(f.fielded, 2) != cell:
            cell += f" /{figure(f.fielded, 2)}"
        rows[(f.country, f.pool)][f.year] = cell
    for key, cells in rows.items():
        table.add_row(*key, *(cells.get(y, NOTHING) for y in force.snapshots))
    return table


def budgets_table(force: ForceResults) -> Table:
    years = sorted({b.year for b in force.budgets})
    floors = any(b.floor is not None for b in force.budgets)
    table = titled("Budgets: USD m per year; value = what one more USD m of that year's "
                   "pledge would save (discounted objective)"
                   + ("; floor cost = what one more USD m of floor would add" if floors
                      else ""))
    table.add_column("Country", no_wrap=True)
    table.add_column("", no_wrap=True)
    year_columns(table, years)
    by: dict[str, dict[int, object]] = defaultdict(dict)
    for b in force.budgets:
        by[b.country][b.year] = b
    for country, entries in by.items():
        floored = any(b.floor is not None for b in entries.values())
        for label, read in (("pledge", lambda b: figure(b.pledge, 0)),
                            ("floor", lambda b: NOTHING if b.floor is None
                             else figure(b.floor, 0)),
                            ("orders", lambda b: figure(b.acquisitions, 0)),
                            ("operations", lambda b: figure(b.operations, 0)),
                            ("used", lambda b: f"{100 * b.used / b.pledge:.0f}%"
                             if b.pledge else NOTHING),
                            ("value", lambda b: figure(b.marginal_value or 0.0, 2)),
                            ("floor cost", lambda b: NOTHING if b.floor is None
                             else figure(b.floor_cost or 0.0, 2))):
            if label.startswith("floor") and not floored:
                continue
            table.add_row(country if label == "pledge" else "", label,
                          *(read(entries[y]) if y in entries else NOTHING for y in years))
    return table


def lines_table(force: ForceResults) -> Table:
    years = sorted({u.year for u in force.lines})
    table = titled("Lines and yards: deliveries / capacity per year; value = what one more "
                   "delivery slot would save")
    table.add_column("Line", no_wrap=True)
    table.add_column("", no_wrap=True)
    year_columns(table, years)
    by: dict[str, dict[int, object]] = defaultdict(dict)
    for u in force.lines:
        by[f"{u.line} ({u.builder})"][u.year] = u
    for line, entries in by.items():
        table.add_row(line, "delivered", *(
            f"{figure(entries[y].delivered, 2)}/{figure(entries[y].capacity, 2)}"
            if y in entries else NOTHING for y in years))
        table.add_row("", "value", *(figure(entries[y].marginal_value or 0.0, 2)
                                     if y in entries else NOTHING for y in years))
    return table


def personnel_table(force: ForceResults) -> Table:
    table = titled("Personnel: thousand persons crewing fielded units / limit; value = "
                   "what one more person would save")
    table.add_column("Country", no_wrap=True)
    table.add_column("", no_wrap=True)
    year_columns(table, force.snapshots)
    by: dict[str, dict[int, object]] = defaultdict(dict)
    for p in force.personnel:
        by[p.country][p.year] = p
    for country, entries in by.items():
        table.add_row(country, "used", *(f"{figure(entries[y].used / 1000)}/"
                                         f"{figure(entries[y].limit / 1000)}"
                                         if y in entries else NOTHING
                                         for y in force.snapshots))
        table.add_row("", "value", *(figure(entries[y].marginal_value or 0.0, 4)
                                     if y in entries else NOTHING for y in force.snapshots))
    return table


def years_table(force: ForceResults) -> Table:
    table = titled("Coverage per operating year (USD m, not discounted)")
    for name in ("Year", "Requirements met", "Employment cost", "Shortfall penalty"):
        table.add_column(name, justify="left" if name == "Year" else "right")
    for y in force.years:
        table.add_row(str(y.year), f"{y.met} of {y.requirements}",
                      figure(y.employment_cost), figure(y.shortfall_penalty))
    return table


def print_force(plan: Plan, console: Console) -> None:
    """The force-development part of a plan, after its headline."""
    force = plan.force
    if force is None:
        return
    console.print()
    console.print(Text(f"Force development {force.first_year}-{force.last_year}: operating "
                       f"snapshots in {', '.join(map(str, force.snapshots))}; each holds the "
                       f"mission's phases ({', '.join(force.mission_phases)}).",
                       style="italic"))
    for table in (orders_table(force) if force.orders else None, fleets_table(force),
                  budgets_table(force) if force.budgets else None,
                  lines_table(force) if force.lines else None,
                  personnel_table(force) if force.personnel else None, years_table(force)):
        if table is not None:
            console.print()
            console.print(table)
    if not force.orders:
        console.print(Text("No orders: nothing to buy pays for itself within the horizon."))


def shown_phases(plan: Plan) -> list[str]:
    """The phases whose who-does-what tables the terminal shows: for a multi-year plan the
    first and last operating years (every year is in plan.json and allocations.csv)."""
    phases = list(plan.mission.phases)
    force = plan.force
    if force is None or len(force.snapshots) <= 2:
        return phases
    ends = {force.snapshots[0], force.snapshots[-1]}
    return [p for p in phases if int(p.rsplit("_", 1)[1]) in ends]


# --- the report's section (planner report) -------------------------------------------------

def orders_frame(force: ForceResults) -> pd.DataFrame:
    """One row per order: buyer, pool, line, builder, year ordered, in service, units, USD m."""
    return pd.DataFrame([{"buyer": o.country, "pool": o.pool, "built_by": o.builder,
                          "line": o.line, "ordered": o.year, "in_service": o.in_service,
                          "units": o.units, "cost_usd_m": o.cost,
                          f"credit_after_{force.last_year}": o.credit}
                         for o in force.orders],
                        columns=["buyer", "pool", "built_by", "line", "ordered",
                                 "in_service", "units", "cost_usd_m",
                                 f"credit_after_{force.last_year}"])


def budgets_frame(force: ForceResults) -> pd.DataFrame:
    """One row per country and year: pledge, orders, operations, share used, and the value
    of one more USD m; where a budget has a floor, the floor and what one more USD m of it
    costs."""
    columns = ["country", "year", "pledge", "orders", "operations", "used",
               "value_of_1_usd_m"]
    if any(b.floor is not None for b in force.budgets):
        columns += ["floor", "floor_cost_of_1_usd_m"]
    return pd.DataFrame([{"country": b.country, "year": b.year, "pledge": b.pledge,
                          "orders": b.acquisitions, "operations": b.operations,
                          "used": b.used / b.pledge if b.pledge else 0.0,
                          "value_of_1_usd_m": b.marginal_value or 0.0,
                          "floor": b.floor, "floor_cost_of_1_usd_m": b.floor_cost}
                         for b in force.budgets], columns=columns)


def fleets_frame(force: ForceResults) -> pd.DataFrame:
    """One row per pool and operating year: owned, fielded, retired to date, delivered."""
    return pd.DataFrame([f.model_dump() for f in force.fleets],
                        columns=["country", "pool", "year", "table", "retired", "delivered",
                                 "owned", "fielded"])
