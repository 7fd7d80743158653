"""Mission files: the YAML schema, loading with located errors, and checks against the tables.

A mission says what the alliance must cover (requirements per task, region and phase) and
how a shortfall is priced. Models are frozen and forbid unknown keys, so a misspelt key is
an error rather than a silently ignored setting.
"""

from __future__ import annotations

import os
from itertools import groupby
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from planner.errors import InputError, Problem, refusal, suggest, unknown
from planner.inputs.load import Where, read_yaml
from planner.schema import tables as schema
from planner.schema.force import (
    Acquisition,
    Budget,
    Change,
    Crew,
    ForceDevelopment,
    Line,
    Personnel,
    Retirement,
    check_force,
)
from planner.schema.policy import (
    KINDS,
    AnyPolicy,
    Flag,
    Frozen,
    Policy,
    Standing,
    check_flags,
    check_policies,
)
from planner.schema.sustainment import Per, Period, Stock, Transfer, Use

M = TypeVar("M", bound=BaseModel)
Identifier = Annotated[str, Field(pattern=schema.ID_PATTERN)]
Amount = Annotated[float, Field(ge=0, le=schema.LARGEST, allow_inf_nan=False)]
PoolRef = Annotated[str, Field(pattern=r"^[A-Z]{3}/[a-z][a-z0-9_]*$")]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


PHASE_AND_MAPPING = refusal(
    "Requirement", "A `phase` beside amounts per phase.",
    "give either 'phase' with one amount, or amounts per phase",
    {"task": "isr", "region": "japan", "phase": "crisis", "amount": {"crisis": 1}})
NO_AMOUNTS = refusal(
    "Requirement", "Amounts per phase that name no phase.", "amount per phase is empty",
    {"task": "isr", "region": "japan", "amount": {}})
NO_PHASE = refusal(
    "Requirement", "One amount without a `phase`.",
    "'phase' is missing: give a phase, or amounts per phase like {{peacetime: 2, crisis: 4}}",
    {"task": "isr", "region": "japan", "amount": 1})
PHASE_NOT_PLANNED = refusal(
    "Requirement", "A requirement in a phase the mission does not plan for (not in its "
    "`phases`).", "unknown phase '{phase}' (not among the mission's phases)",
    {"task": "isr", "region": "japan", "phase": "conflict", "amount": 1})
PER_OF_A_LEVEL = refusal(
    "Requirement", "A `per` for a task that is a level on station (its `per` in tasks.csv "
    "is `level`): a level has no time unit.",
    "{task} is a level on station (per in tasks.csv), so its amount has no time unit",
    {"task": "isr", "region": "japan", "phase": "crisis", "amount": 1, "per": "month"})
REQUIREMENT_TWICE = refusal(
    "Requirement", "The same task, region and phase required twice in one mission (a "
    "mission that extends another replaces the parent's requirement instead).",
    "requirement {task} in {region}, {phase} is given twice (first at {first})",
    {"task": "isr", "region": "japan", "phase": "crisis", "amount": 1},
    {"task": "isr", "region": "japan", "amount": {"crisis": 2}})


PENALTY_AND_TIER = refusal(
    "Requirement", "Both a `penalty` (a value given as a figure) and a `tier` (a value "
    "derived by the tier rule).", "'penalty' and 'tier' both set the value: keep one",
    {"task": "isr", "region": "japan", "phase": "crisis", "amount": 1, "penalty": 50,
     "tier": "vital"})


class Requirement(Frozen):
    """How much of a task the alliance must deliver in a region, in one or several phases.

    Either ``phase`` with a single ``amount``, or ``amount`` as a mapping phase -> amount.
    """

    task: Identifier = Field(description="A task of tasks.csv.")
    region: Identifier = Field(description="A region of regions.csv.")
    phase: Identifier | None = Field(
        default=None, description="The one phase of a single amount; leave it out when amount "
        "is given per phase.")
    amount: Amount | dict[Identifier, Amount] = Field(
        description="How much, in the task's unit: one number (with phase), or a mapping "
        "phase: amount, e.g. {crisis: 4, conflict: 8}.")
    per: Per | None = Field(
        default=None, description="For a flow task (per day, month or year in tasks.csv): "
        "the time unit the amount is given per, when not the task's own; it is converted "
        "to the task's (120 per year is 10 per month, a month being a twelfth of 365 "
        "days) and the plan's note says so. A level task takes none.")
    penalty: Amount | None = Field(
        default=None,
        description="The requirement's value: USD m per unit of the task left uncovered. "
        "Default: from its tier (tier, else the objective's task_tiers), else the "
        "objective's shortfall_penalty.",
    )
    tier: Identifier | None = Field(
        default=None,
        description="A priority tier of the objective's tiers: the value per unit is the "
        "tier's factor times the cost per task unit of the dearest pool able to deliver the "
        "task in the region. Default: the objective's task_tiers for the task.")
    note: str = Field(
        default="", description="Where the amount comes from: 'assumption: ...' or a "
        "public_facts row.")

    @model_validator(mode="after")
    def _phase_given_once(self) -> Requirement:
        if self.penalty is not None and self.tier is not None:
            raise PENALTY_AND_TIER.error()
        if isinstance(self.amount, dict):
            if self.phase is not None:
                raise PHASE_AND_MAPPING.error()
            if not self.amount:
                raise NO_AMOUNTS.error()
        elif self.phase is None:
            raise NO_PHASE.error()
        return self

    def by_phase(self) -> dict[str, float]:
        """The amount required in each phase this requirement names."""
        if isinstance(self.amount, dict):
            return dict(self.amount)
        assert self.phase is not None
        return {self.phase: self.amount}


SCALE_AND_QUANTITY = refusal(
    "Override", "Both `scale` and `quantity`.",
    "'scale' and 'quantity' both change the quantity: keep one",
    {"country": "JPN", "pool": "aegis_ddg", "scale": 2, "quantity": 3})
