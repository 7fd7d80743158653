"""The Plan: the single result object every consumer reads (tables, files, reports).

Built once from the instance, the model and the solution; nothing downstream re-solves or
re-reads inputs. Lists are sorted in the tables' own order so two solves of the same
inputs give identical plans apart from ``created_at``.
"""

from __future__ import annotations

import functools
import math
import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from planner.formulation.families import key_columns, legacy_keys
from planner.formulation.model import PlanningModel
from planner.results.cohesion import Cohesion, cohesion
from planner.results.force import ForceResults, force_results
from planner.results.stocks import (
    StockPeriod,
    StockShortfall,
    StockSummary,
    TransferRecord,
    stock_results,
)
from planner.results.summary import Summarizer, Summary
from planner.scenario.instance import (
    Instance,
    changed_flags,
    every_policy,
    flags_text,
    override_label,
    plan_name,
)
from planner.schema.mission import Mission
from planner.solving.gap import proof
from planner.solving.solve import Solution, clean

SHORTFALL_TOLERANCE = 1e-6


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Allocation(Record):
    """Units of one pool employed on one task, region and phase."""

    country: str
    pool: str
    task: str
    region: str
    phase: str
    units: float
    delivered: float
    cost: float


class Coverage(Record):
    """One requirement and how far the plan meets it."""

    task: str
    region: str
    phase: str
    required: float
    delivered: float
    shortfall: float
    # USD m per unit short (a rate; a plan saved before the rename calls it "penalty")
    penalty_per_unit: float = Field(validation_alias=AliasChoices("penalty_per_unit",
                                                                  "penalty"))
    marginal_cost: float | None  # dual of the cover row: cost of one more unit required
    # why a unit short costs penalty_per_unit: a figure, a tier rule, or the one penalty
    value_basis: str = ""

    @property
    def shortfall_penalty(self) -> float:
        """USD m this requirement adds to the objective: shortfall times the rate."""
        return clean(self.shortfall * self.penalty_per_unit)


class CountryResult(Record):
    """A country's burden in the plan next to its economic weight: the cost of the service
    its pools provide, and the cost it bears (what it pays, for its own pools and others'
    it pays for; ``planner.checks.bearers``)."""

    country: str
    name: str
    cost: float  # the cost of the work its own pools do (service provided)
    cost_share: float  # of the service provided
    gdp_share: float
    budget_share: float
    # share of the cost borne / share of the base (GDP or budget: Plan.burden_index_base);
    # None when that share is 0
    burden_index: float | None
    cost_borne: float | None = None  # None: a plan saved before bearers (borne = provided)
    borne_share: float | None = None


class ConstraintResult(Record):
    """A named row of the LP, its family and keys, its sentence, and its value at the
    optimum. ``kind`` is the family under its earlier name."""

    name: str
    kind: str
    sentence: str
    source: str
    slack: float
    dual: float | None
    binding: bool
    family: str = ""  # pool | cover | policy | ... (planner.formulation.families)
    policy: str = ""  # for a policy row, the policy it comes from
    keys: dict[str, str] = {}  # e.g. {"country": "JPN", "pool": "aegis_ddg", "phase": ...}

    @model_validator(mode="before")
    @classmethod
    def _saved_before_families(cls, data: Any) -> Any:
        """A row of a plan saved before rows carried their family and keys: both read from
        its kind and name, once, here."""
        if isinstance(data, dict) and "family" not in data and isinstance(
                data.get("kind"), str) and isinstance(data.get("name"), str):
            keys, policy = legacy_keys(data["kind"], data["name"])
            data = {**data, "family": data["kind"], "keys": keys,
                    "policy": data.get("policy", policy)}
        return data


class OverrideRecord(Record):
    """A value of the capability tables this mission changed."""

    country: str
    pool: str
    column: str  # quantity | readiness | cost_per_unit | removed
    before: float
    after: float
    given_as: str
    source: str


class PoolRecord(Record):
    """A pool as the plan was solved with it (after the mission's overrides), so that two
    plans can be compared row by row."""

    country: str
    pool: str
    quantity: float
    readiness: float
    cost_per_unit: float


class Lead(Record):
    """The country chosen to lead a task in a region under a lead-nation policy."""

    policy: str
    task: str
    region: str
    country: str


class MipProof(Record):
    """How proven a MIP plan is: the best bound the solver proved (no plan costs less), the
    gap between the plan and it, and the gap asked for. The plan is ``optimal`` only when
    the gap is within the tolerance (relative or absolute)."""

    bound: float | None  # None: the solver did not report one (see note)
    gap: float | None  # (objective - bound) / |objective|; None without a bound or a plan
    absolute_gap: float | None  # objective - bound, USD m
    relative_tolerance: float
    absolute_tolerance: float
    note: str = ""


