"""Time and stocks in a mission: periods with lengths, stocks of munitions, their use,
production and transfers between allies (the schema, pure pydantic, and the calendar).

A phase is a span of time: a mission may give each phase a length in days and split it
into periods (conflict days 1-7, 8-30, 31-90). Costs and shortfall penalties stay per unit
and *phase*: a period carries the share of them its days are of the phase's, so a phase in
one period keeps exactly today's plan. Stocks carry from one period to the next; a rate
(production, surge) is given per day, month or year and converted to days here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, model_validator

from planner.errors import refusal
from planner.schema import tables as schema
from planner.schema.policy import Condition, Frozen

Identifier = Annotated[str, Field(pattern=schema.ID_PATTERN)]
CountryCode = Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)]
Amount = Annotated[float, Field(ge=0, le=schema.LARGEST, allow_inf_nan=False)]
Days = Annotated[float, Field(gt=0, le=36500, allow_inf_nan=False)]
Per = Literal["day", "month", "year"]  # schema.TIME_UNITS

# Days in each unit of time a rate may be given per (a month is a twelfth of a year): one
# table for the capability tables and the missions, in planner/schema/tables.py.
DAYS_PER = schema.DAYS_PER


class Period(Frozen):
    """A span of days of one phase, in the order the mission lists them."""

    phase: Identifier = Field(description="The mission phase this period belongs to.")
    name: Identifier | None = Field(
        default=None, description="The period's name (rows read e.g. cover[isr,japan,"
        "conflict_d1_7]); default: the phase's name, when the phase has one period.")
    days: Days = Field(description="How many days the period lasts.")

    @property
    def label(self) -> str:
        return self.name or self.phase


class Stock(Frozen):
    """A country's stock of something its forces use up (missiles, interceptors, shells):
    what it holds at the start, what its lines produce, and a surge that comes later."""

    country: CountryCode = Field(description="The country holding the stock.")
    stock: Identifier = Field(description="What is stocked, e.g. pac3_interceptor; the same "
                              "name in two countries is the same item, so it can be "
                              "transferred.")
    unit: str = Field(default="units", description="What one unit of the stock is, e.g. "
                      "missiles.")
    opening: Amount = Field(description="Inventory at the start of the first period.")
    production: Amount = Field(default=0.0, description="Units produced per `per`, from the "
                               "first day, for this theatre.")
    surge: Amount = Field(default=0.0, description="Extra units per `per` once the surge "
                          "arrives.")
    surge_after_days: Amount = Field(
        default=0.0, description="Days from the start of the first period until the surge "
        "production arrives (a lead time).")
    per: Per = Field(default="year", description="The time unit of production and surge: "
                     "day, month or year (a month is a twelfth of 365 days).")
    production_cost: Amount = Field(default=0.0, description="USD m per unit produced.")
    source: str = Field(description="Where the figures come from: a row of public_facts.md, "
                        "or 'assumption: ...'.")

    def rate_per_day(self, surge: bool = False) -> float:
        return (self.surge if surge else self.production) / DAYS_PER[self.per]


class Use(Frozen):
    """What a pool employed on a task draws from a stock, per unit employed and per day
    (a Patriot battery on station fires interceptors; a ship on sea control fires
    anti-ship missiles)."""

    country: CountryCode = Field(description="The pool's country; it draws on its own stock.")
    pool: Identifier = Field(description="The pool, by its identifier in the country's table.")
    task: Identifier = Field(description="The task on which the pool uses the stock.")
    stock: Identifier = Field(description="The stock used (declared in `stocks` for the "
                              "country).")
    per_day: Amount = Field(description="Units of the stock used per unit of the pool "
                            "employed on the task, per day.")
    phase: Identifier | list[Identifier] | None = Field(
        default=None, description="The phases in which it is used (every phase when left "
        "out).")
    region: Identifier | list[Identifier] | None = Field(
        default=None, description="The regions in which it is used (every region when "
        "left out).")
    when: Condition = Field(default={}, description="Flag conditions under which the pool "
                            "uses the stock, e.g. {japan_situation: survival_threatening} "
                            "for forces that fire only once their country is at war.")
    unless: Condition = Field(default={}, description="Flag conditions under which it does "
                              "not.")
    source: str = Field(description="Where the rate comes from: a row of public_facts.md, "
                        "or 'assumption: ...'.")


class Transfer(Frozen):
    """A route on which one ally may ship a stock to another, with a transport lead time;
    allowed only while its flag conditions hold (a law or decision, with its source)."""

    name: Identifier = Field(description="The route's name, e.g. jpn_pac3_to_usa.")
    supplier: CountryCode = Field(description="The country shipping from its stock.")
    recipient: CountryCode = Field(description="The country receiving into its stock.")
    stock: Identifier = Field(description="The stock shipped (declared for both countries).")
    lead_days: Amount = Field(default=0.0, description="Days from shipping to arrival: what "
                              "is shipped in a period arrives in the first period that ends "
                              "at least this many days after it ends.")
    when: Condition = Field(default={}, description="Flag conditions under which the route "
                            "is open, e.g. {allied_transfers: allowed}.")
    unless: Condition = Field(default={}, description="Flag conditions that close the route.")
    source: str = Field(description="The law, decision or agreement that allows it (a row of "
                        "public_facts.md), or 'assumption: ...'.")

    @model_validator(mode="after")
    def _two_countries(self) -> Transfer:
        if self.supplier == self.recipient:
            raise TRANSFER_TO_ITSELF.error()
        return self


TRANSFER_TO_ITSELF = refusal(
    "Mission", "A transfer whose `recipient` is its `supplier`.",
    "a transfer joins two different countries",
    {"periods": [{"phase": "crisis", "days": 30}], "transfers": [
        {"name": "self", "supplier": "JPN", "recipient": "JPN", "stock": "pac3",
         "source": "test"}]})


@dataclass(frozen=True)
class Span:
    """One period on the mission's calendar: days ``start`` (exclusive) to ``end``."""

    name: str
    phase: str
    days: float
    start: float
    weight: float  # the period's share of its phase: costs and penalties are per phase

    @property
    def end(self) -> float:
        return self.start + self.days


def calendar(phases: list[str], periods: list[Period] | None) -> list[Span]:
    """The mission's periods in order, with their start day and their share of the phase.
    Without ``periods`` every phase is one period of unknown length (0 days)."""
    if not periods:
        return [Span(p, p, 0.0, 0.0, 1.0) for p in phases]
    total = {p: sum(x.days for x in periods if x.phase == p) for p in phases}
    spans, start = [], 0.0
    for period in periods:
        spans.append(Span(period.label, period.phase, period.days, start,
                          period.days / total[period.phase]))
        start += period.days
    return spans


def production_capacity(stock: Stock, span: Span, surge_after: float | None = None) -> float:
    """Units a country can produce in a period: the base rate over its days, plus the surge
    rate over the days after the surge arrives (``surge_after``: when, default the
    stock's)."""
    after = stock.surge_after_days if surge_after is None else max(0.0, surge_after)
    surge_days = max(0.0, span.end - max(span.start, after))
    return stock.rate_per_day() * span.days + stock.rate_per_day(surge=True) * surge_days


def arrival(spans: list[Span], shipped: int, lead_days: float) -> int | None:
    """The period in which what is shipped in period ``shipped`` arrives: the first that
    ends at least ``lead_days`` after it ends (None: after the mission)."""
    due = spans[shipped].end + lead_days
    return next((i for i in range(shipped, len(spans)) if spans[i].end >= due - 1e-9), None)
