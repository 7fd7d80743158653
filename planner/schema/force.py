"""The force-development section of a mission: years as investment periods.

A mission with a ``force`` section plans over years (for example 2026-2035) instead of one
snapshot: pools grow by acquisition (unit cost, lead time from order to service, deliveries
per year per production line or yard) and shrink by retirement; budgets per country and
year pay for acquisitions and operations; a personnel limit per country and year bounds the
pools that need crews; requirements can grow from year to year. A mission without it keeps
today's single-snapshot meaning.

Numbers given per year (budgets, personnel limits, line deliveries, requirement amounts)
are mappings year -> value: years between two given ones take the straight line between
them, years before the first or after the last hold the nearest given value.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from planner.errors import Problem, refusal, unknown
from planner.inputs.load import Where
from planner.schema import tables as schema
from planner.schema.policy import Frozen

Identifier = Annotated[str, Field(pattern=schema.ID_PATTERN)]
Country = Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)]
Amount = Annotated[float, Field(ge=0, le=schema.LARGEST, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]
Rate = Annotated[float, Field(ge=-0.5, le=1, allow_inf_nan=False)]
PerYear = dict[Year, Amount]

DEFAULT_DISCOUNT_RATE = 0.03  # real, per year; see ForceDevelopment.discount_rate
DEFAULT_END_OF_HORIZON = "straight_line"  # see ForceDevelopment.end_of_horizon


def on_year(path: dict[int, float], year: int) -> float:
    """A value given for some years, read in another: the straight line between the two
    nearest given years, the nearest given value outside them."""
    years = sorted(path)
    if year <= years[0]:
        return float(path[years[0]])
    if year >= years[-1]:
        return float(path[years[-1]])
    after = next(y for y in years if y >= year)
    before = max(y for y in years if y <= year)
    if after == before:
        return float(path[year])
    share = (year - before) / (after - before)
    return float(path[before] + share * (path[after] - path[before]))


BUDGET_TWO_WAYS = refusal(
    "Mission", "A force-development budget with both `amount` and `gdp_share`, or with "
    "neither.", "give the budget as 'amount' (USD m per year) or as 'gdp_share', one of them",
    {"force": {"first_year": 2026, "last_year": 2027, "budgets": [
        {"country": "KOR", "amount": {2026: 100}, "gdp_share": {2026: 0.03}, "source": "x"}]}})


FLOOR_TWO_WAYS = refusal(
    "Mission", "A force-development budget with both `floor_amount` and `floor_share`, or "
    "with an empty one.",
    "give the budget's floor as 'floor_amount' (USD m per year) or as 'floor_share' (a share "
    "of the pledge), one of them",
    {"force": {"first_year": 2026, "last_year": 2027, "budgets": [
        {"country": "KOR", "amount": {2026: 100}, "floor_amount": {2026: 50},
         "floor_share": {2026: 0.5}, "source": "x"}]}})
FLOOR_ABOVE_PLEDGE = refusal(
    "Mission", "A force-development budget floor above the pledge in a year (no plan could "
    "spend at least the floor and at most the pledge).",
    "the floor of {country}'s budget in {year} ({floor:,.1f} USD m) is above its pledge "
    "({pledge:,.1f} USD m)",
    {"force": {"first_year": 2026, "last_year": 2027, "budgets": [
        {"country": "KOR", "amount": {2026: 100}, "floor_amount": {2027: 150},
         "source": "x"}]}})


class Budget(Frozen):
    """What a country pledges to this plan each year, USD m: acquisitions ordered in the
    year and the year's operating cost (the employment cost of its units in the year's
    snapshot) must fit in it.

    Either ``amount`` per year, or ``gdp_share`` per year of a GDP path that starts at the
    country's GDP in countries.csv in the first year and grows by ``gdp_growth``; in both
    cases times ``theatre_share``, the part of the budget this plan may spend.

    A floor, if given, is what the country must spend at least each year (burden sharing:
    an ally held to its pledge): ``floor_amount`` per year in USD m, or ``floor_share`` per
    year, a share of that year's pledge (so of the GDP path, for a ``gdp_share`` pledge)."""

    country: Country = Field(description="The country that pledges.")
    amount: PerYear | None = Field(
        default=None, description="USD m per year, e.g. {2026: 1200, 2035: 2000}.")
    gdp_share: dict[Year, Share] | None = Field(
        default=None, description="Defense budget as a share of GDP per year, e.g. "
        "{2026: 0.024, 2035: 0.035}.")
    gdp_growth: Rate = Field(
        default=0.0, description="Growth of GDP per year (used with gdp_share).")
    theatre_share: Share = Field(
        default=1.0, description="The part of the budget available to this plan's "
        "acquisitions and operations.")
    floor_amount: PerYear | None = Field(
        default=None, description="The least the country spends on the plan, USD m per "
        "year, e.g. {2026: 1000} (default: no floor).")
    floor_share: dict[Year, Share] | None = Field(
        default=None, description="The least the country spends, as a share of the year's "
        "pledge, e.g. {2026: 0.9} (default: no floor).")
    source: str = Field(description="A row of public_facts.md, or 'assumption: ...'.")

    @model_validator(mode="after")
    def _one_way(self) -> Budget:
        if (self.amount is None) == (self.gdp_share is None) or (
                self.amount is not None and not self.amount) or (
                self.gdp_share is not None and not self.gdp_share):
            raise BUDGET_TWO_WAYS.error()
        if (self.floor_amount is not None and self.floor_share is not None) or (
                self.floor_amount is not None and not self.floor_amount) or (
                self.floor_share is not None and not self.floor_share):
            raise FLOOR_TWO_WAYS.error()
        return self

    @property
    def has_floor(self) -> bool:
        return self.floor_amount is not None or self.floor_share is not None

    @property
    def floor_key(self) -> str:
        """The key that gives the floor (where a floor problem is located)."""
        return "floor_amount" if self.floor_amount is not None else "floor_share"

    def floor(self, year: int, pledge: float) -> float | None:
        """USD m this country must spend at least in a year (None: no floor); ``pledge`` is
        the year's pledge."""
        if self.floor_amount is not None:
            return on_year(self.floor_amount, year)
        if self.floor_share is not None:
            return on_year(self.floor_share, year) * pledge
        return None

    def pledge(self, year: int, first_year: int, gdp_usd_bn: float) -> float:
        """USD m this country may spend on the plan in a year."""
        if self.amount is not None:
            return on_year(self.amount, year) * self.theatre_share
        assert self.gdp_share is not None
        gdp = gdp_usd_bn * 1000.0 * (1.0 + self.gdp_growth) ** (year - first_year)
        return gdp * on_year(self.gdp_share, year) * self.theatre_share


