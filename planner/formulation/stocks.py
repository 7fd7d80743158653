"""The stock families of the LP: inventories carried from period to period, production,
transfers between allies, and what the forces employed use up.

Columns (each >= 0):
- ``stock[c,s,h]``: country c's inventory of stock s at the end of period h;
- ``produce[c,s,h]``: units of s country c produces in period h (where it has a line);
- ``transfer[a,b,s,h]``: units of s that a ships to b in period h, on an open route; they
  arrive in the first period that ends ``lead_days`` or more after h ends (no column when
  that is after the mission).
Rows:
- ``balance[c,s,h]``: stock[c,s,h] = stock[c,s,h-1] (the opening inventory before the first
  period) + produce + arrivals - shipments - sum of per_day * days * units over the pools
  using s. Its price is what one more unit of s in hand in h is worth (negative: saves);
- ``production[c,s,h]``: produce[c,s,h] <= base rate * days + surge rate * days after the
  surge arrives.
Objective: production_cost * produce, and HOLD USD m per unit held per day: among equally
cheap plans, the one that uses its stock first (forces in contact fire when the targets
are there; without it the day a stock runs out would be any of several).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from planner.formulation.families import declare
from planner.schema.sustainment import Span, Stock, Transfer, arrival, production_capacity

HOLD = 1e-6  # USD m per unit of stock held per day: the tie-break toward using stock first


@dataclass
class StockFamilies:
    """The stock columns and rows of a model, with what maps them back to the mission."""

    spans: list[Span]
    stocks: list[Stock]
    inventory: pd.DataFrame  # country, stock, period, var
    production: pd.DataFrame  # country, stock, period, capacity, row, var
    transfers: pd.DataFrame  # route, supplier, recipient, stock, shipped, arrives, var
    uses: pd.DataFrame  # country, stock, period, units index, per_day, days
    balance_rows: dict[tuple[str, str, str], str] = field(default_factory=dict)
    units_var: pd.Series | None = None  # the model's units columns, by units table index
    cells: dict[int, tuple[str, str]] = field(default_factory=dict)  # index: task, region

    @property
    def columns(self) -> list[pulp.LpVariable]:
        """The family's columns: inventories, production, transfers."""
        return [*self.inventory["var"], *self.production["var"], *self.transfers["var"]]

STOCK = declare("stock", "column", ("country", "stock", "period"),
                "A country's inventory of a stock at the end of a period.")
PRODUCE = declare("produce", "column", ("country", "stock", "period"),
                  "Units of a stock a country's lines produce in a period.")
TRANSFER = declare("transfer", "column", ("supplier", "recipient", "stock", "period"),
                   "Units of a stock one ally ships to another in a period, on an open "
                   "route; they arrive after the route's lead time.")
BALANCE = declare("balance", "row", ("country", "stock", "period"),
                  "A stock at the end of a period is what was held before, plus production "
                  "and arrivals, less shipments and what the forces employed use up.")
PRODUCTION = declare("production", "row", ("country", "stock", "period"),
                     "A country's production of a stock in a period is at most its line's "
                     "rate times the period's days (plus a surge once it arrives).")


def column(problem: pulp.LpProblem, family, keys: dict[str, str]) -> pulp.LpVariable:
    return problem.add_variable(family.label(keys), lowBound=0)


def period_uses(units: pd.DataFrame, uses: list, spans: list[Span]) -> pd.DataFrame:
    """Which units columns draw on which stock, at what rate per unit and per day: one merge
    of the uses with the units table, kept where the use's phases and regions hold."""
    days = {s.name: s.days for s in spans}
    columns = ["country", "stock", "period", "unit", "per_day", "days"]
    if not uses:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame([(n, u.country, u.pool, u.task, u.stock, float(u.per_day))
                          for n, u in enumerate(uses)],
                         columns=["use", "country", "pool", "task", "stock", "per_day"])
    keys = units[["country", "pool", "task", "region", "phase"]].reset_index(names="unit")
    found = table.merge(keys, on=["country", "pool", "task"])
    keep = []
    for use, period, region in zip(found["use"], found["phase"], found["region"],
                                   strict=True):
        u = uses[use]
        keep.append((u.phase is None or period in ([u.phase] if isinstance(u.phase, str)
                                                   else u.phase))
                    and (u.region is None or region in ([u.region] if isinstance(
                        u.region, str) else u.region)))
    found = found.loc[np.array(keep, dtype=bool)].rename(columns={"phase": "period"})
    found["days"] = found["period"].map(days).astype(float)
    return found[columns].reset_index(drop=True)


