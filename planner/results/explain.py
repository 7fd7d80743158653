"""Explain a plan: which rows bind, what they are worth, and why a mission cannot be met.

Pure: it takes an instance, builds and solves models (the plan itself and the variants that
price a policy or a link by re-solving without it), and returns an ``Explanation`` that the
CLI prints or dumps as JSON. Every statement is about named rows, so it reads as sentences
about the mission.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

import pulp
from pydantic import Field, model_validator

from planner.formulation.families import UNITS, legacy_keys
from planner.formulation.model import PlanningModel, build_model
from planner.results.plan import MipProof, Plan, Record, make_plan
from planner.results.stocks import by_shortfall
from planner.scenario.instance import Instance
from planner.schema.policy import Policy
from planner.solving.gap import MipGap
from planner.solving.solve import Solution, clean, solve_model

TOLERANCE = 1e-7


class Binding(Record):
    """A row at its limit that shapes the plan (non-zero price)."""

    name: str
    kind: str  # its family: pool | cover | policy | ...
    sentence: str
    source: str
    price: float  # dual: change in objective per unit the row's bound moves up
    policy: str = ""  # for a policy row, the policy it comes from
    keys: dict[str, str] = Field(default_factory=dict)  # planner.formulation.families

    @model_validator(mode="before")
    @classmethod
    def _saved_before_families(cls, data: Any) -> Any:
        """A row explained before rows carried their keys: read from its kind and name."""
        if isinstance(data, dict) and "keys" not in data and isinstance(
                data.get("kind"), str) and isinstance(data.get("name"), str):
            keys, policy = legacy_keys(data["kind"], data["name"])
            data = {**data, "keys": keys, "policy": data.get("policy", policy)}
        return data


class PoolPrice(Record):
    """What one more available unit of a pool in a phase would save."""

    country: str
    pool: str
    phase: str
    available: float
    used: float
    saving: float  # USD m per extra unit (minus the dual of the pool row)


class RequirementPrice(Record):
    """What one more unit of a requirement would cost."""

    task: str
    region: str
    phase: str
    required: float
    shortfall: float
    marginal_cost: float


class RequirementValue(Record):
    """What a unit of a requirement left uncovered costs the plan, and why (the basis)."""

    task: str
    region: str
    value_per_unit: float  # USD m per unit short, in every phase
    basis: str


def requirement_values(plan: Plan) -> list[RequirementValue]:
    """One value per (task, region), in the mission's order (a value does not vary by phase)."""
    seen: dict[tuple[str, str], RequirementValue] = {}
    for c in plan.coverage:
        seen.setdefault((c.task, c.region), RequirementValue(
            task=c.task, region=c.region, value_per_unit=c.penalty_per_unit,
            basis=c.value_basis))
    return list(seen.values())


class PolicyWorth(Record):
    """What a policy (or a link) costs or is worth in this mission, found by re-solving."""

    name: str
    kind: str
    sentence: str
    source: str
    in_force: bool  # a policy that holds, or a link that is active
    objective_now: float
    objective_switched: float | None  # without the policy / with the link switched
    # USD m the policy, or the link as it stands, adds to the objective: objective_now -
    # objective_switched. Positive: it costs that much; negative: it saves. The CLI, the
    # reports and this JSON all show this one number (None: the switch is infeasible).
    cost: float | None
    # for a link: the policies that hold only while it is active (depends_on)
    depend_on_it: list[str] = Field(default_factory=list)


class Range(Record):
    """How far a cost or a right-hand side may move before the plan's basis changes."""

    name: str
    value: float
    low: float | None  # None: no limit
    high: float | None


class Relaxation(Record):
    """How much one row of a conflicting policy must give way for a plan to exist."""

    name: str
    sentence: str
    source: str
    by: float


class Conflict(Record):
    """A minimal set of policies that cannot hold together, and the smallest relaxation."""

    minimal: bool  # False when a trial solve ended without a verdict (e.g. a time limit)
    policies: list[str]
    sentences: dict[str, str]
    sources: dict[str, str]
    relaxation: list[Relaxation]


class Blocker(Record):
    """Why one pool does not cover more of a short requirement."""

    country: str
    pool: str
    reason: str  # exhausted | policy | too_costly
    detail: str


class ShortfallTrace(Record):
    task: str
    region: str
    phase: str
    shortfall: float
    blockers: list[Blocker]
    incapable: list[str]  # countries with no pool that can deliver the task there
    # stocks (country's stock) that the pools able to cover it use, empty at the end of the
    # period: the reason an analyst reads first in a sustainment mission
    empty_stocks: list[str] = Field(default_factory=list)