class Personnel(Frozen):
    """The people a country can put in uniform for the pools that need crews, per year
    (persons): the crews of its fielded units (``crews``) must fit in it."""

    country: Country = Field(description="The country.")
    limit: PerYear = Field(min_length=1, description="Persons per year, e.g. "
                           "{2026: 450000, 2035: 400000}.")
    source: str = Field(description="A row of public_facts.md, or 'assumption: ...'.")


class Crew(Frozen):
    """The persons one unit of a pool needs, counted against the country's personnel
    limit."""

    country: Country = Field(description="The country of the pool.")
    pool: Identifier = Field(description="The pool, by its identifier in the country's "
                             "table.")
    per_unit: Amount = Field(description="Persons per unit of the pool.")
    source: str = Field(description="A row of public_facts.md, or 'assumption: ...'.")


class Line(Frozen):
    """A production line or shipyard: how many units it can deliver per year, in which
    country it stands, and for which buyers it may build."""

    name: Identifier = Field(description="The line, e.g. kor_naval_yards.")
    country: Country = Field(description="Where the line stands (who builds).")
    deliveries: Amount | PerYear = Field(
        description="Units it can deliver per year: one number, or per year.")
    open_to: list[Country] | None = Field(
        default=None, description="Countries it may build for (default: its own only). A "
        "foreign buyer's order built here is co-production: the buyer pays, this line "
        "builds.")
    source: str = Field(description="A row of public_facts.md, or 'assumption: ...'.")

    def capacity(self, year: int) -> float:
        if isinstance(self.deliveries, dict):
            return on_year(self.deliveries, year)
        return float(self.deliveries)

    @property
    def buyers(self) -> list[str]:
        return self.open_to if self.open_to is not None else [self.country]


