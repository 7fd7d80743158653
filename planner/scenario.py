"""Apply a mission to the capability tables: the one instance the model is built from.

Kept apart from model building so the instance can be checked, saved with the plan and
reused by sweeps without re-reading any file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import pandas as pd

from planner.errors import InputError, Problem
from planner.mission import Mission
from planner.policy import Policy, check_flags
from planner.validate import Capabilities

REQUIREMENT_COLUMNS = ["task", "region", "phase", "amount", "penalty", "note"]


@dataclass(frozen=True)
class Instance:
    """Capabilities and a mission, combined into what the LP needs."""

    capabilities: Capabilities
    mission: Mission
    requirements: pd.DataFrame  # one row per (task, region, phase), in mission order
    mission_file: str = ""  # where the mission was read from, as shown to the user
    flags: dict[str, str] = field(default_factory=dict)  # every declared flag, as applied
    settings: dict[str, str] = field(default_factory=dict)  # --set overrides, as given
    policies: tuple[Policy, ...] = ()  # the policies that hold under the flags

    @property
    def phases(self) -> list[str]:
        return list(self.mission.phases)

    @property
    def digest(self) -> str:
        """One hash of the tables and the mission as applied: equal digests, equal inputs."""
        applied = {"mission": self.mission.model_dump(mode="json"), "settings": self.settings}
        text = json.dumps(applied, sort_keys=True)
        return hashlib.sha256(f"{self.capabilities.digest}\n{text}".encode()).hexdigest()


def requirement_table(mission: Mission) -> pd.DataFrame:
    """One row per (task, region, phase) with its amount and shortfall penalty."""
    default = mission.objective.shortfall_penalty
    rows = [
        (req.task, req.region, phase, amount,
         default if req.penalty is None else req.penalty, req.note)
        for req in mission.requirements
        for phase, amount in req.by_phase().items()
    ]
    table = pd.DataFrame(rows, columns=REQUIREMENT_COLUMNS)
    order = {p: i for i, p in enumerate(mission.phases)}
    return table.sort_values("phase", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``--set flag=value`` options as a mapping; a flag set twice is an error."""
    settings: dict[str, str] = {}
    problems = []
    for pair in pairs:
        flag, sep, value = pair.partition("=")
        flag, value = flag.strip(), value.strip()
        if not sep or not flag or not value:
            problems.append(Problem("--set", f"'{pair}' is not flag=value",
                                    hint="e.g. --set gsomia=suspended"))
        elif flag in settings and settings[flag] != value:
            problems.append(Problem("--set", f"flag '{flag}' is set twice ({settings[flag]} "
                                    f"and {value})", hint="keep one"))
        else:
            settings[flag] = value
    if problems:
        raise InputError(problems)
    return settings


def effective_flags(capabilities: Capabilities, mission: Mission,
                    settings: dict[str, str]) -> dict[str, str]:
    """Declared defaults, then the mission's flags, then --set; unknown ones are errors."""
    declared = capabilities.standing.flags
    problems = check_flags(settings, declared, "--set", {}, ())
    if problems:
        raise InputError(problems)
    return {name: settings.get(name, mission.flags.get(name, flag.default))
            for name, flag in declared.items()}


def applicable_policies(capabilities: Capabilities, mission: Mission,
                        flags: dict[str, str]) -> tuple[Policy, ...]:
    """Standing policies (a mission policy of the same name replaces one), then the
    mission's, keeping those whose conditions hold under the flags."""
    own = {p.name for p in mission.policies}
    every = [p for p in capabilities.standing.policies if p.name not in own]
    every += mission.policies
    return tuple(p for p in every if p.applies(flags))


def apply_mission(capabilities: Capabilities, mission: Mission, mission_file: str = "",
                  settings: dict[str, str] | None = None) -> Instance:
    """The instance for a mission that has already been checked against the tables."""
    settings = settings or {}
    flags = effective_flags(capabilities, mission, settings)
    return Instance(capabilities, mission, requirement_table(mission), mission_file, flags,
                    settings, applicable_policies(capabilities, mission, flags))
