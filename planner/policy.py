"""Legal and political constraints: their schema, the scenario flags they depend on, and the
LP rows they become.

A policy is a sentence with a source (a law, an agreement, a statement) that limits what a
country may or will do. Standing policies live with the capability data
(``capabilities/policies.yaml``); a mission adds its own. Each becomes rows named
``policy[<name>]`` (or ``policy[<name>,<phase>]``), so a binding policy, its shadow price
or a conflict between policies is reported in the analyst's words.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
import pulp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner import schema
from planner.errors import Problem, unknown
from planner.load import locate

Identifier = Annotated[str, Field(pattern=schema.ID_PATTERN)]
CountryCode = Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)]
Condition = dict[Identifier, Identifier | list[Identifier]]

PolicyKind = Literal["forbid", "share_cap", "share_floor", "retain_at_home", "budget_cap"]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Policy(Frozen):
    """One legal or political constraint on a country.

    - ``forbid``: the country delivers none of ``task`` (every task when omitted), optionally
      only in ``region`` / ``phase``;

    ``task``, ``region`` and ``phase`` each take one name or a list of names.
    - ``share_cap`` / ``share_floor``: the country's share of the delivered amount of ``task``
      (``of: delivered``) or of cost (``of: cost``; ``task`` optional) is at most / at least
      ``value`` (a fraction), within the optional ``region`` / ``phase``;
    - ``retain_at_home``: the country delivers at least ``value`` of ``task`` in ``region`` in
      every phase (or only ``phase``);
    - ``budget_cap``: the country's cost (optionally of one ``phase``) is at most ``value``
      USD m.

    ``when`` and ``unless`` are conditions on scenario flags: the policy holds only when every
    ``when`` flag has (one of) the given value(s), and no ``unless`` flag does.
    """

    name: Identifier
    kind: PolicyKind
    country: CountryCode
    task: Identifier | list[Identifier] | None = None
    region: Identifier | list[Identifier] | None = None
    phase: Identifier | list[Identifier] | None = None
    of: Literal["delivered", "cost"] = "delivered"
    value: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    sentence: str
    source: str
    when: Condition = {}
    unless: Condition = {}

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Policy:
        needs_task = self.kind == "retain_at_home" or (
            self.kind in ("share_cap", "share_floor") and self.of == "delivered")
        if needs_task and self.task is None:
            raise ValueError(f"a {self.kind} policy needs a 'task'")
        if self.kind == "retain_at_home" and (self.region is None or isinstance(
                self.region, list) or isinstance(self.task, list)):
            raise ValueError("a retain_at_home policy needs one 'task' and one 'region'")
        if self.kind != "forbid" and self.value is None:
            raise ValueError(f"a {self.kind} policy needs a 'value'")
        if self.kind == "forbid" and self.value is not None:
            raise ValueError("a forbid policy takes no 'value'")
        if self.kind in ("share_cap", "share_floor") and self.value is not None and (
                self.value > 1):
            raise ValueError("a share is a fraction between 0 and 1")
        if self.of == "cost" and self.kind not in ("share_cap", "share_floor"):
            raise ValueError("'of: cost' applies to share_cap and share_floor only")
        return self

    def applies(self, flags: dict[str, str]) -> bool:
        """Whether the policy holds under these scenario flags."""
        def matches(condition: Condition) -> list[bool]:
            return [flags.get(flag) in ([v] if isinstance(v, str) else v)
                    for flag, v in condition.items()]

        return all(matches(self.when)) and not any(matches(self.unless))


class Flag(Frozen):
    """A scenario switch, e.g. ``gsomia: active | suspended``."""

    values: list[Identifier] = Field(min_length=2)
    default: Identifier
    description: str
    source: str

    @model_validator(mode="after")
    def _default_allowed(self) -> Flag:
        if self.default not in self.values:
            raise ValueError(f"default '{self.default}' is not one of the values")
        return self


class Standing(Frozen):
    """``capabilities/policies.yaml``: the scenario flags and the policies that hold in every
    mission (subject to their conditions)."""

    flags: dict[Identifier, Flag] = {}
    policies: list[Policy] = []


def names(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def selection(units: pd.DataFrame, policy: Policy, phase: str | list[str] | None,
              country: bool) -> pd.Series:
    """Which units variables a policy speaks about."""
    mask = pd.Series(True, index=units.index)
    if country:
        mask &= units["country"] == policy.country
    for column, value in (("task", policy.task), ("region", policy.region),
                          ("phase", phase)):
        if value is not None:
            mask &= units[column].isin(names(value))
    return mask


def terms(units: pd.DataFrame, mask: pd.Series, weight: str | None,
          factor: float = 1.0) -> list[tuple[pulp.LpVariable, float]]:
    chosen = units[mask]
    weights = chosen[weight] if weight else pd.Series(1.0, index=chosen.index)
    return [(v, factor * float(w)) for v, w in zip(chosen["var"], weights, strict=True)]


def affine(pairs: list[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """An expression that adds up repeated variables (PuLP keeps only the last of a pair)."""
    summed: dict[pulp.LpVariable, float] = {}
    for var, coefficient in pairs:
        summed[var] = summed.get(var, 0.0) + coefficient
    return pulp.LpAffineExpression(list(summed.items()))


def policy_rows(policy: Policy, units: pd.DataFrame,
                phases: list[str]) -> list[tuple[str, pulp.LpConstraint]]:
    """The named LP rows of one applicable policy (none when no variable is concerned)."""
    name = f"policy[{policy.name}]"
    if policy.kind == "forbid":
        mask = selection(units, policy, policy.phase, country=True)
        if not mask.any():
            return []
        return [(name, affine(terms(units, mask, None)) <= 0)]
    if policy.kind == "budget_cap":
        mask = selection(units, policy, policy.phase, country=True)
        return [(name, affine(terms(units, mask, "unit_cost"))
                 <= float(policy.value or 0))]
    if policy.kind == "retain_at_home":
        rows = []
        for phase in names(policy.phase) or phases:
            mask = selection(units, policy, phase, country=True)
            expr = affine(terms(units, mask, "delivers"))
            rows.append((f"policy[{policy.name},{phase}]", expr >= float(policy.value or 0)))
        return rows
    weight = "unit_cost" if policy.of == "cost" else "delivers"
    own = selection(units, policy, policy.phase, country=True)
    every = selection(units, policy, policy.phase, country=False)
    expr = affine(terms(units, own, weight)
                  + terms(units, every, weight, -float(policy.value or 0)))
    return [(name, expr <= 0 if policy.kind == "share_cap" else expr >= 0)]


def check_flags(flags: dict[str, str], declared: dict[str, Flag], label: str,
                lines: dict[tuple[Any, ...], int], base: tuple[Any, ...]) -> list[Problem]:
    """Every flag set is declared, with one of its declared values."""
    problems = []
    for flag, value in flags.items():
        path = (*base, flag)
        if flag not in declared:
            message, hint = unknown("flag", flag, declared)
            problems.append(locate(label, lines, path, message, hint))
        elif value not in declared[flag].values:
            message, hint = unknown(f"value of flag {flag}", value, declared[flag].values)
            problems.append(locate(label, lines, path, message, hint))
    return problems


def check_policies(policies: list[Policy], vocabulary: dict[str, list[str]],
                   declared: dict[str, Flag], label: str,
                   lines: dict[tuple[Any, ...], int], base: tuple[Any, ...]) -> list[Problem]:
    """Policies name known countries, tasks, regions, phases and flags, each name once."""
    problems = []
    first: dict[str, int] = {}
    for index, policy in enumerate(policies):
        path = (*base, index)
        for field in ("country", "task", "region", "phase"):
            for value in names(getattr(policy, field)):
                if value not in vocabulary[field]:
                    message, hint = unknown(field, value, vocabulary[field])
                    problems.append(locate(label, lines, (*path, field), message, hint))
        for key in ("when", "unless"):
            condition = getattr(policy, key)
            for flag, value in condition.items():
                for one in [value] if isinstance(value, str) else value:
                    problems += check_flags({flag: one}, declared, label, lines, (*path, key))
        if policy.name in first:
            problems.append(locate(label, lines, (*path, "name"),
                                   f"policy '{policy.name}' is defined twice (first at "
                                   f"{base[-1]}[{first[policy.name]}])", "rename one"))
        else:
            first[policy.name] = index
    return problems
