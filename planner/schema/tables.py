"""The one schema source for the capability tables.

Loading, validation, defaults and the reference documentation all read these specs, so a
column documented here is exactly a column the loader accepts, and nothing else is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "country", "text", "number", "regions"]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
COUNTRY_PATTERN = r"^[A-Z]{3}$"
# No number in a table or a mission may exceed this: HiGHS treats 1e15 as too large for a
# coefficient and 1e20 as infinite, and no quantity in these units comes near it.
LARGEST = 1e12
ALL_REGIONS = "*"
REGION_SEPARATOR = ";"
TASK_COST_SUFFIX = "_cost"


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
    description="The tasks allies divide; requirements and deliveries are in each task's unit.",
    columns=(
        Column("task", "id", "Task identifier (lower_snake_case)."),
        Column("unit", "text", "Unit of measure for requirements and deliveries."),
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
        "the fixed columns, each task may have two columns: '<task>' is how much of the task "
        "one unit delivers (blank: the pool cannot do it) and '<task>_cost' is the extra cost "
        "of one unit employed on that task for a phase (blank: 0). A pool's quantity is shared "
        "among all its tasks and regions within a phase."
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
    "Amount of the task one unit delivers per phase; blank when the pool cannot do the task.",
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

# Tables a capability folder may leave out (the loader checks them when present).
OPTIONAL_TABLES: tuple[Table, ...] = (PLATFORMS,)
