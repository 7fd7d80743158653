"""Mission files: the YAML schema, loading with located errors, and checks against the tables.

A mission says what the alliance must cover (requirements per task, region and phase) and
how a shortfall is priced. Models are frozen and forbid unknown keys, so a misspelt key is
an error rather than a silently ignored setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner import schema
from planner.errors import InputError, Problem, suggest, unknown
from planner.load import locate, read_yaml
from planner.policy import Flag, Policy, Standing, check_flags, check_policies

M = TypeVar("M", bound=BaseModel)
Identifier = Annotated[str, Field(pattern=schema.ID_PATTERN)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(Frozen):
    """How much of a task the alliance must deliver in a region, in one or several phases.

    Either ``phase`` with a single ``amount``, or ``amount`` as a mapping phase -> amount.
    """

    task: Identifier
    region: Identifier
    phase: Identifier | None = None
    amount: Amount | dict[Identifier, Amount]
    penalty: Amount | None = Field(
        default=None,
        description="USD m per unit of the task left uncovered; default: the objective's.",
    )
    note: str = ""

    @model_validator(mode="after")
    def _phase_given_once(self) -> Requirement:
        if isinstance(self.amount, dict):
            if self.phase is not None:
                raise ValueError("give either 'phase' with one amount, or amounts per phase")
            if not self.amount:
                raise ValueError("amount per phase is empty")
        elif self.phase is None:
            raise ValueError("'phase' is missing: give a phase, or amounts per phase "
                             "like {peacetime: 2, crisis: 4}")
        return self

    def by_phase(self) -> dict[str, float]:
        """The amount required in each phase this requirement names."""
        if isinstance(self.amount, dict):
            return dict(self.amount)
        assert self.phase is not None
        return {self.phase: self.amount}


class Objective(Frozen):
    """What the plan minimises: employment cost plus priced shortfalls."""

    shortfall_penalty: Amount = Field(
        default=1000.0,
        description="USD m per unit of a requirement left uncovered, unless the requirement "
        "sets its own penalty. Set it well above any unit cost so that shortfalls happen only "
        "when capacity or policy leaves no other way.",
    )


class Mission(Frozen):
    """A mission: requirements over phases, scenario flags, its own policies, the objective."""

    name: Identifier
    description: str
    extends: str | None = Field(
        default=None, description="A mission this one starts from (a name beside this file).")
    phases: list[Identifier] = Field(min_length=1)
    flags: dict[Identifier, Identifier] = Field(
        default={}, description="Scenario flags, e.g. gsomia: suspended; unset flags take "
        "their default from capabilities/policies.yaml.")
    requirements: list[Requirement] = Field(min_length=1)
    policies: list[Policy] = Field(
        default=[], description="Mission-specific policies, added to the standing ones; one "
        "with the name of a standing policy replaces it.")
    objective: Objective = Objective()

    @model_validator(mode="after")
    def _phases_unique(self) -> Mission:
        if len(set(self.phases)) != len(self.phases):
            raise ValueError("phases are listed twice")
        return self


def validated(model: type[M], document: dict[str, Any], label: str,
              lines: dict[tuple[Any, ...], int]) -> M:
    """A pydantic model from a YAML document; its errors located by line and key path."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        by_path: dict[tuple[Any, ...], list[str]] = {}
        hints: dict[tuple[Any, ...], str | None] = {}
        for error in exc.errors():
            loc = clean_loc(error["loc"], lines)
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = f"unknown key '{loc[-1]}'"
                hints[loc] = known_keys_hint(model, loc)
            by_path.setdefault(loc, [])
            if message not in by_path[loc]:
                by_path[loc].append(message)
        problems = [locate(label, lines, loc, "; or ".join(messages), hints.get(loc))
                    for loc, messages in by_path.items()]
        raise InputError(problems) from None