class Explanation(Record):
    mission: str
    changed_flags: dict[str, str]  # flags that differ from the mission file's
    status: str
    objective: float | None
    mip: MipProof | None = None  # a MIP's bound and gap, as in plan.json
    problem_class: str
    duals_from: str
    note: str
    binding: list[Binding]
    pools: list[PoolPrice]
    requirements: list[RequirementPrice]
    # what a unit short of each requirement costs, and why
    values: list[RequirementValue] = Field(default_factory=list)
    policies: list[PolicyWorth]
    cost_ranges: list[Range]
    rhs_ranges: list[Range]
    shortfalls: list[ShortfallTrace]
    conflict: Conflict | None


def solve(instance: Instance, solver: str, time_limit: float | None = None,
          ranging: bool = False, duals: bool = True,
          mip_gap: MipGap | None = None) -> tuple[PlanningModel, Solution]:
    model = build_model(instance)
    return model, solve_model(model, solver, time_limit, ranging=ranging, duals_wanted=duals,
                              mip_gap=mip_gap)


def what_if(instance: Instance, solver: str, time_limit: float | None,
            mip_gap: MipGap | None = None) -> Solution:
    """A re-solve for its objective and status only (no duals, no fixed-LP pass)."""
    return solve(instance, solver, time_limit, duals=False, mip_gap=mip_gap)[1]


def finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def explain(instance: Instance, solver: str = "highs", time_limit: float | None = None,
            data_dir: str = "", mip_gap: MipGap | None = None) -> tuple[Plan, Explanation]:
    """The plan and its explanation; what-if re-solves ask for the same MIP gap."""
    model, solution = solve(instance, solver, time_limit, ranging=True, mip_gap=mip_gap)
    plan = make_plan(instance, model, solution, data_dir=data_dir)
    conflict = None
    if solution.status == "infeasible":
        conflict = find_conflict(instance, solver, time_limit)
    explanation = Explanation(
        mission=instance.mission.name,
        changed_flags=instance.changed_flags,
        status=solution.status,
        objective=solution.objective,
        mip=plan.mip,
        problem_class=plan.problem_class,
        duals_from=solution.duals_from,
        note=note(plan, solution),
        binding=binding(plan),
        pools=pool_prices(model, solution),
        requirements=[RequirementPrice(task=c.task, region=c.region, phase=c.phase,
                                       required=c.required, shortfall=c.shortfall,
                                       marginal_cost=c.marginal_cost)
                      for c in plan.coverage if c.marginal_cost],
        values=requirement_values(plan),
        policies=policy_worths(instance, plan, solver, time_limit, mip_gap)
        if solution.objective is not None else [],
        cost_ranges=cost_ranges(model, solution),
        rhs_ranges=rhs_ranges(model, solution),
        shortfalls=trace_shortfalls(instance, model, plan),
        conflict=conflict,
    )
    return plan, explanation


def note(plan: Plan, solution: Solution) -> str:
    if solution.duals_from == "fixed_lp":
        return ("This mission is a MIP (whole units or lead-nation choices). Its prices and "
                "ranges are those of the LP re-solved with every integer choice fixed at the "
                "optimum: they price the continuous decisions given those choices, and a "
                "price may be shared arbitrarily between rows that pin the same units. What "
                "a policy costs is measured by re-solving the MIP without it.")
    if solution.duals_from == "none":
        return "No prices: the solver did not prove an optimum."
    if solution.ranging is None:
        return "Prices are the LP duals; ranges need the HiGHS solver."
    return "Prices are the LP duals; ranges are HiGHS's sensitivity ranges."


def binding(plan: Plan) -> list[Binding]:
    """Rows at their limit with a price: policies first, then pools, then requirements
    (a requirement left short is priced at its penalty and traced separately)."""
    need = ("task", "region", "phase")
    short = {(c.task, c.region, c.phase) for c in plan.shortfalls}
    rows = [c for c in plan.constraints if c.binding and c.dual and abs(c.dual) > TOLERANCE
            and not (c.family == "cover" and tuple(c.keys.get(k) for k in need) in short)]
    order = {"policy": 0, "pool": 1, "cover": 2}
    rows.sort(key=lambda c: (order.get(c.family, 3), -abs(c.dual or 0)))
    return [Binding(name=c.name, kind=c.family, sentence=c.sentence, source=c.source,
                    price=c.dual or 0.0, policy=c.policy, keys=c.keys) for c in rows]