REMOVED_TAKES_NO_CHANGE = refusal(
    "Override", "`remove: true` with a change.", "a removed pool takes no other change",
    {"country": "JPN", "pool": "aegis_ddg", "remove": True, "readiness": 0.5})
NO_CHANGE = refusal(
    "Override", "An override that changes nothing.",
    "an override needs a change: scale, quantity, readiness, cost_per_unit, remove: true or "
    "remove: false", {"country": "JPN", "pool": "aegis_ddg"})
NO_SUCH_POOL = refusal(
    "Override", "A pool the country's table does not have (in `integer_units` and spreads "
    "too).", "{country} has no pool '{pool}'",
    {"country": "JPN", "pool": "aegis_dd", "scale": 2})
OVERRIDDEN_TWICE = refusal(
    "Override", "The same value of a pool changed twice in one mission, a removal counting "
    "as a change of every value (a mission that extends another replaces the parent's "
    "change of that value instead).",
    "the {value} of {pool} is overridden twice (first at {first})",
    {"country": "JPN", "pool": "aegis_ddg", "readiness": 0.5},
    {"country": "JPN", "pool": "aegis_ddg", "readiness": 0.6})
REMOVED_AND_CHANGED = refusal(
    "Override", "A change of a pool below its removal in the same file, or in a mission "
    "that extends the one removing it without saying `remove: false` (the removal "
    "stands).",
    "{pool} is removed (at {first}) and changed here",
    {"country": "JPN", "pool": "aegis_ddg", "remove": True},
    {"country": "JPN", "pool": "aegis_ddg", "readiness": 0.5})
REMOVED_AND_BACK = refusal(
    "Override", "`remove: true` and `remove: false` of one pool in one file.",
    "{pool} is removed (at {first}) and brought back here",
    {"country": "JPN", "pool": "aegis_ddg", "remove": True},
    {"country": "JPN", "pool": "aegis_ddg", "remove": False})


class Override(Frozen):
    """A change to one pool of the capability tables, for this mission only.

    ``scale`` multiplies the table's quantity, ``quantity`` sets it; ``readiness`` and
    ``cost_per_unit`` replace the table's value; ``remove: true`` takes the pool out, and
    ``remove: false`` brings back a pool that the mission it extends removed. The tables on
    disk are never modified, and the Plan records each change with its source.
    """

    country: Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)] = Field(
        description="The country whose pool is changed.")
    pool: Identifier = Field(description="The pool, by its identifier in the country's table.")
    scale: Amount | None = Field(
        default=None, description="Multiply the table's quantity by this factor (in a "
        "mission that extends another, the table's, not the parent's: it replaces the "
        "parent's scale or quantity of the pool).")
    quantity: Amount | None = Field(default=None, description="Set the pool's quantity.")
    readiness: Annotated[float, Field(ge=0, le=1)] | None = Field(
        default=None, description="Set the pool's readiness (0 to 1).")
    cost_per_unit: Amount | None = Field(
        default=None, description="Set the pool's cost per unit and phase (USD m).")
    remove: bool | None = Field(
        default=None, description="true takes the pool out of the mission; false brings back "
        "a pool that the mission it extends removed (a change of such a pool without it is "
        "an error).")
    source: str = Field(description="Why: a row of public_facts.md, or 'assumption: ...'.")

    @model_validator(mode="after")
    def _one_change_per_value(self) -> Override:
        if self.scale is not None and self.quantity is not None:
            raise SCALE_AND_QUANTITY.error()
        if self.remove and self.changes():
            raise REMOVED_TAKES_NO_CHANGE.error()
        if self.remove is None and not self.changes():
            raise NO_CHANGE.error()
        return self

    def changes(self) -> dict[str, tuple[str, float]]:
        """Each changed column: (how it is given, the number)."""
        given = {"quantity": ("scale", self.scale) if self.scale is not None
                 else ("quantity", self.quantity),
                 "readiness": ("readiness", self.readiness),
                 "cost_per_unit": ("cost_per_unit", self.cost_per_unit)}
        return {column: (how, value) for column, (how, value) in given.items()
                if value is not None}

    def values(self) -> set[str]:
        """The values this override sets (all of them when it removes the pool)."""
        return {"quantity", "readiness", "cost_per_unit"} if self.remove else set(
            self.changes())


# The parameters each distribution needs and those it takes.
SHAPES: dict[str, tuple[set[str], set[str]]] = {
    "uniform": ({"low", "high"}, {"low", "high"}),
    "triangular": ({"low", "high"}, {"low", "high", "mode"}),
    "beta": ({"concentration"}, {"mean", "concentration"}),
}
PARAMETERS = ("low", "high", "mode", "mean", "concentration")


POOL_AND_COUNTRY = refusal(
    "Spread", "A spread with both `pool` and `country`.", "give 'pool' or 'country', not both",
    {"pool": "JPN/aegis_ddg", "country": "JPN", "distribution": "uniform", "low": 0.5,
     "high": 0.9})
PARAMETER_MISSING = refusal(
    "Spread", "A spread without a parameter its distribution needs (`uniform` and "
    "`triangular`: `low` and `high`; `beta`: `concentration`).",
    "a {distribution} spread needs {missing}",
    {"pool": "JPN/aegis_ddg", "distribution": "uniform", "low": 0.5})
PARAMETER_FOREIGN = refusal(
    "Spread", "A parameter its distribution does not take (`uniform`: only `low` and "
    "`high`; `triangular`: those and `mode`; `beta`: only `mean` and `concentration`).",
    "a {distribution} spread takes no {extra} (it takes {taken})",
    {"pool": "JPN/aegis_ddg", "distribution": "uniform", "low": 0.5, "high": 0.9,
     "mode": 0.7})