class Acquisition(Frozen):
    """A way for a country to add units to one of its pools: what a unit costs, how long
    from order to service, on which lines it can be built."""

    country: Country = Field(description="The buyer, whose pool grows and whose budget "
                             "pays.")
    pool: Identifier = Field(description="The pool that grows (a row of the buyer's table; "
                             "it may start at quantity 0).")
    unit_cost: Amount = Field(description="USD m per unit, paid in the year of the order.")
    lead_time: Annotated[int, Field(ge=0, le=30)] = Field(
        description="Years from order to service: ordered in year y, in service from "
        "y + lead_time.")
    lines: list[Identifier] = Field(
        min_length=1, description="The lines or yards that could build it; only those open "
        "to the buyer do (so opening a yard to a buyer is one change, in `lines`). A "
        "delivery uses one unit of the line's capacity in its year.")
    first_order: Year | None = Field(
        default=None, description="The first year an order can be placed (default: the "
        "first year).")
    service_life: Annotated[int, Field(ge=1, le=80)] | None = Field(
        default=None, description="Years a new unit serves before it retires (default: "
        "beyond the horizon, and no end-of-horizon credit: see end_of_horizon).")
    source: str = Field(description="A row of public_facts.md, or 'assumption: ...'.")


class Retirement(Frozen):
    """Units of a pool that leave service in a known year (from then on)."""

    country: Country = Field(description="The country of the pool.")
    pool: Identifier = Field(description="The pool.")
    year: Year = Field(description="The first year without these units.")
    quantity: Amount = Field(description="How many units leave.")
    source: str = Field(description="A row of public_facts.md, or 'assumption: ...'.")


RATE_AND_AMOUNTS = refusal(
    "Mission", "A force-development requirement change with both `rate` and `amounts`, or "
    "neither.", "give 'rate' (growth per year) or 'amounts' (per year), one of them",
    {"force": {"first_year": 2026, "last_year": 2027, "changes": [
        {"task": "isr", "region": "japan", "rate": 0.02, "amounts": {2030: 4},
         "source": "x"}]}})
AMOUNTS_NEED_PHASE = refusal(
    "Mission", "A force-development requirement change with `amounts` per year but no "
    "`phase` or `region`.", "amounts per year are for one phase and region: give 'phase' "
    "and 'region'",
    {"force": {"first_year": 2026, "last_year": 2027, "changes": [
        {"task": "isr", "region": "japan", "amounts": {2030: 4}, "source": "x"}]}})


class Change(Frozen):
    """How a requirement of the mission changes over the years: by a growth ``rate`` per
    year from the first year (in every phase, or in ``phase``), or by ``amounts`` per year
    in one phase. Without ``region`` a rate applies to the task in every region."""

    task: Identifier = Field(description="The task required.")
    region: Identifier | None = Field(default=None, description="The region (default: "
                                      "every region, for a rate).")
    phase: Identifier | None = Field(default=None, description="The mission phase "
                                     "(default: every phase, for a rate).")
    rate: Rate | None = Field(default=None, description="Growth per year, e.g. 0.03.")
    amounts: PerYear | None = Field(default=None, description="Amount per year, e.g. "
                                    "{2026: 10, 2035: 14}.")
    source: str = Field(description="A row of public_facts.md, or 'assumption: ...'.")

    @model_validator(mode="after")
    def _one_way(self) -> Change:
        if (self.rate is None) == (self.amounts is None):
            raise RATE_AND_AMOUNTS.error()
        if self.amounts is not None and (self.phase is None or self.region is None):
            raise AMOUNTS_NEED_PHASE.error()
        return self

    def applies(self, task: str, region: str, phase: str) -> bool:
        return (self.task == task and self.region in (None, region)
                and self.phase in (None, phase))