class PlanMission(Mission):
    """The mission a plan was solved for, typed (``plan.mission.name``). Plans used to hold
    it as a dict, so ``plan.mission["name"]`` still reads a field as plan.json has it."""

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return self.model_dump(mode="json", include={key})[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in type(self).model_fields else default

    @classmethod
    def of(cls, mission: Mission) -> PlanMission:
        """The plan's copy of a validated mission (not validated again)."""
        return mission if isinstance(mission, cls) else cls.model_construct(
            mission.model_fields_set, **dict(mission))


class Plan(Record):
    """Everything one solve produced, with what it was solved from."""

    mission: PlanMission
    mission_file: str
    data_dir: str
    flags: dict[str, str]
    settings: dict[str, str]  # flags overridden on the command line (--set)
    # every flag as the mission file sets it (None: saved before it was recorded)
    mission_flags: dict[str, str] | None = None
    added_overrides: list[str] = []  # overrides beyond the mission file's (Python API)
    policies: list[str]  # names of the policies that held under the flags
    links: list[str] = []  # names of the links active under the flags
    overrides: list[OverrideRecord] = []
    problem_class: str = "LP"  # LP | MIP (whole units or lead-nation choices)
    duals_from: str = "lp"  # lp | fixed_lp (the MIP's LP with integers fixed) | none
    mip: MipProof | None = None  # a MIP's bound and gap (None for an LP)
    input_digest: str
    versions: dict[str, str]
    solver: str
    # what HiGHS ran and why (planner.solving.algorithm), e.g. "simplex: dual simplex,
    # HiGHS's defaults: 912 nonzeros, below ..."; "" for CBC and for plans saved before
    lp_algorithm: str = ""
    status: str
    objective: float | None
    total_cost: float
    shortfall_penalty: float
    burden_index_base: str = "gdp"  # gdp | budget: what the burden index divides by
    allocations: list[Allocation]
    coverage: list[Coverage]
    countries: list[CountryResult]
    constraints: list[ConstraintResult]
    leads: list[Lead] = []
    pools: list[PoolRecord] = []
    explanation: dict[str, Any] | None = None  # filled by `planner explain`
    # stocks (a mission with periods and stocks): per country, stock and period, the whole
    # mission, what was shipped; and what they add to the objective (production, holding)
    stock_periods: list[StockPeriod] = []
    stocks: list[StockSummary] = []
    transfers: list[TransferRecord] = []
    stock_cost: float = 0.0
    stock_shortfalls: list[StockShortfall] = []  # shortfalls an empty stock explains
    force: ForceResults | None = None  # a multi-year (force-development) plan's years
    # common platforms' share, links relied on, dependence on another's yards and munitions
    # (planner.results.cohesion); None: a plan saved before these measures
    cohesion: Cohesion | None = None
    created_at: str

    @property
    def changed_flags(self) -> dict[str, str]:
        """Flags whose value differs from the mission file's (for an older plan: --set)."""
        if self.mission_flags is None:
            return dict(self.settings)
        return changed_flags(self.mission_flags, self.flags)

    @property
    def name(self) -> str:
        """For file and folder names: ``taiwan_contingency--gsomia=suspended``."""
        return plan_name(self.mission.name, self.changed_flags, self.added_overrides)

    @property
    def title(self) -> str:
        """For titles: ``taiwan_contingency (gsomia=suspended)``."""
        changes = "; ".join(part for part in (flags_text(self.changed_flags),
                                              ", ".join(self.added_overrides)) if part)
        return self.mission.name + (f" ({changes})" if changes else "")

    def changes_sentence(self) -> str | None:
        """What makes this plan other than the mission file's own: each changed flag with
        the file's value. None when it is the file's plan."""
        changed, added = self.changed_flags, self.added_overrides
        if not changed and not added:
            return None
        was = self.mission_flags or {}
        parts = []
        if changed:
            parts.append("flags that differ from the mission file " + self.mission_file + ": "
                         + "; ".join(f"{k}={v}" + (f" (the file: {was[k]})" if k in was else "")
                                     for k, v in changed.items()))
        if added:
            parts.append("overrides beyond the mission file's: " + ", ".join(added))
        return f"Solved with {' and with '.join(parts)}."

    def description_heading(self) -> str | None:
        """When flags differ from the file's, the mission's description was written for
        other flags and may say what they contradict: it is shown under this heading, never
        as the plan's own statement."""
        changed = self.changed_flags
        if not changed and not self.added_overrides:
            return None
        if not changed:
            return ("From the mission file, written without the overrides added to it; where "
                    "it disagrees with them, the overrides hold:")
        was = {k: (self.mission_flags or {}).get(k, "?") for k in changed}
        return (f"From the mission file, written for its own flags ({flags_text(was)}); "
                "where it disagrees with the flags this plan was solved with, the flags hold:")

    @property
    def shortfalls(self) -> list[Coverage]:
        return [c for c in self.coverage if c.shortfall > SHORTFALL_TOLERANCE]

    def coverage_by_region(self, phase: str) -> list[Coverage]:
        """The requirements of a phase, each region's together (regions in order of first
        appearance, a region's tasks in mission order). A mission that extends another adds
        its requirements after the parent's, so in mission order a region can come back
        after others and a table would show it twice."""
        rows = [c for c in self.coverage if c.phase == phase]
        first = {region: n for n, region in reversed(list(enumerate(c.region for c in rows)))}
        return sorted(rows, key=lambda c: first[c.region])

    @property
    def policy_rows(self) -> list[ConstraintResult]:
        return [c for c in self.constraints if c.kind == "policy"]

    @property
    def covered(self) -> bool:
        return self.status == "optimal" and not self.shortfalls


def constraints_table(rows: list[ConstraintResult]) -> pd.DataFrame:
    """Every row with its price and slack, its family, its policy and its keys, one column
    per key (empty where the row's family has no such key), so a script joins on keys."""
    keys = key_columns({r.family for r in rows})
    keys += sorted({k for r in rows for k in r.keys} - set(keys))
    keys = [k for k in keys if k != "policy"]  # the policy column holds it
    columns = ["name", "kind", "dual", "slack", "binding", "sentence", "source", "family",
               "policy", *keys]
    return pd.DataFrame([{**r.keys, **r.model_dump(exclude={"keys"})} for r in rows],
                        columns=columns).fillna({k: "" for k in keys})



def mip_proof(solution: Solution) -> MipProof | None:
    """The bound and gap of a MIP's solution, as plan.json records them."""
    if solution.mip_gap is None:
        return None
    found = proof(solution.objective, solution.bound)
    return MipProof(
        bound=solution.bound,
        gap=clean(found.relative) if found.relative is not None and math.isfinite(
            found.relative) else None,
        absolute_gap=clean(found.absolute) if found.absolute is not None else None,
        relative_tolerance=solution.mip_gap.relative,
        absolute_tolerance=solution.mip_gap.absolute,
        note=solution.bound_note)


def priced_but_free(names: list[str]) -> str:
    """Why a policy can bind with a price yet cost nothing when removed: said wherever both
    are shown (explain's text, reports)."""
    return (f"Binding with a price, yet no effect on the objective: {', '.join(names)}. The "
            "price is what moving a bound by one unit would change; removing the policy "
            "altogether changes nothing (another row or an equally cheap plan takes its place).")


@functools.cache
def versions() -> dict[str, str]:
    """Versions of everything that can change a result (read once per process: reading a
    package's metadata costs milliseconds, and the exercise server makes a plan per move)."""
    found = {"python": platform.python_version()}
    for dist in ("alliance-planner", "pulp", "highspy", "pandas", "pydantic"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found


def share(part: float, whole: float) -> float:
    return clean(part / whole) if whole else 0.0


def country_results(summary: Summary) -> list[CountryResult]:
    """Each country's service provided and cost borne, shares and burden index (share borne
    against the mission's base, GDP or defence budget), from the plan's summary."""
    economy = summary.economy
    results = []
    for country, name, own, cost_share, gdp_share, budget_share, pays, borne_share, index in zip(
            economy.countries, economy.names, summary.cost.tolist(),
            summary.cost_share.tolist(), economy.gdp_share.tolist(),
            economy.budget_share.tolist(), summary.borne.tolist(),
            summary.borne_share.tolist(), summary.burden_index.tolist(), strict=True):
        results.append(CountryResult(
            country=country, name=name, cost=clean(own), cost_share=clean(cost_share),
            gdp_share=clean(gdp_share), budget_share=clean(budget_share),
            burden_index=None if np.isnan(index) else clean(index),
            cost_borne=clean(pays), borne_share=clean(borne_share),
        ))
    return results


def make_plan(instance: Instance, model: PlanningModel, solution: Solution, *,
              data_dir: str) -> Plan:
    """Assemble the Plan from a solved model; its numbers come from one Summary."""
    values = solution.units or [0.0] * len(model.units)
    short = solution.shortfalls or [0.0] * len(model.shortfalls)
    summary = Summarizer.of_instance(instance, model.units, model.shortfalls).summarize(
        np.asarray(values, dtype=float), np.asarray(short, dtype=float), solution.status,
        solution.objective)
    units = model.units.drop(columns="var", errors="ignore").assign(units=values)
    used = units[units["units"] > 0].copy()
    used["delivered"] = (used["units"] * used["delivers"]).map(clean)
    used["cost"] = (used["units"] * used["unit_cost"]).map(clean)
    allocations = [Allocation(**r) for r in used[
        ["country", "pool", "task", "region", "phase", "units", "delivered", "cost"]
    ].to_dict("records")]

    need = ["task", "region", "phase"]
    covers = model.table("cover")
    priced = model.shortfalls[need].merge(  # each requirement's cover row, joined on keys
        covers.assign(dual=covers["name"].map(solution.duals))[[*need, "dual"]],
        on=need, how="left")["dual"]
    coverage = []
    for req, missing, price, delivered in zip(
            model.shortfalls.itertuples(index=False), short, priced.tolist(),
            summary.delivered.tolist(), strict=True):
        coverage.append(Coverage(
            task=req.task, region=req.region, phase=req.phase, required=clean(req.amount),
            delivered=clean(delivered),
            shortfall=missing, penalty_per_unit=clean(req.penalty),
            marginal_cost=None if pd.isna(price) else float(price),
            value_basis=req.value_basis,
        ))

    constraints = [
        ConstraintResult(
            name=name, kind=row.family, sentence=row.sentence, source=row.source,
            slack=solution.slacks.get(name, 0.0), dual=solution.duals.get(name),
            binding=name in solution.slacks and abs(solution.slacks[name]) <= 1e-7,
            family=row.family, policy=row.policy, keys=dict(row.keys),
        )
        for name, row in model.rows.items()
    ]
    short_cells = {(c.task, c.region, c.phase) for c in coverage
                   if c.shortfall > SHORTFALL_TOLERANCE}
    stock_periods, stocks, transfers, stock_cost, stock_shortfalls = stock_results(
        model.stocks, solution.duals, solution.objective is not None, short_cells
    ) if model.stocks else ([], [], [], 0.0, [])
    force = force_results(instance, model, solution.duals, used, coverage,
                          solution.force) if (
        model.force is not None and solution.status in ("optimal", "time_limit", "not_proven")
        and solution.objective is not None) else None
    leads = [Lead(policy=row.policy, task=row.task, region=row.region, country=row.country)
             for row, value in zip(model.leads.itertuples(index=False), solution.leads,
                                   strict=False) if value > 0.5]
    capabilities = instance.capabilities
    measures = cohesion(
        used, capabilities.platforms,
        [p for p in every_policy(capabilities, instance.mission) if p.is_link],
        {link.name for link in instance.links},
        dict(zip(capabilities.countries["country"], capabilities.countries["home_region"],
                 strict=True)),
        capabilities.cost_bearers, transfers)
    return Plan(
        mission=PlanMission.of(instance.mission),
        mission_file=instance.mission_file,
        flags=instance.flags,
        settings=instance.settings,
        mission_flags=instance.file_flags,
        added_overrides=[override_label(o) for o in instance.added_overrides],
        policies=[p.name for p in instance.policies],
        links=[link.name for link in instance.links],
        overrides=[OverrideRecord(**vars(o)) for o in instance.overrides],
        problem_class="MIP" if model.integer else "LP",
        duals_from=solution.duals_from,
        mip=mip_proof(solution),
        data_dir=data_dir,
        input_digest=instance.digest,
        versions=dict(versions()),
        solver=solution.solver,
        lp_algorithm=solution.algorithm,
        status=solution.status,
        objective=solution.objective,
        total_cost=clean(summary.employment_cost),
        shortfall_penalty=clean(summary.penalty),
        burden_index_base=instance.mission.burden_index_base,
        allocations=allocations,
        coverage=coverage,
        countries=country_results(summary),
        constraints=constraints,
        leads=leads,
        pools=[PoolRecord(**r) for r in instance.capabilities.pools[
            ["country", "pool", "quantity", "readiness", "cost_per_unit"]].to_dict("records")],
        stock_periods=stock_periods, stocks=stocks, transfers=transfers,
        stock_cost=clean(stock_cost), stock_shortfalls=stock_shortfalls,
        force=force,
        cohesion=measures,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