def add_stock_families(model, spans: list[Span], stocks: list[Stock], uses: list,
                       routes: list[Transfer], names: dict[str, str]) -> StockFamilies:
    """Add the stock columns and rows to a planning model (``model.add`` names each row with
    its sentence). Pure apart from the model it extends."""
    problem = model.problem
    objective = problem.objective
    units = model.units
    periods = [s.name for s in spans]
    inventory, production, transfers = [], [], []
    flows: dict[tuple[str, str, str], pulp.LpAffineExpression] = {}
    for stock in stocks:
        c, s = stock.country, stock.stock
        for span in spans:
            key = {"country": c, "stock": s, "period": span.name}
            var = column(problem, STOCK, key)
            inventory.append((c, s, span.name, var))
            objective[var] = HOLD * span.days
            flows[(c, s, span.name)] = pulp.LpAffineExpression([(var, 1.0)])
        if stock.production or stock.surge:
            for span in spans:
                capacity = production_capacity(stock, span)
                key = {"country": c, "stock": s, "period": span.name}
                var = column(problem, PRODUCE, key)
                if stock.production_cost:
                    objective[var] = stock.production_cost
                flows[(c, s, span.name)][var] = -1.0
                row = PRODUCTION.row(key, production_sentence(
                    names.get(c, c), stock, span, capacity), stock.source)
                name = row.name
                model.add(row, pulp.LpAffineExpression([(var, 1.0)]) <= capacity)
                production.append((c, s, span.name, capacity, name, var))
    held = {(x.country, x.stock) for x in stocks}
    for route in routes:
        if (route.supplier, route.stock) not in held or (route.recipient,
                                                         route.stock) not in held:
            continue
        for i, span in enumerate(spans):
            g = arrival(spans, i, route.lead_days)
            if g is None:
                continue
            var = column(problem, TRANSFER, {"supplier": route.supplier,
                                             "recipient": route.recipient,
                                             "stock": route.stock, "period": span.name})
            flows[(route.supplier, route.stock, span.name)][var] = 1.0
            flows[(route.recipient, route.stock, periods[g])][var] = -1.0
            transfers.append((route.name, route.supplier, route.recipient, route.stock,
                              span.name, periods[g], var))
    use_table = period_uses(units, uses, spans)
    variables = units["var"]
    listed = variables.tolist()
    for c, s, period, index, per_day, days in use_table.itertuples(index=False):
        key = (c, s, period)
        if key in flows:
            expr = flows[key]
            var = listed[index]
            expr[var] = expr.get(var, 0.0) + per_day * days
    families = StockFamilies(
        spans, stocks,
        pd.DataFrame(inventory, columns=["country", "stock", "period", "var"]),
        pd.DataFrame(production, columns=["country", "stock", "period", "capacity", "row",
                                          "var"]),
        pd.DataFrame(transfers, columns=["route", "supplier", "recipient", "stock",
                                         "shipped", "arrives", "var"]),
        use_table, units_var=variables,
        cells=dict(zip(use_table["unit"].tolist(), zip(
            units["task"].to_numpy()[use_table["unit"].to_numpy(dtype=int)].tolist(),
            units["region"].to_numpy()[use_table["unit"].to_numpy(dtype=int)].tolist(),
            strict=True), strict=True)))
    held_at = {(c, s, h): var for c, s, h, var in inventory}
    for stock in stocks:
        c, s = stock.country, stock.stock
        before = None
        for span in spans:
            expr = flows[(c, s, span.name)]
            if before is not None:
                expr[before] = -1.0
            opening = float(stock.opening) if before is None else 0.0
            row = BALANCE.row({"country": c, "stock": s, "period": span.name},
                              balance_sentence(names.get(c, c), stock, span, before is None),
                              stock.source)
            name = row.name
            model.add(row, expr == opening)
            families.balance_rows[(c, s, span.name)] = name
            before = held_at[(c, s, span.name)]
    problem.setObjective(objective)
    return families


def balance_sentence(country: str, stock: Stock, span: Span, first: bool) -> str:
    held = (f"the {stock.opening:g} it holds at the start" if first
            else "what it held at the end of the period before")
    return (f"{country}'s stock of {stock.stock} at the end of {span.name} (day "
            f"{span.end:g}) is {held}, plus what it produces and receives, less what it "
            "ships and what its forces use.")


def production_sentence(country: str, stock: Stock, span: Span, capacity: float) -> str:
    surge = (f", with {stock.surge:g} more per {stock.per} from day "
             f"{stock.surge_after_days:g}" if stock.surge else "")
    return (f"{country} can produce at most {capacity:g} {stock.unit} of {stock.stock} in "
            f"{span.name} ({stock.production:g} per {stock.per}{surge}).")