YEARS_BACKWARD = refusal(
    "Mission", "A force-development `last_year` before its `first_year`.",
    "last_year {last} is before first_year {first}",
    {"force": {"first_year": 2035, "last_year": 2026}})
OPERATE_OUTSIDE = refusal(
    "Mission", "Force-development `operate_in` years not in order, outside the horizon, or "
    "not starting with the first year.",
    "operate_in must list years in order from first_year {first} to at most {last}",
    {"force": {"first_year": 2026, "last_year": 2035, "operate_in": [2030]}})


class ForceDevelopment(Frozen):
    """Years as investment periods: what each ally buys with what it pledged, year by year.

    Every operating year holds a copy of the mission's phases (an operating snapshot,
    named ``<phase>_<year>``), with its requirements grown by ``changes``. A snapshot stands
    for its year and the years until the next one. The objective is the discounted sum over
    the years of acquisitions (in the year ordered) and of each snapshot's employment cost
    and shortfall penalty (weighted by the discount factors of the years it stands for)."""

    first_year: Year = Field(description="The first year planned, e.g. 2026.")
    last_year: Year = Field(description="The last year planned, e.g. 2035.")
    operate_in: list[Year] | None = Field(
        default=None, description="The years that hold an operating snapshot (default: "
        "every year); the first must be first_year.")
    discount_rate: Annotated[float, Field(ge=0, le=0.5)] = Field(
        default=DEFAULT_DISCOUNT_RATE, description="Real discount rate per year; a cost in "
        "year y counts (1 + rate)^-(y - first_year). Default 0.03: an assumption, a common "
        "real rate in public investment appraisal; vary it to test the plan.")
    end_of_horizon: Literal["straight_line", "none"] = Field(
        default=DEFAULT_END_OF_HORIZON, description="What an order is charged for the "
        "service it would give after last_year. 'straight_line' (the default): its price less "
        "a credit for the years of its service_life left after last_year, straight-line (a "
        "ship with a 30-year life that serves 2 years of the horizon is credited 28/30 of its "
        "price), discounted from the year after last_year; so an order late in the horizon "
        "pays for the years it serves in it, as the multi-period investment models of energy "
        "planning (PyPSA, GenX) count only the annuities within the horizon. 'none': the "
        "full price, whatever the service left. An order without a service_life gets no "
        "credit.")
    whole_orders: bool = Field(
        default=False, description="Orders in whole units: a mixed-integer program, solved "
        "by HiGHS's branch and bound (slower; the marginal values are then those of the LP "
        "with the orders fixed at their values). Default false: an LP, whose fractional "
        "orders read as rates (1.5 ships: three ships every two years).")
    budgets: list[Budget] = Field(default=[], description="Pledges per country and year.")
    personnel: list[Personnel] = Field(default=[], description="Personnel limits per "
                                       "country and year.")
    crews: list[Crew] = Field(default=[], description="Persons per unit of the pools that "
                              "need crews.")
    lines: list[Line] = Field(default=[], description="Production lines and yards.")
    acquisitions: list[Acquisition] = Field(default=[], description="What can be bought.")
    retirements: list[Retirement] = Field(default=[], description="Known retirements.")
    changes: list[Change] = Field(default=[], description="Requirements that change over "
                                  "the years.")
    mission_phases: list[Identifier] | None = Field(
        default=None, description="Set by the planner in a plan: the mission's own phases, "
        "of which each operating year holds a copy (leave it out in a mission file).")

    @model_validator(mode="after")
    def _years(self) -> ForceDevelopment:
        if self.last_year < self.first_year:
            raise YEARS_BACKWARD.error(first=self.first_year, last=self.last_year)
        if self.operate_in is not None and (
                not self.operate_in or self.operate_in[0] != self.first_year
                or sorted(set(self.operate_in)) != self.operate_in
                or self.operate_in[-1] > self.last_year):
            raise OPERATE_OUTSIDE.error(first=self.first_year, last=self.last_year)
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def snapshots(self) -> list[int]:
        """The operating years, in order."""
        return list(self.operate_in) if self.operate_in is not None else self.years

    def snapshot_of(self, year: int) -> int:
        """The operating year that stands for a year."""
        return max(o for o in self.snapshots if o <= year)

    def discount(self, year: int) -> float:
        return float((1.0 + self.discount_rate) ** -(year - self.first_year))

    def end_credit(self, in_service: int, service_life: int | None) -> float:
        """The share of an order's price credited for the service it gives after the last
        year (0 without a service life, or with ``end_of_horizon: none``): the years of
        service life left after last_year over the service life, straight-line."""
        if self.end_of_horizon == "none" or service_life is None:
            return 0.0
        left = min(service_life, in_service + service_life - (self.last_year + 1))
        return max(0, left) / service_life

    def years_paid(self, option: Acquisition) -> int | None:
        """The years an order's price pays for, for the value of a unit short: its service
        life when orders are credited for the service after the horizon (straight_line),
        else the most years an order can serve within the horizon (an order in the first
        year it can be placed, from its lead time to last_year, within its service life).
        None when no order can be in service within the horizon or no line is open to the
        buyer."""
        open_to = {line.name: line.buyers for line in self.lines}
        if not any(option.country in open_to.get(line, []) for line in option.lines):
            return None
        start = max(self.first_year, option.first_order or self.first_year)
        within = self.last_year + 1 - (start + option.lead_time)
        if within < 1:
            return None
        if self.end_of_horizon == "straight_line" and option.service_life is not None:
            return option.service_life
        return min(within, option.service_life or within)

    def weight(self, snapshot: int) -> float:
        """What one unit of a snapshot's cost counts in the objective: the discount factors
        of the years it stands for."""
        return sum(self.discount(y) for y in self.years if self.snapshot_of(y) == snapshot)


