"""The one schema source for the capability tables.

Loading, validation, defaults and the reference documentation all read these specs, so a
column documented here is exactly a column the loader accepts, and nothing else is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "country", "text", "number", "regions", "choice"]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
COUNTRY_PATTERN = r"^[A-Z]{3}$"
# No number in a table or a mission may exceed this: HiGHS treats 1e15 as too large for a
# coefficient and 1e20 as infinite, and no quantity in these units comes near it.
LARGEST = 1e12
ALL_REGIONS = "*"
REGION_SEPARATOR = ";"
TASK_COST_SUFFIX = "_cost"
TASK_PER_SUFFIX = "_per"

# The time units a rate may be given per, and the days in each: a month is a twelfth of a
# year. A rate given per one unit is converted to another by the ratio of their days (12
# a year is 1 a month), and only there: the model never adds rates of different units.
TIME_UNITS = ("day", "month", "year")
DAYS_PER: dict[str, float] = {"day": 1.0, "month": 365.0 / 12.0, "year": 365.0}
LEVEL = "level"  # a task counted on station (ships, fire units, orbits): no time unit


def rate_factor(given: str, wanted: str) -> float:
    """What one unit per ``given`` is per ``wanted`` (per year -> per month: 1/12)."""
    return DAYS_PER[wanted] / DAYS_PER[given]


@dataclass(frozen=True)
class Column:
    """One column of a capability table."""

    name: str
    kind: Kind
    description: str
    unit: str = ""
    required: bool = True
    default: float | str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # the values a "choice" cell may hold


@dataclass(frozen=True)
class Table:
    """One capability table: its file, key and fixed columns."""

    name: str
    filename: str
    key: str
    description: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


SOURCE = Column(
    "source",
    "text",
    "Where the row's numbers come from: a row of docs/public_facts.md, a public source cited "
    "directly (its web address and an [H]/[M]/[L] confidence tag, as the AUS and PHL tables "
    "do), or 'assumption: <why>'.",
)

COUNTRIES = Table(
    name="countries",
    filename="countries.csv",
    key="country",
    description="The allies: one row per country, each with its own pool table <country>.csv.",
    columns=(
        Column("country", "country", "ISO 3166-1 alpha-3 code, e.g. JPN."),
        Column("name", "text", "Name shown in reports."),
        Column("gdp_usd_bn", "number", "Gross domestic product.", "USD bn", minimum=0),
        Column(
            "defense_budget_usd_bn", "number", "Annual defense spending.", "USD bn", minimum=0
        ),
        Column(
            "home_region",
            "id",
            "The region that is the country's home (blank: none in the theatre). A link "
            "policy between two countries governs each working in the other's home region.",
            required=False,
            default="",
        ),
        SOURCE,
    ),
)

TASKS = Table(
    name="tasks",
    filename="tasks.csv",
    key="task",
    description="The tasks allies divide; requirements and deliveries are in each task's unit "
    "(a level on station, or a flow per day, month or year).",
    columns=(
        Column("task", "id", "Task identifier (lower_snake_case)."),
        Column("unit", "text", "Unit of measure for requirements and deliveries, in words. "
               "For a flow it names the same time unit as `per` (thousand rounds per month "
               "with per = month); for a level it names none."),
        Column(
            "per",
            "choice",
            "Whether the task is a level held on station (`level`: ships, fire units, "
            "orbits) or a flow per `day`, `month` or `year` (rounds produced, overhauls "
            "done). Requirements and deliveries of a flow are rates in this time unit; a "
            "mission or a pool table may give them per another one, and they are converted "
            "(a month is a twelfth of 365 days).",
            required=False,
            default=LEVEL,
            choices=(LEVEL, *TIME_UNITS),
        ),
        Column("description", "text", "What the task is."),
        SOURCE,
    ),
)

REGIONS = Table(
    name="regions",
    filename="regions.csv",
    key="region",
    description="Where tasks are performed.",
    columns=(
        Column("region", "id", "Region identifier (lower_snake_case)."),
        Column("description", "text", "What the region covers."),
        SOURCE,
    ),
)

PHASES = Table(
    name="phases",
    filename="phases.csv",
    key="phase",
    description="Phases of the plan, in time order; each pool's quantity is available anew in "
    "every phase.",
    columns=(
        Column("phase", "id", "Phase identifier (lower_snake_case)."),
        Column("description", "text", "What the phase stands for."),
        SOURCE,
    ),
)

POOLS = Table(
    name="pools",
    filename="<country>.csv",
    key="pool",
    description=(
        "One table per country, named by its code (JPN.csv). One row per asset pool. Besides "
        "the fixed columns, each task may have three columns: '<task>' is how much of the task "
        "one unit delivers (blank: the pool cannot do it), '<task>_cost' is the extra cost "
        "of one unit employed on that task for a phase (blank: 0) and, for a flow task, "
        "'<task>_per' the time unit the delivery is given per (blank: the task's). A pool's "
        "quantity is shared among all its tasks and regions within a phase."
    ),
    columns=(
        Column("pool", "id", "Asset pool identifier, unique within the country."),
        Column("description", "text", "What the pool is."),
        Column("quantity", "number", "Units in the pool.", "units", minimum=0),
        Column(
            "readiness",
            "number",
            "Fraction of the pool available in any phase.",
            "fraction",
            minimum=0,
            maximum=1,
        ),
        Column(
            "cost_per_unit",
            "number",
            "Cost of employing one unit for one phase, on any task.",
            "USD m per unit per phase",
            minimum=0,
        ),
        Column(
            "regions",
            "regions",
            f"Regions where the pool can serve, separated by '{REGION_SEPARATOR}', or "
            f"'{ALL_REGIONS}' for all.",
        ),
        SOURCE,
    ),
)

TASK_DELIVERY = Column(
    "<task>",
    "number",
    "Amount of the task one unit delivers in a phase, in the task's unit (for a flow, a rate "
    "per the task's time unit, or per '<task>_per'); blank when the pool cannot do the task.",
    "task unit per pool unit",
    required=False,
    minimum=0,
)
TASK_COST = Column(
    "<task>_cost",
    "number",
    "Extra cost of one unit employed on the task for a phase (interceptors, fuel).",
    "USD m per unit per phase",
    required=False,
    default=0.0,
    minimum=0,
)

TASK_PER = Column(
    "<task>_per",
    "choice",
    "The time unit the pool's '<task>' delivery is given per, for a flow task: day, month or "
    "year; it is converted to the task's `per` in tasks.csv (60 per year is 5 per month). "
    "Blank: the task's own. A level task takes none.",
    required=False,
    default="",
    choices=TIME_UNITS,
)
TASK_COLUMNS: tuple[Column, ...] = (TASK_DELIVERY, TASK_COST, TASK_PER)

REFERENCE_TABLES: tuple[Table, ...] = (COUNTRIES, TASKS, REGIONS, PHASES)

PLATFORMS = Table(
    name="platforms",
    filename="platforms.csv",
    key="pool",
    description=(
        "Optional. Pools that are common or co-produced platforms of the allies (Aegis, P-8, "
        "PAC-3, F-35), one row per pool so marked: the plan reports the share of its cost and "
        "of each task's delivery they carry (cohesion and asset specificity)."
    ),
    columns=(
        Column("country", "country", "The pool's country (a row of countries.csv)."),
        Column("pool", "id", "The pool, a row of the country's pool table."),
        Column("platform", "id", "The platform the pool fields or builds, e.g. aegis, p8, "
               "pac3, f35: pools of several allies with the same platform share it."),
        Column("production", "text", "common (the same platform in several allies' forces) "
               "or co-produced (built under licence or jointly with another ally)."),
        SOURCE,
    ),
)
PRODUCTION = ("common", "co-produced")

BASING = Table(
    name="basing",
    filename="basing.csv",
    key="country, pool",
    description=(
        "Optional. Where forces operate from: one row per pool based on another ally's "
        "territory (US destroyers at Yokosuka, US Patriot batteries in Korea), naming the "
        "host. A pool with no row operates from its own country. `access` policies read it: "
        "what a country's forces based on a host's territory may do needs the host's "
        "consent (Japan's prior consultation, Korea's consent, the Philippines' EDCA sites)."
    ),
    columns=(
        Column("country", "country", "The pool's country (a row of countries.csv)."),
        Column("pool", "id", "The pool, a row of the country's pool table."),
        Column("host", "country", "The country whose territory the pool operates from (a "
               "row of countries.csv, not the pool's own)."),
        Column("site", "text", "Where, in words (Yokosuka, Seongju); may be blank."),
        SOURCE,
    ),
)

# Tables a capability folder may leave out (the loader checks them when present).
OPTIONAL_TABLES: tuple[Table, ...] = (PLATFORMS, BASING)

# --- stocks (optional tables): what each country holds of what its forces use up -----------

CONDITION_SEPARATOR = ";"  # between two flag conditions of a `when` or `unless` cell
VALUE_SEPARATOR = "|"  # between two values of one flag in a condition

STOCKS = Table(
    name="stocks",
    filename="stocks.csv",
    key="country, stock",
    description=(
        "Optional. The stocks the forces use up (missiles, interceptors, shells, spares): one "
        "row per country and stock, with the opening inventory, what its lines produce and a "
        "surge after a lead time. They apply only to a mission that says "
        "`stocks_from_tables: true` (and gives its phases days with `periods`); a stock the "
        "mission declares itself, for the same country, replaces the table's row."
    ),
    columns=(
        Column("country", "country", "The country holding the stock (a row of "
               "countries.csv)."),
        Column("stock", "id", "What is stocked, e.g. pac3; the same name in two countries is "
               "the same item (it can be transferred), so it has the same unit in both."),
        Column("unit", "text", "What one unit of the stock is, in words (missiles, "
               "interceptors): a count, with no time unit.", required=False,
               default="units"),
        Column("opening", "number", "Inventory at the start of the first period.",
               "stock units", minimum=0),
        Column("production", "number", "Units produced per `per` for this theatre, from the "
               "first day.", "stock units per `per`", required=False, default=0.0,
               minimum=0),
        Column("surge", "number", "Extra units per `per` once the surge arrives.",
               "stock units per `per`", required=False, default=0.0, minimum=0),
        Column("surge_after_days", "number", "Days from the start of the first period until "
               "the surge arrives (a lead time).", "days", required=False, default=0.0,
               minimum=0),
        Column("per", "choice", "The time unit of production and surge (a month is a "
               "twelfth of 365 days).", required=False, default="year", choices=TIME_UNITS),
        Column("production_cost", "number", "Cost of one unit produced.", "USD m per unit",
               required=False, default=0.0, minimum=0),
        SOURCE,
    ),
)

STOCK_USES = Table(
    name="stock_uses",
    filename="stock_uses.csv",
    key="country, pool, task, stock",
    description=(
        "Optional. What a pool employed on a task uses of its country's stock, per unit "
        "employed and per day (a Patriot battery on station fires interceptors): one row per "
        "country, pool, task and stock, the stock a row of stocks.csv. Applies with the "
        "stocks, to a mission that says `stocks_from_tables: true`; a use the mission gives "
        "itself, for the same pool, task and stock, replaces the table's row."
    ),
    columns=(
        Column("country", "country", "The pool's country; it draws on its own stock."),
        Column("pool", "id", "The pool, by its identifier in the country's table."),
        Column("task", "id", "The task on which the pool uses the stock."),
        Column("stock", "id", "The stock used (a row of stocks.csv for the country)."),
        Column("per_day", "number", "Units of the stock used per unit of the pool employed "
               "on the task, per day.", "stock units per pool unit per day", minimum=0),
        Column("phases", "text", "The phases in which it is used, separated by "
               f"'{REGION_SEPARATOR}' (blank: every phase).", required=False, default=""),
        Column("regions", "regions", "The regions in which it is used, separated by "
               f"'{REGION_SEPARATOR}', or '{ALL_REGIONS}' (blank: every region).",
               required=False, default=ALL_REGIONS),
        Column("when", "text", "Flag conditions under which the pool uses the stock, as "
               f"flag=value, several separated by '{CONDITION_SEPARATOR}', several values of "
               f"one flag by '{VALUE_SEPARATOR}' (blank: always), e.g. "
               "japan_situation=survival_threatening.", required=False, default=""),
        Column("unless", "text", "Flag conditions under which it does not, written as "
               "`when` (blank: none).", required=False, default=""),
        SOURCE,
    ),
)

STOCK_TABLES: tuple[Table, ...] = (STOCKS, STOCK_USES)