LOW_ABOVE_HIGH = refusal(
    "Spread", "`low` above `high`.", "low ({low:g}) is above high ({high:g})",
    {"pool": "JPN/aegis_ddg", "distribution": "uniform", "low": 0.9, "high": 0.5})
MODE_OUTSIDE = refusal(
    "Spread", "A `mode` outside [`low`, `high`].",
    "mode ({mode:g}) lies outside [low, high] = [{low:g}, {high:g}]",
    {"pool": "JPN/aegis_ddg", "distribution": "triangular", "low": 0.5, "high": 0.7,
     "mode": 0.9})


class Spread(Frozen):
    """How uncertain the readiness of a pool is: of one pool, of every pool of a country, or
    of every pool. ``planner analyze montecarlo`` draws each pool's readiness from the last
    spread that covers it; a table's single readiness hides how far it can fall."""

    pool: PoolRef | None = Field(
        default=None, description="The pool as COUNTRY/pool; leave out (with country) for "
        "every pool.")
    country: Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)] | None = Field(
        default=None, description="Every pool of this country (instead of pool).")
    distribution: Literal["uniform", "triangular", "beta"] = Field(
        description="uniform on [low, high]; triangular on [low, high] peaking at mode; beta "
        "on [0, 1] with a mean and a concentration.")
    low: Share | None = Field(default=None, description="Lowest readiness (uniform, "
                              "triangular).")
    high: Share | None = Field(default=None, description="Highest readiness (uniform, "
                               "triangular).")
    mode: Share | None = Field(
        default=None, description="Most likely readiness (triangular); default: the pool's "
        "readiness in the tables, after the mission's overrides.")
    mean: Annotated[float, Field(gt=0, lt=1)] | None = Field(
        default=None, description="Mean readiness (beta), strictly between 0 and 1; default: "
        "the pool's readiness in the tables.")
    concentration: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] | None = Field(
        default=None, description="alpha + beta of the beta distribution: the larger, the "
        "narrower around the mean (the variance is mean (1 - mean) / (concentration + 1)).")
    source: str = Field(description="Where the spread comes from: a row of public_facts.md, "
                        "or 'assumption: ...'.")

    @model_validator(mode="after")
    def _parameters_fit(self) -> Spread:
        if self.pool is not None and self.country is not None:
            raise POOL_AND_COUNTRY.error()
        needed, taken = SHAPES[self.distribution]
        given = {name for name in PARAMETERS if getattr(self, name) is not None}
        if needed - given:
            raise PARAMETER_MISSING.error(distribution=self.distribution,
                                          missing=" and ".join(sorted(needed - given)))
        if given - taken:
            raise PARAMETER_FOREIGN.error(distribution=self.distribution,
                                          extra=" or ".join(sorted(given - taken)),
                                          taken=", ".join(sorted(taken)))
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise LOW_ABOVE_HIGH.error(low=self.low, high=self.high)
            if self.mode is not None and not self.low <= self.mode <= self.high:
                raise MODE_OUTSIDE.error(mode=self.mode, low=self.low, high=self.high)
        return self

    @property
    def covers(self) -> str:
        """What the spread is about, as a reader names it."""
        return self.pool or (f"every pool of {self.country}" if self.country else "every pool")

    def applies_to(self, country: str, pool: str) -> bool:
        if self.pool is not None:
            return self.pool == f"{country}/{pool}"
        return self.country is None or self.country == country


class Uncertainty(Frozen):
    """What a mission is unsure of, for ``planner analyze montecarlo``."""

    readiness: list[Spread] = Field(
        min_length=1, description="Readiness spreads; a later one replaces an earlier one "
        "for the pools both cover. Pools no spread covers keep the tables' readiness.")


class Objective(Frozen):
    """What the plan minimises: employment cost plus priced shortfalls."""

    shortfall_penalty: Amount = Field(
        default=1000.0,
        description="USD m per unit of a requirement left uncovered, unless the requirement "
        "sets its own penalty. Set it well above any unit cost so that shortfalls happen only "
        "when capacity or policy leaves no other way.",
    )
    tiers: dict[Identifier, Annotated[float, Field(gt=0, le=schema.LARGEST,
                                                   allow_inf_nan=False)]] = Field(
        default={}, description="Priority tiers and their factors, e.g. {vital: 10, major: "
        "5}: a requirement of a tier is worth the factor times the cost per task unit of "
        "the dearest pool able to deliver its task in its region.")
    task_tiers: dict[Identifier, Identifier] = Field(
        default={}, description="The tier of each task's requirements, e.g. "
        "{ground_deterrence: vital}; a requirement's own tier or penalty comes first.")
    region_tiers: dict[Identifier, dict[Identifier, Identifier]] = Field(
        default={}, description="A region's own tier for a task, where the alliance ranks "
        "it otherwise than task_tiers, e.g. {korean_peninsula: {munitions_supply: vital}}: "
        "a regional priority on the tiers' one scale (say why in values_source). Before "
        "task_tiers, after a requirement's own tier or penalty.")
    values_source: str = Field(
        default="", description="Where the tiers and their factors come from: "
        "'assumption: ...' or a public_facts row; shown with every value.")


class Priorities(Frozen):
    """One ally's threat perception: how much it cares about each region and task. A
    requirement's weight for the ally is its region's weight (1 for every region when none is
    named; 0 for a region not named) times its task's (1 for a task not named)."""

    regions: dict[Identifier, Annotated[float, Field(ge=0, le=schema.LARGEST,
                                                     allow_inf_nan=False)]] = Field(
        default={}, description="Weight per region, e.g. {korean_peninsula: 3, japan: 1}; "
        "regions not named weigh 0 (none named: every region weighs 1).")
    tasks: dict[Identifier, Annotated[float, Field(ge=0, le=schema.LARGEST,
                                                   allow_inf_nan=False)]] = Field(
        default={}, description="Weight per task, multiplying the region's; tasks not named "
        "weigh 1.")
    source: str = Field(
        default="", description="Where the weights come from: 'assumption: ...' or a "
        "public_facts row.")

    def weight(self, task: str, region: str) -> float:
        """How much the ally cares about a requirement of this task in this region."""
        by_region = self.regions.get(region, 0.0) if self.regions else 1.0
        return by_region * self.tasks.get(task, 1.0)