def load_mission(path: Path, label: str | None = None,
                 chain: tuple[Path, ...] = ()) -> Mission:
    """Read and validate one mission file's structure (not yet against the tables).

    A mission that ``extends`` another starts from it: its own keys replace the parent's,
    except ``requirements`` (replaced per task and region), ``policies`` (replaced per name)
    and ``flags`` (replaced per flag), which are merged.
    """
    label = label or str(path)
    document, lines = read_yaml(path, label)
    parent_name = document.get("extends")
    if isinstance(parent_name, str):
        parent_path = parent_file(path, parent_name)
        here = path.resolve()
        if parent_path is None:
            raise InputError([locate(label, lines, ("extends",),
                                     f"the mission '{parent_name}' it extends does not exist",
                                     f"put {parent_name}.yaml beside {path.name}")])
        if parent_path.resolve() in (*chain, here):
            cycle = " -> ".join(p.stem for p in (*chain, here, parent_path.resolve()))
            raise InputError([locate(label, lines, ("extends",),
                                     f"'extends' makes a cycle: {cycle}",
                                     "remove one of the 'extends' keys")])
        parent = load_mission(parent_path, str(parent_path), (*chain, here))
        document = inherit(parent.model_dump(mode="json"), document)
    return validated(Mission, document, label, lines)


def parent_file(path: Path, name: str) -> Path | None:
    """The mission a mission extends: a name beside it, or a path relative to it."""
    candidates = [path.parent / name] if Path(name).suffix else [
        path.parent / f"{name}{suffix}" for suffix in (".yaml", ".yml")]
    return next((c for c in candidates if c.is_file()), None)


def inherit(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """The child's document on top of its parent's, merging the keyed lists."""
    merged = {**parent, **child}
    for field, key in (("requirements", ("task", "region")), ("policies", ("name",))):
        if isinstance(child.get(field), list):
            merged[field] = replace_by_key(parent[field], child[field], key)
    if isinstance(child.get("flags"), dict):
        merged["flags"] = {**parent["flags"], **child["flags"]}
    return merged


def replace_by_key(inherited: list[Any], own: list[Any], key: tuple[str, ...]) -> list[Any]:
    """The parent's items not replaced by one of the child's with the same key, then the
    child's (malformed items are kept for validation to report)."""
    def identity(item: Any) -> Any:
        return tuple(item.get(k) for k in key) if isinstance(item, dict) else id(item)

    replaced = {identity(item) for item in own}
    return [item for item in inherited if identity(item) not in replaced] + own


NESTED: dict[str, type[BaseModel]] = {
    "requirements": Requirement, "objective": Objective, "policies": Policy, "flags": Flag,
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
                  declared: dict[str, Flag], label: str,
                  lines: dict[tuple[Any, ...], int] | None = None) -> list[Problem]:
    """References to tasks, regions, phases and flags exist; nothing is given twice."""
    lines = lines or {}
    tasks, regions, phases = vocabulary["task"], vocabulary["region"], vocabulary["phase"]
    problems = check_flags(mission.flags, declared, label, lines, ("flags",))
    problems += check_policies(mission.policies, vocabulary, declared, label, lines,
                               ("policies",))
    for index, name in enumerate(mission.phases):
        if name not in phases:
            message, hint = unknown("phase", name, phases)
            problems.append(locate(label, lines, ("phases", index), message, hint))
    seen: dict[tuple[str, str, str], int] = {}
    for index, req in enumerate(mission.requirements):
        base = ("requirements", index)
        if req.task not in tasks:
            message, hint = unknown("task", req.task, tasks)
            problems.append(locate(label, lines, (*base, "task"), message, hint))
        if req.region not in regions:
            message, hint = unknown("region", req.region, regions)
            problems.append(locate(label, lines, (*base, "region"), message, hint))
        for phase in req.by_phase():
            path = (*base, "phase") if req.phase else (*base, "amount", phase)
            if phase not in mission.phases:
                message, hint = unknown("phase", phase, mission.phases)
                problems.append(locate(label, lines, path, f"{message} (not among the "
                                       "mission's phases)", hint))
            key = (req.task, req.region, phase)
            if key in seen:
                problems.append(locate(label, lines, path, f"requirement {req.task} in "
                                       f"{req.region}, {phase} is given twice (first in "
                                       f"requirements[{seen[key]}])",
                                       "merge the two into one amount"))
            else:
                seen[key] = index
    return problems