def pool_prices(model: PlanningModel, solution: Solution) -> list[PoolPrice]:
    if not solution.duals:
        return []
    keys = ["country", "pool", "phase"]
    units = model.units.assign(units=solution.units)
    used = units.groupby(keys, sort=False).agg(
        units=("units", "sum"), available=("available", "first")).reset_index()
    rows = model.table("pool")
    used = used.merge(rows[[*keys, "name"]], on=keys, how="left")  # each pool's row
    used["dual"] = used["name"].map(solution.duals).fillna(0.0)
    prices = []
    for row in used[used["dual"].abs() > TOLERANCE].itertuples(index=False):
        prices.append(PoolPrice(country=row.country, pool=row.pool, phase=row.phase,
                                available=clean(row.available), used=clean(row.units),
                                saving=clean(-row.dual)))
    return sorted(prices, key=lambda p: -p.saving)


def switched(instance: Instance, policy: Policy) -> Instance:
    """The instance without a policy in force, or with a link switched the other way (with
    the policies that depend on it going or coming with it)."""
    if policy.is_link:
        active = {p.name for p in instance.links} ^ {policy.name}
        return instance.with_links(active)
    return dataclasses.replace(instance, policies=tuple(
        p for p in instance.policies if p != policy))


def dependents(instance: Instance, link: Policy) -> list[str]:
    """The policies that hold with a link and lapse without it (``depends_on``)."""
    on = instance.with_links({*(p.name for p in instance.links), link.name})
    return [p.name for p in on.policies if link.name in p.depends_on]


def policy_worths(instance: Instance, plan: Plan, solver: str,
                  time_limit: float | None, mip_gap: MipGap | None = None
                  ) -> list[PolicyWorth]:
    """Re-solve without each policy that binds, and with each link switched: the objective
    difference is what the policy costs, or what the link is worth, in this mission. In an
    LP a policy with no row at its limit costs nothing; in a MIP it may still cut off a
    better integer plan, so every policy in force is re-solved."""
    at_limit = {c.policy for c in plan.policy_rows if c.binding or plan.problem_class == "MIP"}
    now = plan.objective or 0.0
    worths = []
    candidates = [p for p in instance.policies if not p.is_link and p.name in at_limit]
    links = {p.name: p for p in (*instance.links, *instance.policies) if p.is_link}
    candidates += [links[name] for name in sorted(links)]
    for policy in candidates:
        solution = what_if(switched(instance, policy), solver, time_limit, mip_gap)
        other = solution.objective if solution.status == "optimal" else None
        active = not policy.is_link or policy in instance.links
        worths.append(PolicyWorth(
            name=policy.name, kind=policy.kind, sentence=policy.sentence,
            source=policy.source, in_force=active, objective_now=now,
            objective_switched=other,
            cost=None if other is None else clean(now - other),
            depend_on_it=dependents(instance, policy) if policy.is_link else []))
    return sorted(worths, key=lambda w: -abs(w.cost or 0))


def cost_ranges(model: PlanningModel, solution: Solution) -> list[Range]:
    """Cost ranges of the units in the plan: within them the same pools do the same work."""
    if solution.ranging is None:
        return []
    ranges = []
    for row, value, column in zip(model.units.itertuples(index=False), solution.units,
                                  model.core.names[:len(model.units)], strict=True):
        if value > TOLERANCE:
            low, high = solution.ranging.costs[column]
            name = UNITS.label({k: getattr(row, k) for k in UNITS.keys})
            ranges.append(Range(name=name, value=clean(row.unit_cost), low=finite(low),
                                high=finite(high)))
    return ranges


def rhs_ranges(model: PlanningModel, solution: Solution) -> list[Range]:
    """Right-hand-side ranges of the rows that bind: within them each keeps its price."""
    if solution.ranging is None:
        return []
    ranges = []
    for name, bound in model.right_hand_sides().items():
        if abs(solution.duals.get(name, 0.0)) > TOLERANCE:
            low, high = solution.ranging.rhs[name]
            ranges.append(Range(name=name, value=clean(bound), low=finite(low),
                                high=finite(high)))
    return ranges


def find_conflict(instance: Instance, solver: str, time_limit: float | None) -> Conflict:
    """A deletion filter over the policies in force: drop each policy whose removal leaves
    the rest still infeasible; what remains is a minimal conflicting set. Then elastic
    variables on its rows find the smallest total relaxation that restores a plan."""
    verdicts = []

    def infeasible(policies: Iterable[Policy]) -> bool:
        trial = dataclasses.replace(instance, policies=tuple(policies))
        status = what_if(trial, solver, time_limit).status
        verdicts.append(status in ("infeasible", "optimal"))
        return status == "infeasible"

    kept = list(instance.policies)
    for policy in list(kept):
        rest = [p for p in kept if p != policy]
        if infeasible(rest):
            kept = rest
    return Conflict(minimal=all(verdicts), policies=[p.name for p in kept],
                    sentences={p.name: p.sentence for p in kept},
                    sources={p.name: p.source for p in kept},
                    relaxation=relax(dataclasses.replace(instance, policies=tuple(kept)),
                                     solver, time_limit))


