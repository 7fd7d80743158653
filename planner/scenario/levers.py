"""``planner flags``: the scenario flags a user can set, with their values, meaning, source
and the policies each one switches, so the levers are found without reading policies.yaml.

Pure listing here (``flag_levers``); printing at the edge (``print_levers``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from planner.checks.validate import Capabilities
from planner.scenario.instance import every_policy, file_flags
from planner.schema.mission import Mission
from planner.schema.policy import Policy

HOW = ("Set one for a run with --set FLAG=VALUE (solve, explain, report, compare, analyze); "
       "the plan, its folder and its report then name the flags that differ from the mission "
       "file. `planner explain` prints what each policy costs; `planner report` on the folder "
       "it writes shows those costs.")


@dataclass(frozen=True)
class Lever:
    """One scenario flag as a user sees it."""

    name: str
    values: list[str]
    default: str
    mission_value: str | None  # the mission file's value (None: no mission given)
    description: str
    source: str
    policies: list[str]  # the policies and links whose conditions name the flag


def conditions(policy: Policy) -> set[str]:
    """The flags a policy's conditions (or a link's) depend on."""
    return {flag for _, condition in policy.conditions() for flag in condition}


def flag_levers(capabilities: Capabilities, mission: Mission | None) -> list[Lever]:
    """Every declared flag, in declared order, with the policies it switches (the standing
    ones, and the mission's when a mission is given)."""
    policies = (every_policy(capabilities, mission) if mission is not None
                else list(capabilities.standing.policies))
    values = file_flags(capabilities, mission) if mission is not None else {}
    return [Lever(name=name, values=list(flag.values), default=flag.default,
                  mission_value=values.get(name), description=flag.description,
                  source=flag.source,
                  policies=[p.name for p in policies if name in conditions(p)])
            for name, flag in capabilities.standing.flags.items()]


def levers_document(levers: list[Lever], policies_file: str, mission: str | None) -> dict:
    """The listing for scripts (``--format json``)."""
    return {"policies_file": policies_file, "mission": mission,
            "flags": [asdict(lever) for lever in levers]}


def print_levers(levers: list[Lever], policies_file: str, mission: str | None,
                 console: Console) -> None:
    console.print(Text(f"Scenario flags, declared in {policies_file}. {HOW}"))
    for lever in levers:
        console.print()
        setting = f"default {lever.default}"
        if mission is not None:
            setting += f"; {mission}: {lever.mission_value}"
        console.print(Text.assemble((lever.name, "bold"), f": {' | '.join(lever.values)} "
                                    f"({setting})"))
        none = "no standing policy (a mission's own policies may)" if mission is None \
            else "no policy of this mission"
        lines = [lever.description, "Switches: " + (", ".join(lever.policies) or none),
                 f"Source: {lever.source}"]
        for line in lines:
            console.print(Padding(Text(line), (0, 0, 0, 2)))