def phase_label(phase: str, year: int) -> str:
    """The name of a mission phase in an operating year: ``conflict_2030``."""
    return f"{phase}_{year}"


RETIRED_BEYOND = refusal(
    "Mission", "Force-development retirements of a pool adding up to more units than its "
    "table holds.", "{total:g} units of {pool} retire but the table holds {quantity:g}",
    {"force": {"first_year": 2026, "last_year": 2027, "retirements": [
        {"country": "KOR", "pool": "aegis_ddg", "year": 2027, "quantity": 40,
         "source": "x"}]}})
GIVEN_TWICE = refusal(
    "Mission", "The same force-development budget, personnel limit, crew, line or "
    "acquisition given twice.", "{what} is given twice",
    {"force": {"first_year": 2026, "last_year": 2027, "budgets": [
        {"country": "KOR", "amount": {2026: 1}, "source": "x"},
        {"country": "KOR", "amount": {2026: 2}, "source": "x"}]}})

FORCE_WITH_PERIODS = refusal(
    "Mission", "A force-development mission that also splits its phases into `periods` (as "
    "stocks need): its phases become one operating snapshot per year, which periods of days "
    "do not name.",
    "a multi-year mission's phases are repeated year by year and cannot also be split into "
    "periods of days",
    {"periods": [{"phase": "crisis", "name": "crisis_d1_30", "days": 30}],
     "force": {"first_year": 2026, "last_year": 2027}})


