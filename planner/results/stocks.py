"""What a plan says about its stocks: inventory over time, the day each runs out, days of
supply, what was produced, shipped and used, and the prices of more stock, more production
and an earlier surge, read from the duals of the balance and production rows.

A price is the change in the objective per unit, other things equal (a saving is reported
positive): it holds for a small change, as long as the plan's structure stays the same;
``tests/test_stocks.py`` checks each against a re-solve on a tiny case.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from planner.formulation.stocks import HOLD, StockFamilies
from planner.schema.sustainment import DAYS_PER, production_capacity

EMPTY = 1e-6  # a stock at or below this (times max(1, opening)) is empty
SCARCE = 1e-3  # USD m a unit: a stock worth more than this in a period is scarce there
EARLIER_DAYS = 30.0  # "a surge that comes a month earlier"


class StockRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StockPeriod(StockRecord):
    """One country's stock over one period."""

    country: str
    stock: str
    period: str
    phase: str
    start_day: float
    end_day: float
    opening: float
    produced: float
    received: float
    shipped: float
    used: float
    closing: float
    empty: bool  # closing at zero
    value: float | None  # USD m one more unit in hand in this period would save


class StockSummary(StockRecord):
    """One country's stock over the whole mission."""

    country: str
    stock: str
    unit: str
    per: str  # the time unit of the production rate and surge
    opening: float
    produced: float
    received: float
    shipped: float
    used: float
    closing: float
    # the end of the first period that closes empty while used and scarce (worth more)
    run_out_day: float | None
    days_of_supply: float | None  # opening / use per day in the first period it is used
    # the day it would run out used at that rate all along, with the plan's production and
    # deliveries (None: it lasts the mission)
    run_out_at_first_rate: float | None = None
    price_opening: float | None  # USD m saved by one more unit of opening stock
    price_production: float | None  # USD m saved by one more unit per `per` of production
    price_surge_earlier: float | None  # USD m saved by the surge arriving 30 days earlier
    source: str


class StockShortfall(StockRecord):
    """A shortfall that an empty stock explains: a pool that could cover it uses the stock,
    and the stock is empty at the end of the period."""

    task: str
    region: str
    period: str
    country: str
    stock: str
    end_day: float


def by_shortfall(records: list[StockShortfall]
                 ) -> dict[tuple[str, str, str], list[StockShortfall]]:
    """The empty stocks behind each shortfall, by (task, region, period): what solve's
    stock reasons and explain's shortfall traces both say."""
    grouped: dict[tuple[str, str, str], list[StockShortfall]] = {}
    for r in records:
        grouped.setdefault((r.task, r.region, r.period), []).append(r)
    return grouped


class TransferRecord(StockRecord):
    """What was shipped on one route in one period."""

    route: str
    supplier: str
    recipient: str
    stock: str
    shipped_in: str
    arrives_in: str
    amount: float


def value(var) -> float:
    return round(float(var.varValue or 0.0), 9) + 0.0


def saving(dual: float | None) -> float | None:
    return None if dual is None else round(-dual, 9) + 0.0


