"""Legal and political constraints: the scenario flags they depend on, the standing
policies, and the checks of a file's policies against the tables.

A policy is a sentence with a source (a law, an agreement, a statement) that limits what a
country may or will do. Standing policies live with the capability data
(``capabilities/policies.yaml``); a mission adds its own. Each kind of policy is a class of
its own in ``planner/schema/policies/<kind>.py`` (its keys, checks, rows and texts);
``AnyPolicy`` is their union, ``Policy`` what they share. Each becomes rows named
``policy[<name>]`` (or ``policy[<name>,<phase>]``), so a binding policy, its shadow price
or a conflict between policies is reported in the analyst's words.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from planner.errors import Problem, refusal, unknown
from planner.inputs.load import Where
from planner.schema.policies.base import (
    Condition,
    CountryCode,
    Frozen,
    Identifier,
    Policy,
    condition_holds,
    names,
)
from planner.schema.policies.registry import KINDS, AnyPolicy, PolicyKind, make_policy

__all__ = ["KINDS", "AnyPolicy", "Condition", "CountryCode", "Flag", "Frozen", "Identifier",
           "Policy", "PolicyKind", "Standing", "check_flags", "check_policies",
           "condition_holds", "make_policy", "names"]

POLICY_TWICE = refusal(
    "Policy", "Two policies of one file with the same `name` (a mission's policy of a "
    "standing policy's name replaces it instead).",
    "policy '{name}' is defined twice (first at {first})",
    {"name": "twice", "kind": "forbid", "country": "JPN"},
    {"name": "twice", "kind": "forbid", "country": "KOR"})


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
    policies: list[AnyPolicy] = Field(
        default=[], description="The policies that hold in every mission, subject to their "
        "conditions.")


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
    links = sorted({p.name for p in policies if p.is_link} | set(vocabulary.get("link", [])))
    first: dict[str, tuple[Any, ...]] = {}
    for index, policy in enumerate(policies):
        path = (*base, index)
        problems += policy.check(vocabulary, links, where, path)
        for key, condition in policy.conditions():
            for flag, value in condition.items():
                for one in [value] if isinstance(value, str) else value:
                    problems += check_flags({flag: one}, declared, where, (*path, key))
        if policy.name in first:
            problems.append(where.problem((*path, "name"), POLICY_TWICE.text(
                name=policy.name, first=where.place(first[policy.name])), "rename one"))
        else:
            first[policy.name] = (*path, "name")
    return problems