def check_force(force: ForceDevelopment, mission: object, vocabulary: dict[str, list[str]],
                where: Where) -> list[Problem]:
    """The force-development section against the tables: countries, pools, tasks, regions
    and mission phases exist; nothing is given twice."""
    countries, pools = vocabulary["country"], vocabulary["country_pool"]
    phases = list(getattr(mission, "phases", []))
    problems: list[Problem] = []
    base = ("force",)
    if getattr(mission, "periods", None):
        problems.append(where.problem(("periods",), FORCE_WITH_PERIODS.text(),
                                      "remove 'periods' (and the stocks that need them), or "
                                      "plan the stocks in a mission without 'force'"))

    def known(kind: str, name: str | None, choices: list[str], path: tuple) -> None:
        if name is not None and name not in choices:
            message, hint = unknown(kind, name, choices)
            problems.append(where.problem((*base, *path), message, hint))

    def once(seen: dict, key: object, what: str, path: tuple) -> None:
        if key in seen:
            problems.append(where.problem((*base, *path), GIVEN_TWICE.text(what=what),
                                          "keep one"))
        seen[key] = path

    for part, entries in (("budgets", force.budgets), ("personnel", force.personnel)):
        seen: dict = {}
        for i, entry in enumerate(entries):
            known("country", entry.country, countries, (part, i, "country"))
            once(seen, entry.country, f"the {part} of {entry.country}", (part, i))
    seen = {}
    for i, crew in enumerate(force.crews):
        known("pool", f"{crew.country}/{crew.pool}", pools, ("crews", i, "pool"))
        once(seen, (crew.country, crew.pool), f"the crew of {crew.country}/{crew.pool}",
             ("crews", i))
    lines = {line.name: line for line in force.lines}
    seen = {}
    for i, line in enumerate(force.lines):
        known("country", line.country, countries, ("lines", i, "country"))
        for j, buyer in enumerate(line.open_to or []):
            known("country", buyer, countries, ("lines", i, "open_to", j))
        once(seen, line.name, f"line {line.name}", ("lines", i))
    seen = {}
    for i, option in enumerate(force.acquisitions):
        known("pool", f"{option.country}/{option.pool}", pools, ("acquisitions", i, "pool"))
        for j, name in enumerate(option.lines):
            if name not in lines:
                message, hint = unknown("line", name, list(lines))
                problems.append(where.problem((*base, "acquisitions", i, "lines", j), message,
                                              hint))
        once(seen, (option.country, option.pool), f"the acquisition of "
             f"{option.country}/{option.pool}", ("acquisitions", i))
    for i, retirement in enumerate(force.retirements):
        known("pool", f"{retirement.country}/{retirement.pool}", pools,
              ("retirements", i, "pool"))
    for i, change in enumerate(force.changes):
        known("task", change.task, vocabulary["task"], ("changes", i, "task"))
        known("region", change.region, vocabulary["region"], ("changes", i, "region"))
        known("phase", change.phase, phases, ("changes", i, "phase"))
    return problems


def budget_problems(force: ForceDevelopment, gdp: dict[str, float], where: Where
                    ) -> list[Problem]:
    """Budget floors above the pledge in some year of the horizon (the first such year of
    each budget)."""
    problems = []
    for i, budget in enumerate(force.budgets):
        if not budget.has_floor or budget.country not in gdp:
            continue
        for year in force.years:
            pledge = budget.pledge(year, force.first_year, gdp[budget.country])
            floor = budget.floor(year, pledge)
            if floor is not None and floor > pledge + 1e-9:
                problems.append(where.problem(
                    ("force", "budgets", i, budget.floor_key),
                    FLOOR_ABOVE_PLEDGE.text(country=budget.country, year=year, floor=floor,
                                            pledge=pledge),
                    "lower the floor or raise the pledge in that year"))
                break
    return problems


def retirement_problems(force: ForceDevelopment, quantity: dict[tuple[str, str], float],
                        where: Where) -> list[Problem]:
    """Retirements that add up to more units than a pool's table holds."""
    retired: dict[tuple[str, str], float] = {}
    problems = []
    for i, retirement in enumerate(force.retirements):
        key = (retirement.country, retirement.pool)
        retired[key] = retired.get(key, 0.0) + retirement.quantity
        if key in quantity and retired[key] > quantity[key] + 1e-9:
            problems.append(where.problem(
                ("force", "retirements", i, "quantity"),
                RETIRED_BEYOND.text(total=retired[key], pool="/".join(key),
                                    quantity=quantity[key]),
                "retire at most the table's quantity"))
    return problems
