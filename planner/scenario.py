"""Apply a mission to the capability tables: the one instance the model is built from.

Kept apart from model building so the instance can be checked, saved with the plan and
reused by sweeps without re-reading any file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from planner.mission import Mission
from planner.validate import Capabilities

REQUIREMENT_COLUMNS = ["task", "region", "phase", "amount", "penalty", "note"]


@dataclass(frozen=True)
class Instance:
    """Capabilities and a mission, combined into what the LP needs."""

    capabilities: Capabilities
    mission: Mission
    requirements: pd.DataFrame  # one row per (task, region, phase), in mission order
    mission_file: str = ""  # where the mission was read from, as shown to the user

    @property
    def phases(self) -> list[str]:
        return list(self.mission.phases)

    @property
    def digest(self) -> str:
        """One hash of the tables and the mission as applied: equal digests, equal inputs."""
        mission = json.dumps(self.mission.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(f"{self.capabilities.digest}\n{mission}".encode()).hexdigest()


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


def apply_mission(capabilities: Capabilities, mission: Mission, mission_file: str = "") -> Instance:
    """The instance for a mission that has already been checked against the tables."""
    return Instance(capabilities, mission, requirement_table(mission), mission_file)