def relax(instance: Instance, solver: str, time_limit: float | None) -> list[Relaxation]:
    """Minimise the total violation of the policy rows: the smallest relaxation (the sum
    mixes the rows' own units: units, USD m, shares). Empty when it cannot be solved."""
    model = build_model(instance)
    problem = model.problem
    elastic = {}
    for name, row in model.rows.items():
        if row.kind != "policy":
            continue
        constraint = model.constraints[name]
        give = problem.add_variable(f"relax[{name}]", lowBound=0)
        elastic[name] = give
        sign = -1.0 if constraint.sense == pulp.LpConstraintLE else 1.0
        if constraint.sense == pulp.LpConstraintEQ:
            other = problem.add_variable(f"relax_down[{name}]", lowBound=0)
            constraint.expr.addterm(other, -1.0)
            elastic[f"{name}-"] = other
        constraint.expr.addterm(give, sign)
    problem.setObjective(pulp.lpSum(elastic.values()))
    if solve_model(model, solver, time_limit, duals_wanted=False).status != "optimal":
        return []
    relaxations = []
    for name, var in elastic.items():
        amount = clean(var.varValue)
        if amount > TOLERANCE:
            row = model.rows[name.rstrip("-")]
            relaxations.append(Relaxation(name=row.name, sentence=row.sentence,
                                          source=row.source, by=amount))
    return relaxations


def trace_shortfalls(instance: Instance, model: PlanningModel,
                     plan: Plan) -> list[ShortfallTrace]:
    """For each requirement left short: the pools that could deliver it and why they do
    not deliver more (held back by a policy, exhausted, or dearer than the penalty), and
    the countries with no pool able to do it there. A column counts as held back only by a
    binding row that more of it would break (its coefficient's sign), so a share cap on
    one country does not blame the others."""
    if not plan.shortfalls:
        return []
    slack = {c.name: c.slack for c in plan.constraints}
    binding_policy_rows = [(c.name, model.constraint(c.name)) for c in plan.policy_rows
                           if c.binding]  # made PuLP's here where kept as arrays
    blocked: dict[str, list[str]] = {}
    for name, constraint in binding_policy_rows:
        for var, coefficient in constraint.items():
            # a binding row holds a column back when more of it would break the row
            holds_back = (constraint.sense == pulp.LpConstraintEQ
                          or coefficient * constraint.sense < 0)
            if holds_back:
                blocked.setdefault(var.name, []).append(name)
    names = model.core.names  # units columns first, in table order
    pools = model.table("pool")
    pool_rows = dict(zip(zip(pools["country"], pools["pool"], pools["phase"], strict=True),
                         pools["name"], strict=True))
    countries = list(instance.capabilities.countries["country"])
    emptied = by_shortfall(plan.stock_shortfalls)
    traces = []
    for short in plan.shortfalls:
        here = model.units[(model.units["task"] == short.task)
                           & (model.units["region"] == short.region)
                           & (model.units["phase"] == short.phase)]
        blockers = []
        for row, column in zip(here.itertuples(index=False),
                               names.made(here.index.to_numpy()), strict=True):
            pool_row = pool_rows[(row.country, row.pool, row.phase)]
            exhausted = abs(slack.get(pool_row, 1.0)) <= TOLERANCE
            if column in blocked:
                rows = ", ".join(blocked[column])
                also = (f" (and all {row.available:g} available units are employed "
                        "elsewhere)" if exhausted else "")
                blockers.append(Blocker(country=row.country, pool=row.pool, reason="policy",
                                        detail=f"held back by {rows}{also}"))
            elif exhausted:
                blockers.append(Blocker(country=row.country, pool=row.pool,
                                        reason="exhausted",
                                        detail=f"all {row.available:g} available units "
                                        f"employed ({pool_row} binds)"))
            elif row.unit_cost / row.delivers >= short.penalty_per_unit:
                blockers.append(Blocker(country=row.country, pool=row.pool,
                                        reason="too_costly",
                                        detail=f"{row.unit_cost / row.delivers:g} USD m per "
                                        f"unit delivered, not less than the penalty per unit "
                                        f"{short.penalty_per_unit:g}"))
        capable = set(here["country"])
        traces.append(ShortfallTrace(task=short.task, region=short.region, phase=short.phase,
                                     shortfall=short.shortfall, blockers=blockers,
                                     incapable=[c for c in countries if c not in capable],
                                     empty_stocks=[
                                         f"{r.country}'s {r.stock} (empty on day {r.end_day:g})"
                                         for r in emptied.get((short.task, short.region,
                                                               short.phase), [])]))
    return traces