PHASES_TWICE = refusal(
    "Mission", "A phase listed twice in `phases`.", "phases are listed twice",
    {"phases": ["crisis", "crisis"]})
COUNTRIES_TWICE = refusal(
    "Mission", "A country listed twice in `countries`.", "countries are listed twice",
    {"countries": ["JPN", "JPN"]})
NO_PARENT = refusal(
    "Mission", "`extends` naming a mission that is not beside the file.",
    "the mission '{name}' it extends does not exist", {"extends": "nowhere"})
EXTENDS_ABSOLUTE = refusal(
    "Mission", "`extends` with an absolute path (or one starting with `~`).",
    "'extends: {name}' is an absolute path", {"extends": "/tmp/other.yaml"})
EXTENDS_OUTSIDE = refusal(
    "Mission", "`extends` with a relative path that leads out of the folder of the mission "
    "run (a mission names its parents among its neighbours).",
    "'extends: {name}' leads out of the missions folder {folder}/",
    {"extends": "../other.yaml"})
EXTENDS_CYCLE = refusal(
    "Mission", "A mission that extends itself, directly or through others (the example is "
    "`example.yaml`).", "'extends' makes a cycle: {cycle}", {"extends": "example"})

P30 = [{"phase": "crisis", "days": 30}]
PAC3 = {"country": "USA", "stock": "pac3", "opening": 10, "source": "test"}
PERIODS_NOT_PHASES = refusal(
    "Mission", "`periods` that do not follow `phases`: every phase needs one or more periods, "
    "listed together and in the phases' order.",
    "periods must cover the mission's phases in order, each phase's periods together",
    {"periods": [{"phase": "conflict", "days": 7}]})
PERIOD_TWICE = refusal(
    "Mission", "Two periods with the same name (a phase split into periods names each).",
    "two periods have the same name: name each period of a split phase",
    {"periods": [{"phase": "crisis", "days": 7}, {"phase": "crisis", "days": 23}]})
STOCKS_NEED_PERIODS = refusal(
    "Mission", "`stocks`, `uses`, `transfers` or `stocks_from_tables: true` without "
    "`periods` (a stock is used up over days).", "stocks need periods with days",
    {"stocks": [PAC3]})
STOCK_TWICE = refusal(
    "Mission", "A country's stock declared twice.", "a country's stock is declared twice",
    {"periods": P30, "stocks": [PAC3, dict(PAC3)]})
STOCK_NOT_DECLARED = refusal(
    "Mission", "A use or transfer of a stock not declared for that country in `stocks`.",
    "{country} has no stock '{stock}' in stocks: declare it (opening: 0 if it holds none)",
    {"periods": P30, "stocks": [PAC3], "transfers": [
        {"name": "to_usa", "supplier": "JPN", "recipient": "USA", "stock": "pac3",
         "source": "test"}]})


