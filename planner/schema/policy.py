"""Legal and political constraints: their schema, the scenario flags they depend on, and the
LP rows they become.

A policy is a sentence with a source (a law, an agreement, a statement) that limits what a
country may or will do. Standing policies live with the capability data
(``capabilities/policies.yaml``); a mission adds its own. Each becomes rows named
``policy[<name>]`` (or ``policy[<name>,<phase>]``), so a binding policy, its shadow price
or a conflict between policies is reported in the analyst's words.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pulp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.errors import Problem, refusal, unknown
from planner.inputs.load import Where
from planner.schema import tables as schema

Identifier = Annotated[str, Field(pattern=schema.ID_PATTERN)]
CountryCode = Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)]
Condition = dict[Identifier, Identifier | list[Identifier]]

PolicyKind = Literal["forbid", "share_cap", "share_floor", "retain_at_home", "budget_cap",
                     "link", "lead_nation"]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What a policy entry may not combine, in the order the validator checks it (the first that
# applies is reported). Examples leave out name, sentence and source.
LEAD_TAKES_NO_PHASE = refusal(
    "Policy", "A `lead_nation` with a `value` or a `phase`.",
    "a lead_nation policy takes no 'value' or 'phase': a lead leads in every phase",
    {"kind": "lead_nation", "country": ["USA", "JPN"], "task": "isr", "phase": "crisis"})
ONE_COUNTRY = refusal(
    "Policy", "Any kind but `lead_nation` without a `country`, or with a list of them.",
    "a {kind} policy needs one 'country'",
    {"kind": "forbid", "country": ["USA", "JPN"], "task": "isr"})
LINK_NEEDS_PARTNER = refusal(
    "Policy", "A `link` without a `partner`.", "a link needs a 'partner'",
    {"kind": "link", "country": "JPN"})
PARTNER_FOR_LINKS = refusal(
    "Policy", "A `partner` in any kind but `link`.", "'partner' applies to link policies only",
    {"kind": "forbid", "country": "JPN", "partner": "KOR"})
LINK_KEYS = refusal(
    "Policy", "A `link` with a `region`, `phase`, `value`, `when` or `unless`.",
    "a link takes country, partner, task, active_when and active_unless (it always concerns "
    "the home regions)",
    {"kind": "link", "country": "JPN", "partner": "KOR", "region": "japan"})
LINK_DEPENDS_ON = refusal(
    "Policy", "`depends_on` in a `link` (it names the links other policies exist by).",
    "'depends_on' names the links a policy exists by; a link's own conditions are "
    "active_when / active_unless",
    {"kind": "link", "country": "JPN", "partner": "KOR", "depends_on": ["us_japan_alliance"]})
ACTIVE_FOR_LINKS = refusal(
    "Policy", "`active_when` or `active_unless` in any kind but `link`.",
    "'active_when' / 'active_unless' apply to links; other policies use 'when' / 'unless'",
    {"kind": "forbid", "country": "JPN", "active_when": {"gsomia": "active"}})
LINK_TWO_COUNTRIES = refusal(
    "Policy", "A `link` whose `partner` is its `country`.", "a link joins two different "
    "countries", {"kind": "link", "country": "JPN", "partner": "JPN"})
DELIVERED_BY_LEAD = refusal(
    "Policy", "`delivered_by` in any kind but `lead_nation`.",
    "'delivered_by' applies to lead_nation policies only",
    {"kind": "forbid", "country": "JPN", "delivered_by": "lead_and_linked"})
NEEDS_TASK = refusal(
    "Policy", "A `retain_at_home`, or a `share_cap` / `share_floor` of the delivered amount "
    "(`of: delivered`, the default), without a `task`.",
    "a {kind} policy needs a 'task'", {"kind": "share_cap", "country": "USA", "value": 0.5})
RETAIN_ONE_TASK_AND_REGION = refusal(
    "Policy", "A `retain_at_home` without a `region`, or with a list of tasks or of "
    "regions.", "a retain_at_home policy needs one 'task' and one 'region'",
    {"kind": "retain_at_home", "country": "JPN", "task": ["isr", "asw"], "region": "japan",
     "value": 1})
NEEDS_VALUE = refusal(
    "Policy", "A `share_cap`, `share_floor`, `retain_at_home` or `budget_cap` without a "
    "`value`.", "a {kind} policy needs a 'value'", {"kind": "budget_cap", "country": "JPN"})
FORBID_TAKES_NO_VALUE = refusal(
    "Policy", "A `forbid` with a `value`.", "a forbid policy takes no 'value'",
    {"kind": "forbid", "country": "JPN", "value": 1})
SHARE_IS_A_FRACTION = refusal(
    "Policy", "A `share_cap` or `share_floor` with a `value` above 1.",
    "a share is a fraction between 0 and 1",
    {"kind": "share_cap", "country": "USA", "task": "isr", "value": 1.5})
COST_FOR_SHARES = refusal(
    "Policy", "`of: cost` in any kind but `share_cap` and `share_floor`.",
    "'of: cost' applies to share_cap and share_floor only",
    {"kind": "budget_cap", "country": "JPN", "of": "cost", "value": 10})
POLICY_TWICE = refusal(
    "Policy", "Two policies of one file with the same `name` (a mission's policy of a "
    "standing policy's name replaces it instead).",
    "policy '{name}' is defined twice (first at {first})",
    {"name": "twice", "kind": "forbid", "country": "JPN"},
    {"name": "twice", "kind": "forbid", "country": "KOR"})


class Policy(Frozen):
    """One legal or political constraint on a country.

    ``task``, ``region`` and ``phase`` each take one name or a list of names.

    - ``forbid``: the country delivers none of ``task`` (every task when omitted), optionally
      only in ``region`` / ``phase``;
    - ``share_cap`` / ``share_floor``: the country's share of the delivered amount of ``task``
      (``of: delivered``) or of cost (``of: cost``; ``task`` optional) is at most / at least
      ``value`` (a fraction), within the optional ``region`` / ``phase``;
    - ``retain_at_home``: the country delivers at least ``value`` of ``task`` in ``region`` in
      every phase (or only ``phase``);
    - ``budget_cap``: the country's employment cost is at most ``value`` USD m, counting
      only ``task`` / ``region`` / ``phase`` where given (every task, region and phase where
      not);
    - ``link``: ``country`` and ``partner`` work together on ``task`` (every task when
      omitted) only while the link is active, i.e. while the flags match ``active_when`` and
      none of ``active_unless``. Working together means one delivering in the other's home
      region (countries.csv ``home_region``): Korean ISR feeding Japan's missile warning,
      Korean rear-area support to forces in Japan. An inactive link forbids that work;
    - ``lead_nation``: exactly one of ``country`` (a list; every country when omitted),
      among those taking part in the mission (the policy is set aside when none does), leads
      each (``task``, ``region``) the mission requires (binary choice, so the mission
      becomes a MIP), and only the lead delivers there (``delivered_by: lead``), or the lead
      and the countries with an active link to it for that task, candidates or not
      (``delivered_by: lead_and_linked``): ``country`` names who may lead, not who may
      support.

    ``when`` and ``unless`` are conditions on scenario flags: the policy holds only when every
    ``when`` flag has (one of) the given value(s), and no ``unless`` flag does.
    """

    name: Identifier = Field(
        description="Identifier of the policy; its LP rows are named policy[<name>...]. A "
        "mission policy with a standing policy's name replaces it.")
    kind: PolicyKind = Field(description="What the policy says; see Policy kinds.")
    country: CountryCode | list[CountryCode] | None = Field(
        default=None, description="The country concerned (one code); for lead_nation, the "
        "candidates (a list; default every country).")
    partner: CountryCode | None = Field(default=None, description="For link: the other "
                                        "country.")
    task: Identifier | list[Identifier] | None = Field(
        default=None, description="The task or tasks concerned (default: every task, where "
        "the kind allows).")
    region: Identifier | list[Identifier] | None = Field(
        default=None, description="The region or regions concerned (default: every region).")
    phase: Identifier | list[Identifier] | None = Field(
        default=None, description="The phase or phases concerned (default: every phase).")
    of: Literal["delivered", "cost"] = Field(
        default="delivered", description="For share_cap and share_floor: a share of the "
        "delivered amount (delivered) or of cost (cost).")
    value: Annotated[float, Field(ge=0, le=schema.LARGEST, allow_inf_nan=False)] | None = Field(
        default=None, description="The bound: a fraction for shares, an amount in the task's "
        "unit for retain_at_home, USD m for budget_cap.")
    delivered_by: Literal["lead", "lead_and_linked"] = Field(
        default="lead", description="For lead_nation: who delivers where a country leads: "
        "only the lead (lead), or the lead and every country with an active link to it for "
        "the task, whether or not that country may lead itself (lead_and_linked).")
    sentence: str = Field(description="The constraint in one plain sentence; plans and "
                          "reports print it.")
    source: str = Field(description="Where it comes from: a public_facts row, or "
                        "'assumption: ...'.")
    when: Condition = Field(
        default={}, description="Conditions on scenario flags, flag: value or flag: [values]: "
        "the policy holds only when every one matches.")
    unless: Condition = Field(
        default={}, description="Conditions on scenario flags: the policy does not hold when "
        "any matches.")
    active_when: Condition = Field(
        default={}, description="For link: the link is active only when every condition "
        "matches.")
    active_unless: Condition = Field(
        default={}, description="For link: the link is inactive when any condition matches.")
    depends_on: list[Identifier] = Field(
        default=[], description="Links (by name) this policy exists by, e.g. US forces "
        "staying in Korea by the US-Korea alliance: it holds only while each is active, and "
        "switching one off (a flag, explain, resilience's --links) sets it aside too.")

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Policy:
        kind = self.kind
        if kind == "lead_nation":
            if self.value is not None or self.phase is not None:
                raise LEAD_TAKES_NO_PHASE.error()
        elif self.country is None or isinstance(self.country, list):
            raise ONE_COUNTRY.error(kind=kind)
        if (kind == "link") != (self.partner is not None):
            raise (LINK_NEEDS_PARTNER if kind == "link" else PARTNER_FOR_LINKS).error()
        if kind == "link" and (self.value is not None or self.region is not None
                               or self.phase is not None or self.when or self.unless):
            raise LINK_KEYS.error()
        if kind == "link" and self.depends_on:
            raise LINK_DEPENDS_ON.error()
        if kind != "link" and (self.active_when or self.active_unless):
            raise ACTIVE_FOR_LINKS.error()
        if kind == "link" and self.partner == self.country:
            raise LINK_TWO_COUNTRIES.error()
        if kind != "lead_nation" and self.delivered_by != "lead":
            raise DELIVERED_BY_LEAD.error()
        needs_task = kind == "retain_at_home" or (
            kind in ("share_cap", "share_floor") and self.of == "delivered")
        if needs_task and self.task is None:
            raise NEEDS_TASK.error(kind=kind)
        if kind == "retain_at_home" and (self.region is None or isinstance(
                self.region, list) or isinstance(self.task, list)):
            raise RETAIN_ONE_TASK_AND_REGION.error()
        if kind not in ("forbid", "link", "lead_nation") and self.value is None:
            raise NEEDS_VALUE.error(kind=kind)
        if kind == "forbid" and self.value is not None:
            raise FORBID_TAKES_NO_VALUE.error()
        if kind in ("share_cap", "share_floor") and self.value is not None and (
                self.value > 1):
            raise SHARE_IS_A_FRACTION.error()
        if self.of == "cost" and kind not in ("share_cap", "share_floor"):
            raise COST_FOR_SHARES.error()
        return self

    @property
    def countries(self) -> list[str]:
        """The country (or, for a link, both countries; for a lead, the candidates)."""
        return names(self.country) + names(self.partner)

    def active(self, flags: dict[str, str]) -> bool:
        """For a link: whether it is active under these flags."""
        return condition_holds(self.active_when, self.active_unless, flags)

    def carries(self, task: str) -> bool:
        """For a link: whether it carries this task."""
        return self.task is None or task in names(self.task)

    def applies(self, flags: dict[str, str], active: Collection[str] | None = None) -> bool:
        """Whether the policy puts rows in the LP under these flags (a link does when it is
        inactive), given the names of the active links (``None``: as the flags make them;
        a policy holds only while every link it depends on is active)."""
        if self.kind == "link":
            return not self.active(flags) if active is None else self.name not in active
        return condition_holds(self.when, self.unless, flags) and (
            active is None or all(link in active for link in self.depends_on))


def condition_holds(when: Condition, unless: Condition, flags: dict[str, str]) -> bool:
    """Every ``when`` flag has (one of) its values and no ``unless`` flag does."""
    def matches(condition: Condition) -> list[bool]:
        return [flags.get(flag) in ([v] if isinstance(v, str) else v)
                for flag, v in condition.items()]

    return all(matches(when)) and not any(matches(unless))


DEFAULT_NOT_A_VALUE = refusal(
    "Flag", "A flag whose `default` is not one of its `values`.",
    "default '{default}' is not one of the values",
    {"values": ["active", "paused"], "default": "none"})
NO_SUCH_VALUE = refusal(
    "Mission", "A flag set to a value it does not declare (in `flags`, and in the "
    "conditions of policies).", "flag {flag} has no value '{value}'",
    {"flags": {"gsomia": "paused"}})


class Flag(Frozen):
    """A scenario switch, e.g. ``gsomia: active | suspended``."""

    values: list[Identifier] = Field(min_length=2, description="The values the flag may "
                                     "take.")
    default: Identifier = Field(description="Its value when a mission does not set it.")
    description: str = Field(description="What each value means.")
    source: str = Field(description="Where the flag's meaning comes from.")

    @model_validator(mode="after")
    def _default_allowed(self) -> Flag:
        if self.default not in self.values:
            raise DEFAULT_NOT_A_VALUE.error(default=self.default)
        return self


class Standing(Frozen):
    """``capabilities/policies.yaml``: the scenario flags and the policies that hold in every
    mission (subject to their conditions)."""

    flags: dict[Identifier, Flag] = Field(
        default={}, description="The scenario flags missions may set, by name.")
    policies: list[Policy] = Field(
        default=[], description="The policies that hold in every mission, subject to their "
        "conditions.")


def names(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def selection(units: pd.DataFrame, policy: Policy, phase: str | list[str] | None,
              country: bool) -> pd.Series:
    """Which units variables a policy speaks about."""
    mask = pd.Series(True, index=units.index)
    if country:
        mask &= units["country"].isin(names(policy.country))
    for column, value in (("task", policy.task), ("region", policy.region),
                          ("phase", phase)):
        if value is not None:
            mask &= units[column].isin(names(value))
    return mask


def terms(units: pd.DataFrame, mask: pd.Series, weight: str | None,
          factor: float = 1.0) -> list[tuple[pulp.LpVariable, float]]:
    chosen = units[mask]
    weights = (chosen[weight].to_numpy(dtype=float) if weight
               else np.ones(len(chosen))) * factor
    return list(zip(chosen["var"].tolist(), weights.tolist(), strict=True))


def affine(pairs: list[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """An expression that adds up repeated variables (PuLP keeps only the last of a pair)."""
    summed: dict[pulp.LpVariable, float] = {}
    for var, coefficient in pairs:
        summed[var] = summed.get(var, 0.0) + coefficient
    return pulp.LpAffineExpression(list(summed.items()))


def policy_rows(policy: Policy, units: pd.DataFrame, phases: list[str],
                homes: dict[str, str]) -> list[tuple[str, pulp.LpConstraint]]:
    """The named LP rows of one applicable policy (none when no variable is concerned).

    ``homes`` maps a country to its home region, for links. Lead-nation rows need binary
    variables and are built by ``lead_nation_rows``.
    """
    name = f"policy[{policy.name}]"
    if policy.kind == "forbid":
        mask = selection(units, policy, policy.phase, country=True)
        if not mask.any():
            return []
        return [(name, affine(terms(units, mask, None)) <= 0)]
    if policy.kind == "link":
        mask = joint_work(units, policy, homes)
        return [(name, affine(terms(units, mask, None)) <= 0)] if mask.any() else []
    if policy.kind == "lead_nation":
        return []
    if policy.kind == "budget_cap":
        mask = selection(units, policy, policy.phase, country=True)
        return [(name, affine(terms(units, mask, "unit_cost"))
                 <= float(policy.value or 0))]
    if policy.kind == "retain_at_home":
        rows = []
        held = units[selection(units, policy, None, country=True)]  # then split by phase
        for phase in names(policy.phase) or phases:
            mask = held["phase"] == phase
            expr = affine(terms(held, mask, "delivers"))
            rows.append((f"policy[{policy.name},{phase}]", expr >= float(policy.value or 0)))
        return rows
    weight = "unit_cost" if policy.of == "cost" else "delivers"
    own = selection(units, policy, policy.phase, country=True)
    every = selection(units, policy, policy.phase, country=False)
    expr = affine(terms(units, own, weight)
                  + terms(units, every, weight, -float(policy.value or 0)))
    return [(name, expr <= 0 if policy.kind == "share_cap" else expr >= 0)]


def joint_work(units: pd.DataFrame, link: Policy, homes: dict[str, str]) -> pd.Series:
    """Units of either country of a link working in the other's home region on the tasks
    the link carries."""
    carried = units["task"].isin(names(link.task)) if link.task is not None else True
    one, other = link.countries
    mask = pd.Series(False, index=units.index)
    for country, partner in ((one, other), (other, one)):
        if partner in homes:
            mask |= (units["country"] == country) & (units["region"] == homes[partner])
    return mask & carried


def linked(one: str, other: str, task: str, links: list[Policy]) -> bool:
    """Whether an active link joins two countries for a task."""
    return any(set(link.countries) == {one, other} and link.carries(task) for link in links)


def lead_nation_rows(
    policy: Policy, units: pd.DataFrame, countries: list[str], links: list[Policy],
    required: dict[tuple[str, str, str], float], binary: Callable[[str], pulp.LpVariable],
    open_cells: set[tuple[str, str, str]] | None = None,
) -> tuple[list[tuple[str, pulp.LpConstraint, str]], list[tuple[str, str, str, Any]]]:
    """Rows and binary ``lead[policy,country,task,region]`` variables of a lead-nation policy,
    for each (task, region) in its scope that the mission requires (``required``: the amount
    of each requirement by task, region and phase).

    ``policy[name,task,region]``: exactly one candidate leads. ``policy[name,country,task,
    region,phase]``: what the country delivers there in the phase is at most ``bound`` times
    (it leads, or, with ``delivered_by: lead_and_linked``, a country linked to it for the
    task leads). ``bound`` is the least of what its pools could deliver there (quantity, not
    availability: a Monte Carlo draw may raise readiness) and what the requirement can use
    (``lead_bound``), so the LP relaxation of a fractional lead buys only its share of the
    requirement, not of the pools: a loose bound leaves the solver a weak relaxation to close.
    In ``open_cells`` (task, region, phase where another policy may reward delivering more than
    the requirement: a share or a retain-at-home floor) only the pools' bound is used. Returns
    (name, row, sentence) triples and (country, task, region, variable) leads.
    """
    candidates = [c for c in countries if c in (names(policy.country) or countries)]
    pairs = pd.Series(list(zip(units["task"], units["region"], strict=True)),
                      index=units.index)
    needed = {(t, r) for t, r, _ in required}
    scope = units[selection(units, policy, None, country=False) & pairs.isin(needed)]
    rows: list[tuple[str, pulp.LpConstraint, str]] = []
    leads: list[tuple[str, str, str, Any]] = []
    who = "it leads" + (" or a country linked to it leads"
                        if policy.delivered_by == "lead_and_linked" else "")
    for (task, region), here in scope.groupby(["task", "region"], sort=False):
        lead = {c: binary(f"lead[{policy.name},{c},{task},{region}]") for c in candidates}
        leads += [(c, task, region, var) for c, var in lead.items()]
        rows.append((f"policy[{policy.name},{task},{region}]",
                     pulp.lpSum(lead.values()) == 1,
                     f"Exactly one of {', '.join(candidates)} leads {task} in {region}."))
        for (country, phase), own in here.groupby(["country", "phase"], sort=False):
            allowed = [lead[country]] if country in lead else []
            if policy.delivered_by == "lead_and_linked":
                allowed += [var for other, var in lead.items()
                            if other != country and linked(country, other, task, links)]
            cell = (task, region, phase)
            bound = lead_bound(own, required.get(cell),
                               open_cells is not None and cell in open_cells)
            expr = affine([(var, d) for var, d in zip(own["var"], own["delivers"],
                                                      strict=True)]
                          + [(var, -bound) for var in allowed])
            rows.append((f"policy[{policy.name},{country},{task},{region},{phase}]",
                         expr <= 0,
                         f"{country} delivers {task} in {region} in {phase} only if {who}."))
    return rows, leads


def lead_bound(own: pd.DataFrame, amount: float | None, open_cell: bool) -> float:
    """The most a country's units in one (task, region, phase) usefully deliver: its pools'
    whole quantity, and, where no other policy rewards delivering more than the requirement,
    the requirement's amount plus the largest delivery of one whole unit (a whole-unit pool
    may have to overshoot by less than one unit; an optimum never needs more, since every
    unit costs something or nothing). Pools of ``own``: delivers, quantity, integer."""
    capacity = float((own["delivers"] * own["quantity"]).sum())
    if amount is None or open_cell:
        return capacity
    whole = own["delivers"][own["integer"]]
    overshoot = float(whole.max()) if len(whole) else 0.0
    return min(capacity, float(amount) + overshoot)


def check_flags(flags: dict[str, str], declared: dict[str, Flag], where: Where,
                base: tuple[Any, ...]) -> list[Problem]:
    """Every flag set is declared, with one of its declared values."""
    problems = []
    for flag, value in flags.items():
        path = (*base, flag)
        if flag not in declared:
            message, hint = unknown("flag", flag, declared)
            problems.append(where.problem(path, message, hint))
        elif value not in declared[flag].values:
            hint = unknown("value", value, declared[flag].values)[1]
            problems.append(where.problem(path, NO_SUCH_VALUE.text(flag=flag, value=value),
                                          hint))
    return problems


def check_policies(policies: list[Policy], vocabulary: dict[str, list[str]],
                   declared: dict[str, Flag], where: Where,
                   base: tuple[Any, ...]) -> list[Problem]:
    """Policies name known countries, tasks, regions, phases, flags and links (theirs and
    ``vocabulary['link']``, the standing ones), each name once."""
    problems = []
    links = sorted({p.name for p in policies if p.kind == "link"} | set(
        vocabulary.get("link", [])))
    first: dict[str, tuple[Any, ...]] = {}
    for index, policy in enumerate(policies):
        path = (*base, index)
        for field, kind in (("country", "country"), ("partner", "country"), ("task", "task"),
                            ("region", "region"), ("phase", "phase")):
            for value in names(getattr(policy, field)):
                if value not in vocabulary[kind]:
                    message, hint = unknown(kind, value, vocabulary[kind])
                    problems.append(where.problem((*path, field), message, hint))
        for at, link in enumerate(policy.depends_on):
            if link not in links:
                message, hint = unknown("link", link, links)
                problems.append(where.problem((*path, "depends_on", at), message, hint))
        for key in ("when", "unless", "active_when", "active_unless"):
            condition = getattr(policy, key)
            for flag, value in condition.items():
                for one in [value] if isinstance(value, str) else value:
                    problems += check_flags({flag: one}, declared, where, (*path, key))
        if policy.name in first:
            problems.append(where.problem((*path, "name"), POLICY_TWICE.text(
                name=policy.name, first=where.place(first[policy.name])), "rename one"))
        else:
            first[policy.name] = (*path, "name")
    return problems