def stock_results(families: StockFamilies, duals: dict[str, float], has_values: bool,
                  short: set[tuple[str, str, str]] | None = None
                  ) -> tuple[list[StockPeriod], list[StockSummary], list[TransferRecord],
                             float, list[StockShortfall]]:
    """The stock tables of a solved model, what stocks add to the objective (production
    cost and the tie-break of holding stock), and the shortfalls (task, region, period in
    ``short``) that an empty stock explains."""
    if not has_values:
        return [], [], [], 0.0, []
    spans = families.spans
    produced = {(c, s, h): value(v) for c, s, h, _cap, _row, v in
                families.production.itertuples(index=False)}
    capacity_row = {(c, s, h): row for c, s, h, _cap, row, _v in
                    families.production.itertuples(index=False)}
    closing = {(c, s, h): value(v) for c, s, h, v in families.inventory.itertuples(index=False)}
    shipped: dict[tuple[str, str, str], float] = {}
    received: dict[tuple[str, str, str], float] = {}
    transfers = []
    for route, a, b, s, out, due, var in families.transfers.itertuples(index=False):
        amount = value(var)
        shipped[(a, s, out)] = shipped.get((a, s, out), 0.0) + amount
        received[(b, s, due)] = received.get((b, s, due), 0.0) + amount
        if amount > EMPTY:
            transfers.append(TransferRecord(route=route, supplier=a, recipient=b, stock=s,
                                            shipped_in=out, arrives_in=due, amount=amount))
    units = families.uses
    used: dict[tuple[str, str, str], float] = {}
    listed = families.units_var.tolist() if families.units_var is not None else []
    for c, s, period, index, per_day, days in units.itertuples(index=False):
        used[(c, s, period)] = used.get((c, s, period), 0.0) + per_day * days * value(
            listed[index])
    periods, summaries, cost = [], [], 0.0
    for stock in families.stocks:
        c, s = stock.country, stock.stock
        before = float(stock.opening)
        rows = []
        for span in spans:
            key = (c, s, span.name)
            end = closing[key]
            cost += HOLD * span.days * end
            cost += stock.production_cost * produced.get(key, 0.0)
            rows.append(StockPeriod(
                country=c, stock=s, period=span.name, phase=span.phase,
                start_day=span.start, end_day=span.end, opening=round(before, 9) + 0.0,
                produced=produced.get(key, 0.0), received=round(received.get(key, 0.0), 9),
                shipped=round(shipped.get(key, 0.0), 9), used=round(used.get(key, 0.0), 9),
                closing=end, empty=end <= EMPTY * max(1.0, stock.opening),
                value=saving(duals.get(families.balance_rows[key]))))
            before = end
        periods += rows
        first_use = next((r for r in rows if r.used > EMPTY), None)
        run_out = next((r.end_day for r in rows if r.empty and r.used > EMPTY
                        and (r.value or 0.0) > SCARCE), None)
        rate, surge = production_prices(stock, spans, capacity_row, duals)
        summaries.append(StockSummary(
            country=c, stock=s, unit=stock.unit, per=stock.per, opening=stock.opening,
            produced=round(sum(r.produced for r in rows), 9),
            received=round(sum(r.received for r in rows), 9),
            shipped=round(sum(r.shipped for r in rows), 9),
            used=round(sum(r.used for r in rows), 9), closing=rows[-1].closing,
            run_out_day=run_out,
            days_of_supply=(round(stock.opening / (first_use.used / (
                first_use.end_day - first_use.start_day)), 6) if first_use else None),
            run_out_at_first_rate=at_first_rate(stock.opening, rows, first_use),
            price_opening=rows[0].value, price_production=rate, price_surge_earlier=surge,
            source=stock.source))
    empty = {(r.country, r.stock, r.period): r for r in periods if r.empty}
    reasons: dict[tuple[str, str, str, str, str], StockShortfall] = {}
    for c, s, period, index, _per_day, _days in units.itertuples(index=False):
        task, region = families.cells[index]
        row = empty.get((c, s, period))
        if row is not None and (task, region, period) in (short or set()):
            reasons.setdefault((task, region, period, c, s), StockShortfall(
                task=task, region=region, period=period, country=c, stock=s,
                end_day=row.end_day))
    return periods, summaries, transfers, round(cost, 9), list(reasons.values())


def at_first_rate(opening: float, rows: list[StockPeriod], first: StockPeriod | None
                  ) -> float | None:
    """The day the stock would be empty if used all along at the rate of its first period of
    use, with the plan's production, receipts and shipments spread evenly over each period:
    a projection that does not depend on how the plan rations a scarce stock."""
    if first is None:
        return None
    rate = first.used / (first.end_day - first.start_day)
    level = opening
    for r in rows:
        days = r.end_day - r.start_day
        net = (r.produced + r.received - r.shipped) / days - rate
        if net < 0 and level + net * days <= EMPTY:
            return round(r.start_day + level / -net, 1)
        level += net * days
    return None


def production_prices(stock, spans, rows: dict, duals: dict[str, float]
                      ) -> tuple[float | None, float | None]:
    """USD m saved by one more unit per ``per`` of the production rate, and by the surge
    arriving EARLIER_DAYS sooner: the production rows' prices times the capacity each
    change adds to each period."""
    keys = [(stock.country, stock.stock, span.name) for span in spans]
    if not all(k in rows and rows[k] in duals for k in keys):
        return None, None
    prices = [duals[rows[k]] for k in keys]
    rate = -sum(p * span.days / DAYS_PER[stock.per] for p, span in zip(prices, spans,
                                                                       strict=True))
    surge = None
    if stock.surge:
        earlier = stock.surge_after_days - EARLIER_DAYS
        surge = -sum(p * (production_capacity(stock, span, earlier)
                          - production_capacity(stock, span)) for p, span in
                     zip(prices, spans, strict=True))
        surge = round(surge, 6) + 0.0
    return round(rate, 6) + 0.0, surge