class Mission(Frozen):
    """A mission: requirements over phases, scenario flags, its own policies, the objective."""

    name: Identifier = Field(
        description="The mission's name: plans are written to plans/<name>/ and reports name "
        "it.")
    description: str = Field(
        description="What the mission stands for, in a few sentences; shown in plans and "
        "reports.")
    extends: str | None = Field(
        default=None, description="A mission this one starts from (a name beside this file).")
    countries: list[Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)]] | None = Field(
        default=None, min_length=1, description="The allies taking part, e.g. [USA, JPN, KOR]; "
        "default: every country in the tables. Policies naming a country not taking part are "
        "set aside; a lead_nation policy chooses among its candidates taking part, and is "
        "set aside when none does.")
    phases: list[Identifier] = Field(
        min_length=1, description="The phases planned for, in time order, from phases.csv.")
    flags: dict[Identifier, Identifier] = Field(
        default={}, description="Scenario flags, e.g. gsomia: suspended; unset flags take "
        "their default from capabilities/policies.yaml.")
    requirements: list[Requirement] = Field(
        min_length=1, description="What the alliance must deliver: task, region and amount "
        "per phase.")
    policies: list[AnyPolicy] = Field(
        default=[], description="Mission-specific policies, added to the standing ones; one "
        "with the name of a standing policy replaces it.")
    overrides: list[Override] = Field(
        default=[], description="Changes to the capability tables for this mission only.")
    integer_units: bool | list[PoolRef] = Field(
        default=False, description="Whole units (a MIP): true for every pool, or a list of "
        "pools as COUNTRY/pool.")
    objective: Objective = Field(
        default=Objective(), description="What the plan minimises; see Objective.")
    priorities: dict[Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)], Priorities] = Field(
        default={}, description="Each ally's priorities over regions and tasks (its threat "
        "perception), for planner analyze priorities: how acceptable a plan is to each ally "
        "and the joint plan that the least satisfied ally finds most acceptable.")
    burden_index_base: Literal["gdp", "budget"] = Field(
        default="gdp", description="What the burden index divides each ally's share of the "
        "cost it bears by: gdp (its share of the allies' GDP: in-theatre cost against the "
        "whole economy) or budget (its share of the allies' defense budgets: against what "
        "it spends on defense).")
    uncertainty: Uncertainty | None = Field(
        default=None, description="Readiness spreads for planner analyze montecarlo; a "
        "mission that extends another replaces its parent's uncertainty whole.")
    periods: list[Period] | None = Field(
        default=None, description="The phases' lengths in days, in time order, each phase "
        "one period or split into several (conflict days 1-7, 8-30, 31-90). Costs and "
        "penalties stay per unit and phase: a period carries its share of the phase's days. "
        "Needed for stocks.")
    stocks: list[Stock] = Field(
        default=[], description="Stocks the forces use up (munitions, interceptors): opening "
        "inventory, production and surge per country.")
    uses: list[Use] = Field(
        default=[], description="What a pool employed on a task uses of a stock per day.")
    transfers: list[Transfer] = Field(
        default=[], description="Routes on which one ally may ship a stock to another, "
        "with a lead time and the flag conditions that open them.")
    stocks_from_tables: bool = Field(
        default=False, description="true: the stocks and uses of the capability tables "
        "(stocks.csv, stock_uses.csv) apply to this mission, for its countries; a stock it "
        "declares in `stocks` for the same country, and a use in `uses` for the same pool, "
        "task and stock, replace the table's row. Needs `periods`. A mission without it "
        "uses only the stocks it declares, so table stocks never reach a mission that did "
        "not ask for them.")
    force: ForceDevelopment | None = Field(
        default=None, description="Years as investment periods (force development): "
        "acquisitions, retirements, budgets, personnel and requirements that change year by "
        "year; see ForceDevelopment. A mission that extends another replaces each of its "
        "parent's force keys it gives (budgets, lines, ...) whole.")

    @model_validator(mode="after")
    def _phases_unique(self) -> Mission:
        if len(set(self.phases)) != len(self.phases):
            raise PHASES_TWICE.error()
        if self.countries and len(set(self.countries)) != len(self.countries):
            raise COUNTRIES_TWICE.error()
        return self

    @model_validator(mode="after")
    def _periods_fit(self) -> Mission:
        if self.periods is not None:
            order = list(dict.fromkeys(p.phase for p in self.periods))
            if order != self.phases or len(order) != len(
                    [k for k, _ in groupby(p.phase for p in self.periods)]):
                raise PERIODS_NOT_PHASES.error()
            labels = [p.label for p in self.periods]
            if len(set(labels)) != len(labels):
                raise PERIOD_TWICE.error()
        if (self.stocks or self.uses or self.transfers or self.stocks_from_tables) and (
                self.periods is None):
            raise STOCKS_NEED_PERIODS.error()
        declared = {(s.country, s.stock) for s in self.stocks}
        if len(declared) != len(self.stocks):
            raise STOCK_TWICE.error()
        if self.stocks_from_tables:
            return self  # the tables may declare more: check_mission checks against them
        for use in self.uses:
            if (use.country, use.stock) not in declared:
                raise STOCK_NOT_DECLARED.error(country=use.country, stock=use.stock)
        for route in self.transfers:
            for country in (route.supplier, route.recipient):
                if (country, route.stock) not in declared:
                    raise STOCK_NOT_DECLARED.error(country=country, stock=route.stock)
        return self


# Every part of a mission or of policies.yaml: keys are checked against its model.
UNKNOWN_KEY = refusal(
    "Mission", "A key that part of the file does not define, in any part of a mission or of "
    "`capabilities/policies.yaml`; the hint names the closest key or lists the allowed ones.",
    "unknown key '{key}'", {"phase": "crisis"})
MISSING_KEY = refusal(
    "Mission", "A required key left out, in any part (a misspelt one is reported as unknown "
    "instead).", "required key is missing", {"uncertainty": {}})
MISSING = MISSING_KEY.text()


def validated(model: type[M], document: dict[str, Any], where: Where) -> M:
    """A pydantic model from a YAML document; its errors located by file, line and key."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        by_path: dict[tuple[Any, ...], list[str]] = {}
        checked: set[tuple[Any, ...]] = set()  # where a value's own check failed
        mistyped: set[tuple[tuple[Any, ...], str]] = set()  # a union's other types' errors
        hints: dict[tuple[Any, ...], str | None] = {}
        for error in exc.errors():
            loc = clean_loc(error["loc"], where.lines)
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = MISSING
            if error["type"] == "extra_forbidden":
                key = error["loc"][-1] if error["loc"] else ""
                message = UNKNOWN_KEY.text(key=key)
                if loc:
                    hints[loc] = known_keys_hint(model, error["loc"])
            if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = (*loc, "kind")  # a policy's kind: unknown, or not given
                if error["type"] == "union_tag_not_found":
                    message = MISSING
                else:
                    message, hints[loc] = unknown("policy kind", str(error["ctx"]["tag"]),
                                                  KINDS)
            by_path.setdefault(loc, [])
            if message not in by_path[loc]:
                by_path[loc].append(message)
            if error["type"] == "value_error":
                checked.add(loc)
            elif error["type"].endswith("_type"):
                mistyped.add((loc, message))
        for loc in checked:  # the value had a type the union takes: its check says it all
            by_path[loc] = [m for m in by_path[loc] if (loc, m) not in mistyped]
        for loc in [loc for loc, messages in by_path.items() if messages == [MISSING] and loc]:
            siblings = [other for other in by_path if other and other[:-1] == loc[:-1]
                        and other != loc and isinstance(other[-1], str)]
            if any(suggest(str(other[-1]), [str(loc[-1])]) for other in siblings):
                del by_path[loc]  # a misspelt key: its "unknown key" message says it all
        problems = [where.problem(loc, "; or ".join(messages), hints.get(loc))
                    for loc, messages in by_path.items()]
        raise InputError(problems) from None


def load_mission(path: Path, label: str | None = None,
                 chain: tuple[Path, ...] = ()) -> tuple[Mission, Where]:
    """Read and validate one mission file's structure (not yet against the tables), with
    where each of its keys was written.

    A mission that ``extends`` another starts from it: its own keys replace the parent's,
    except ``requirements`` (replaced per task and region), ``policies`` (replaced per name),
    ``overrides`` (replaced per pool and value: quantity, readiness, cost; a removal stands
    unless the child says ``remove: false``) and ``flags`` (replaced per flag), which are
    merged. Problems in inherited parts point at the file they were written in.
    """
    label = label or str(path)
    document, where = read_yaml(path, label)
    parent_name = document.get("extends")
    if isinstance(parent_name, str):
        folder = (chain[0] if chain else path.resolve()).parent
        outside = outside_folder(path, parent_name, folder)
        if outside:
            raise InputError([where.problem(("extends",), outside,
                                            f"copy the mission into {folder.name}/ and "
                                            "name it without a path")])
        parent_path = parent_file(path, parent_name)
        here = path.resolve()
        if parent_path is None:
            raise InputError([where.problem(("extends",), NO_PARENT.text(name=parent_name),
                                            f"put {parent_name}.yaml beside {path.name}")])
        if parent_path.resolve() in (*chain, here):
            cycle = " -> ".join(p.stem for p in (*chain, here, parent_path.resolve()))
            raise InputError([where.problem(("extends",), EXTENDS_CYCLE.text(cycle=cycle),
                                            "remove one of the 'extends' keys")])
        parent, parent_where = load_mission(parent_path, sibling_label(label, path, parent_path),
                                            (*chain, here))
        document, where = inherit(parent.model_dump(mode="json"), parent_where, document,
                                  where)
    return validated(Mission, document, where), where


def sibling_label(label: str, child: Path, parent: Path) -> str:
    """How to name a parent mission file: where it is from the child's label, so that
    ``extends: ../other/m.yaml`` is named by the path the user wrote."""
    return os.path.normpath(Path(label).parent / os.path.relpath(parent, child.parent))


def outside_folder(path: Path, name: str, folder: Path) -> str | None:
    """Why a mission may not extend ``name``: an absolute path, or one that leads out of
    the folder of the mission first read (a mission names its parents among its
    neighbours, so that a folder of missions can be moved or shared whole)."""
    if Path(name).is_absolute() or name.startswith("~"):
        return EXTENDS_ABSOLUTE.text(name=name)
    target = (path.parent / name).resolve()
    if folder != target and folder not in target.parents:
        return EXTENDS_OUTSIDE.text(name=name, folder=folder.name)
    return None


def parent_file(path: Path, name: str) -> Path | None:
    """The mission a mission extends: a name beside it, or a path relative to it."""
    candidates = [path.parent / name] if Path(name).suffix else [
        path.parent / f"{name}{suffix}" for suffix in (".yaml", ".yml")]
    return next((c for c in candidates if c.is_file()), None)


KEYED_LISTS = {"requirements": ("task", "region"), "policies": ("name",)}
OVERRIDE_KEYS = {"quantity": ("scale", "quantity"), "readiness": ("readiness",),
                 "cost_per_unit": ("cost_per_unit",)}


def inherit(parent: dict[str, Any], parent_where: Where, child: dict[str, Any],
            child_where: Where) -> tuple[dict[str, Any], Where]:
    """The child's document on top of its parent's, merging the keyed lists, and where each
    part of the merged document was written."""
    merged = {**parent, **child}
    redirects = {(key,): (parent_where, (key,)) for key in parent if key not in child}
    for field, key in KEYED_LISTS.items():
        if isinstance(child.get(field), list):
            kept = kept_by_key(parent[field], child[field], key)
            merged[field] = [parent[field][i] for i in kept] + child[field]
            redirects |= {(field, new): (parent_where, (field, old))
                          for new, old in enumerate(kept)}
            redirects |= {(field, len(kept) + i): (child_where, (field, i))
                          for i in range(len(child[field]))}
    if isinstance(child.get("overrides"), list):
        kept, trimmed = kept_overrides(parent["overrides"], child["overrides"])
        merged["overrides"] = trimmed + child["overrides"]
        redirects |= {("overrides", new): (parent_where, ("overrides", old))
                      for new, old in enumerate(kept)}
        redirects |= {("overrides", len(kept) + i): (child_where, ("overrides", i))
                      for i in range(len(child["overrides"]))}
    if isinstance(child.get("force"), dict) and isinstance(parent.get("force"), dict):
        merged["force"] = {**parent["force"], **child["force"]}
        redirects |= {("force", key): (parent_where, ("force", key))
                      for key in parent["force"] if key not in child["force"]}
    if isinstance(child.get("flags"), dict):
        merged["flags"] = {**parent["flags"], **child["flags"]}
        redirects |= {("flags", flag): (parent_where, ("flags", flag))
                      for flag in parent["flags"] if flag not in child["flags"]}
    return merged, Where(child_where.label, child_where.lines, redirects)


def override_values(entry: Any) -> set[str]:
    """The table values a raw override entry sets (all of them when it removes the pool)."""
    if not isinstance(entry, dict):
        return set()
    if entry.get("remove"):
        return set(OVERRIDE_KEYS)
    return {value for value, keys in OVERRIDE_KEYS.items()
            if any(entry.get(k) is not None for k in keys)}


def kept_overrides(inherited: list[Any], own: list[Any]) -> tuple[list[int], list[Any]]:
    """The parent's overrides, each without the values the child sets again for the same
    pool (a child re-scaling a pool keeps the parent's readiness change of it); entries
    left with nothing to change are dropped. A parent's removal stands unless the child
    says ``remove: false`` (or removes the pool itself): a pool that comes back silently
    because a child changed its readiness would surprise the reader of either file.
    Returns the kept entries' indices and the trimmed entries."""
    def pool(entry: Any) -> Any:
        return (hashable(entry.get("country")), hashable(entry.get("pool"))) if isinstance(
            entry, dict) else None

    taken: dict[Any, set[str]] = {}
    present: set[Any] = set()  # pools the child removes again or brings back
    for entry in own:
        taken.setdefault(pool(entry), set()).update(override_values(entry))
        if isinstance(entry, dict) and isinstance(entry.get("remove"), bool):
            present.add(pool(entry))
    kept, trimmed = [], []
    for index, entry in enumerate(inherited):
        again = taken.get(pool(entry), set())
        if isinstance(entry, dict) and entry.get("remove") and pool(entry) in present:
            continue  # the child says again whether the pool takes part
        if not isinstance(entry, dict) or not again or entry.get("remove"):
            kept.append(index)  # a removal stands: check_pools refuses a change after it
            trimmed.append(entry)
            continue
        rest = {k: v for k, v in entry.items()
                if not any(k in OVERRIDE_KEYS[value] for value in again)}
        if override_values(rest):
            kept.append(index)
            trimmed.append(rest)
    return kept, trimmed


def hashable(value: Any) -> Any:
    """A key value usable in a set: a malformed one (a list, a mapping) by its text, so that
    validation, not merging, reports it."""
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


def kept_by_key(inherited: list[Any], own: list[Any], key: tuple[str, ...]) -> list[int]:
    """Indices of the parent's items not replaced by one of the child's with the same key
    (malformed items are kept for validation to report)."""
    def identity(item: Any) -> Any:
        return tuple(hashable(item.get(k)) for k in key) if isinstance(item, dict) else id(item)

    replaced = {identity(item) for item in own}
    return [i for i, item in enumerate(inherited) if identity(item) not in replaced]


NESTED: dict[str, type[BaseModel]] = {
    "requirements": Requirement, "objective": Objective, "policies": Policy, "flags": Flag,
    "overrides": Override, "uncertainty": Uncertainty, "readiness": Spread,
    **KINDS,  # pydantic's path to a policy's key names its kind after the index
    "force": ForceDevelopment, "budgets": Budget, "personnel": Personnel, "crews": Crew,
    "lines": Line, "acquisitions": Acquisition, "retirements": Retirement, "changes": Change,
}
FIELD_NAMES = {name for model in (Mission, Standing, *NESTED.values())
               for name in model.model_fields}


def clean_loc(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
    """Pydantic's error path without its internal union and validator tags."""
    kept: tuple[Any, ...] = ()
    for part in loc:
        if (*kept, part) in lines or isinstance(part, int) or part in FIELD_NAMES:
            kept = (*kept, part)
    return kept


def known_keys_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """Which keys are allowed where an unknown key was found."""
    for part in loc[:-1]:
        if isinstance(part, str) and part in NESTED and not (
                model is Mission and part == "flags"):
            model = NESTED[part]
    close = suggest(str(loc[-1]), model.model_fields)
    return close or f"allowed keys: {', '.join(model.model_fields)}"


def check_mission(mission: Mission, vocabulary: dict[str, list[str]],
                  declared: dict[str, Flag], where: Where) -> list[Problem]:
    """References to tasks, regions, phases, flags and pools exist; nothing is given twice."""
    tasks, regions, phases = vocabulary["task"], vocabulary["region"], vocabulary["phase"]
    task_per = dict(pair.split(":") for pair in vocabulary.get("task_per", []))
    problems = check_flags(mission.flags, declared, where, ("flags",))
    problems += check_policies(mission.policies, vocabulary, declared, where, ("policies",))
    problems += check_pools(mission, vocabulary, where)
    if mission.force is not None:
        problems += check_force(mission.force, mission, vocabulary, where)
    for index, code in enumerate(mission.countries or []):
        if code not in vocabulary["country"]:
            message, hint = unknown("country", code, vocabulary["country"])
            problems.append(where.problem(("countries", index), message, hint))
    for index, name in enumerate(mission.phases):
        if name not in phases:
            message, hint = unknown("phase", name, phases)
            problems.append(where.problem(("phases", index), message, hint))
    problems += check_tiers(mission, tasks, regions, where)
    problems += check_priorities(mission, vocabulary, where)
    seen: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for index, req in enumerate(mission.requirements):
        base = ("requirements", index)
        if req.task not in tasks:
            message, hint = unknown("task", req.task, tasks)
            problems.append(where.problem((*base, "task"), message, hint))
        if req.region not in regions:
            message, hint = unknown("region", req.region, regions)
            problems.append(where.problem((*base, "region"), message, hint))
        if req.per is not None and task_per.get(req.task) == schema.LEVEL:
            problems.append(where.problem((*base, "per"), PER_OF_A_LEVEL.text(task=req.task),
                                          "leave out per, or set the task's per in "
                                          "tasks.csv if it is a flow"))
        for phase in req.by_phase():
            path = (*base, "phase") if req.phase else (*base, "amount", phase)
            if phase not in mission.phases:
                hint = unknown("phase", phase, mission.phases)[1]
                problems.append(where.problem(path, PHASE_NOT_PLANNED.text(phase=phase), hint))
            key = (req.task, req.region, phase)
            if key in seen:
                problems.append(where.problem(path, REQUIREMENT_TWICE.text(
                    task=req.task, region=req.region, phase=phase,
                    first=where.place(seen[key])), "merge the two into one amount"))
            else:
                seen[key] = path
    return problems


def check_priorities(mission: Mission, vocabulary: dict[str, list[str]],
                     where: Where) -> list[Problem]:
    """Priorities name countries, regions and tasks of the tables."""
    problems = []
    for country, given in mission.priorities.items():
        base = ("priorities", country)
        if country not in vocabulary["country"]:
            problems.append(where.problem(base, *unknown("country", country,
                                                         vocabulary["country"])))
        for part, kind in (("regions", "region"), ("tasks", "task")):
            for name in getattr(given, part):
                if name not in vocabulary[kind]:
                    problems.append(where.problem((*base, part, name),
                                                  *unknown(kind, name, vocabulary[kind])))
    return problems


DECLARE_TIERS = "declare it with its factor in objective.tiers, e.g. {vital: 10}"


def check_tiers(mission: Mission, tasks: list[str], regions: list[str],
                where: Where) -> list[Problem]:
    """Tiers named by tasks, regions and requirements are among the objective's tiers;
    task_tiers and region_tiers name tasks and regions of the tables."""
    tiers = list(mission.objective.tiers)
    problems = []
    for task, tier in mission.objective.task_tiers.items():
        path = ("objective", "task_tiers", task)
        if task not in tasks:
            message, hint = unknown("task", task, tasks)
            problems.append(where.problem(path, message, hint))
        if tier not in tiers:
            message, hint = unknown("tier", tier, tiers)
            problems.append(where.problem(path, message, hint if tiers else DECLARE_TIERS))
    for region, by_task in mission.objective.region_tiers.items():
        if region not in regions:
            message, hint = unknown("region", region, regions)
            problems.append(where.problem(("objective", "region_tiers", region), message,
                                          hint))
        for task, tier in by_task.items():
            path = ("objective", "region_tiers", region, task)
            if task not in tasks:
                message, hint = unknown("task", task, tasks)
                problems.append(where.problem(path, message, hint))
            if tier not in tiers:
                message, hint = unknown("tier", tier, tiers)
                problems.append(where.problem(path, message,
                                              hint if tiers else DECLARE_TIERS))
    for index, req in enumerate(mission.requirements):
        if req.tier is not None and req.tier not in tiers:
            message, hint = unknown("tier", req.tier, tiers)
            problems.append(where.problem(("requirements", index, "tier"), message,
                                          hint if tiers else DECLARE_TIERS))
    return problems


def check_pools(mission: Mission, vocabulary: dict[str, list[str]],
                where: Where) -> list[Problem]:
    """Overrides, whole-unit pools and readiness spreads name existing pools and countries;
    no value is overridden twice."""
    pools = vocabulary["country_pool"]
    problems = []

    def check(reference: str, path: tuple[Any, ...], country_path: tuple[Any, ...]) -> None:
        country, pool = reference.split("/")
        if country not in vocabulary["country"]:
            message, hint = unknown("country", country, vocabulary["country"])
            problems.append(where.problem(country_path, message, hint))
        elif reference not in pools:
            own = [p.split("/")[1] for p in pools if p.startswith(f"{country}/")]
            hint = unknown("pool", pool, own)[1]
            problems.append(where.problem(path, NO_SUCH_POOL.text(country=country, pool=pool),
                                          hint))

    set_at: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    removed_at: dict[tuple[str, str], tuple[Any, ...]] = {}
    for index, override in enumerate(mission.overrides):
        path = ("overrides", index)
        check(f"{override.country}/{override.pool}", (*path, "pool"), (*path, "country"))
        pair = (override.country, override.pool)
        if pair in removed_at and not override.remove:
            place = where.place(removed_at[pair])
            inherited = where.problem(removed_at[pair], "").file != where.problem(
                path, "").file
            problems.append(where.problem(
                path, (REMOVED_AND_CHANGED if override.remove is None else REMOVED_AND_BACK)
                .text(pool=f"{override.country}/{override.pool}", first=place),
                "add 'remove: false' to bring the pool back with this change, or drop the "
                "change" if inherited else "keep one of the two"))
            continue
        if override.remove:
            removed_at.setdefault(pair, path)
        for value in sorted(override.values()):
            key = (override.country, override.pool, value)
            if key in set_at:
                problems.append(where.problem(path, OVERRIDDEN_TWICE.text(
                    value=value, pool=f"{override.country}/{override.pool}",
                    first=where.place(set_at[key])), "keep one override of each value"))
            set_at.setdefault(key, path)
    if isinstance(mission.integer_units, list):
        for index, reference in enumerate(mission.integer_units):
            check(reference, ("integer_units", index), ("integer_units", index))
    for index, spread in enumerate(mission.uncertainty.readiness if mission.uncertainty
                                   else []):
        path = ("uncertainty", "readiness", index)
        if spread.pool is not None:
            check(spread.pool, (*path, "pool"), (*path, "pool"))
        elif spread.country is not None and spread.country not in vocabulary["country"]:
            message, hint = unknown("country", spread.country, vocabulary["country"])
            problems.append(where.problem((*path, "country"), message, hint))
    for index, use in enumerate(mission.uses):
        path = ("uses", index)
        check(f"{use.country}/{use.pool}", (*path, "pool"), (*path, "country"))
        if use.task not in vocabulary["task"]:
            message, hint = unknown("task", use.task, vocabulary["task"])
            problems.append(where.problem((*path, "task"), message, hint))
    for index, stock in enumerate(mission.stocks):
        if stock.country not in vocabulary["country"]:
            message, hint = unknown("country", stock.country, vocabulary["country"])
            problems.append(where.problem(("stocks", index, "country"), message, hint))
    if mission.stocks_from_tables:
        problems += check_table_stock_references(mission, vocabulary, where)
    return problems


def check_table_stock_references(mission: Mission, vocabulary: dict[str, list[str]],
                                 where: Where) -> list[Problem]:
    """With ``stocks_from_tables``, each use and transfer names a stock the mission or the
    tables (stocks.csv) declare for the country."""
    declared = {(s.country, s.stock) for s in mission.stocks} | {
        tuple(ref.split("/", 1)) for ref in vocabulary.get("stock", [])}
    problems = []
    wanted = [(("uses", i, "stock"), u.country, u.stock) for i, u in enumerate(mission.uses)]
    wanted += [(("transfers", i, "stock"), c, t.stock) for i, t in enumerate(mission.transfers)
               for c in (t.supplier, t.recipient)]
    for path, country, stock in wanted:
        if (country, stock) not in declared:
            problems.append(where.problem(path, STOCK_NOT_DECLARED.text(
                country=country, stock=stock), f"or add a row for it to {schema.STOCKS.filename}"))
    return problems
