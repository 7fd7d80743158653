"""An exercise: a mission, the moves teams made, and where play stands.

Moves form a tree: each move follows the one that was current when it was made (its
parent), undo steps back to the parent, and going back to any move and playing on from
there starts a branch; nothing is ever deleted. The state at a move is the chain of changes
from the start to it: pool sizes set and flags decided.

Every change is checked by the schema the files are checked by (a pool change becomes a
mission ``Override``, a flag is checked against the flags declared in ``policies.yaml``)
and against what the team owns; a bad one raises ``MoveError`` and changes nothing. After
every change the exercise is written to ``exercise.json`` in its folder through a temporary
file and a rename, so a server killed at any moment restarts where play stood.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from planner.checks.validate import Capabilities
from planner.errors import InputError, Problem
from planner.reports.output import write_atomic
from planner.results.plan import Plan
from planner.schema.mission import Mission, Override
from planner.serve.engine import Engine, Solved

FACILITATOR = "facilitator"
FILE = "exercise.json"
# Who decides each flag; the facilitator sets any flag (and alone those not listed here,
# such as the alliance's topology). Not in policies.yaml: it is a rule of play, not of law.
OWNERS: dict[str, tuple[str, ...]] = {
    "japan_situation": ("JPN",),
    "korea_dispatch_consent": ("KOR",),
    "gsomia": ("JPN", "KOR"),
    "usfk_posture": ("USA",),
    "korea_regional_consent": ("KOR",),
    "japan_prior_consultation": ("JPN",),
    "edca_use": ("PHL",),
    "australia_commitment": ("AUS",),
}
POOL_COLUMNS = ("quantity", "readiness")
PLANS_KEPT = 32


class MoveError(Exception):
    """A change refused, with the messages to show on the page."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(Record):
    """What one move changed: a pool's quantity and/or readiness, or one flag."""

    kind: Literal["pool", "flag"]
    country: str | None = None
    pool: str | None = None
    values: dict[str, float] = {}
    flag: str | None = None
    setting: str | None = None

    def describe(self) -> str:
        if self.kind == "flag":
            return f"{self.flag} = {self.setting}"
        return f"{self.country} {self.pool}: " + ", ".join(
            f"{k} {v:g}" for k, v in self.values.items())


class Outcome(Record):
    """A plan in a line: objective, status, shortfalls and each ally's cost share."""

    status: str
    objective: float | None
    shortfalls: int
    shares: dict[str, float]

    @classmethod
    def of(cls, plan: Plan) -> Outcome:
        return cls(status=plan.status, objective=plan.objective,
                   shortfalls=len(plan.shortfalls),
                   shares={c.country: c.cost_share for c in plan.countries})


class Move(Record):
    number: int
    parent: int  # 0: the mission as written
    team: str
    change: Change
    before: Outcome
    after: Outcome
    made_at: str


class Saved(Record):
    """The file of an exercise."""

    mission: str
    mission_digest: str
    head: int
    moves: list[Move]


@dataclass
class State:
    """The mission's changes at one move: pool values and flags."""

    pools: dict[tuple[str, str], dict[str, float]]
    flags: dict[str, str]


class Exercise:
    """One exercise, shared by every browser; safe to call from several threads."""

    def __init__(self, folder: Path, capabilities: Capabilities, mission: Mission,
                 mission_file: str, engine: Engine) -> None:
        self.folder = folder
        self.capabilities = capabilities
        self.mission = mission
        self.mission_file = mission_file
        self.engine = engine
        self.lock = threading.RLock()
        self.moves: list[Move] = []
        self.head = 0
        self.version = 1  # changes with every move, undo and jump: browsers poll it
        self.plans: dict[int, Plan] = {}
        self.last: Solved | None = None
        self.states: dict[str, Any] = {}  # the last state replayed, by (move, moves played)
        base = engine.instance({}, {})
        self.pools = {(c, p): {"quantity": float(q), "readiness": float(r)} for c, p, q, r in
                      base.capabilities.pools[["country", "pool", "quantity", "readiness"]]
                      .itertuples(index=False)}
        self.countries = list(base.capabilities.countries["country"])
        self.names = dict(zip(base.capabilities.countries["country"],
                              base.capabilities.countries["name"], strict=True))
        self.base_flags = dict(base.flags)
        self.digest = base.digest
        self.load()

    # --- the file ------------------------------------------------------------------------

    def load(self) -> None:
        """Resume from the folder's exercise file, when there is one for this mission."""
        path = self.folder / FILE
        if not path.exists():
            return
        try:
            saved = Saved.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, OSError, UnicodeDecodeError) as exc:
            raise InputError([Problem(str(path), "not an exercise file this planner can "
                                      f"read ({exc.__class__.__name__})",
                                      hint="give another --folder, or move the file away "
                                      "to start afresh")]) from None
        if saved.mission != self.mission.name:
            raise InputError([Problem(str(path), "the exercise in this folder plays mission "
                                      f"{saved.mission}, not {self.mission.name}",
                                      hint=f"run planner serve {saved.mission}, or give "
                                      "another --folder")])
        numbers = {m.number for m in saved.moves}
        if (saved.head and saved.head not in numbers) or any(
                m.parent and m.parent not in numbers for m in saved.moves):
            raise InputError([Problem(str(path), "the exercise file names a move it does not "
                                      "hold", hint="restore the file, or give another "
                                      "--folder")])
        self.moves, self.head = list(saved.moves), saved.head

    def save(self) -> None:
        saved = Saved(mission=self.mission.name, mission_digest=self.digest, head=self.head,
                      moves=self.moves)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / FILE, saved.model_dump_json().encode("utf-8"))

    # --- states and plans ----------------------------------------------------------------

    def line(self, number: int) -> list[Move]:
        """The moves from the start to ``number``, in the order they were played."""
        by_number = {m.number: m for m in self.moves}
        chain = []
        while number:
            move = by_number[number]
            chain.append(move)
            number = move.parent
        return chain[::-1]

    def state(self, number: int) -> State:
        """The changes in force at a move (a fresh copy: callers may add to it)."""
        key = (number, len(self.moves))
        if self.states.get("key") != key:
            self.states = {"key": key, "state": self.replay(number)}
        cached: State = self.states["state"]
        return State({k: dict(v) for k, v in cached.pools.items()}, dict(cached.flags))

    def replay(self, number: int) -> State:
        pools: dict[tuple[str, str], dict[str, float]] = {}
        flags: dict[str, str] = {}
        for move in self.line(number):
            change = move.change
            if change.kind == "pool":
                key = (change.country or "", change.pool or "")
                pools[key] = {**pools.get(key, {}), **change.values}
            else:
                flags[change.flag or ""] = change.setting or ""
        return State(pools=pools, flags=flags)

    def plan(self, number: int | None = None) -> Plan:
        """The plan at a move (the current one by default), solved on first need."""
        with self.lock:
            number = self.head if number is None else number
            if number not in self.plans:
                state = self.state(number)
                solved = self.engine.solve(state.pools, state.flags)
                self.last = solved
                self.plans[number] = solved.plan
                if len(self.plans) > PLANS_KEPT:
                    self.plans.pop(next(n for n in self.plans if n != self.head))
            return self.plans[number]

    def value(self, country: str, pool: str, column: str) -> float:
        """A pool's value in the current state (as moved, else as the mission has it)."""
        moved = self.state(self.head).pools.get((country, pool), {})
        return float(moved.get(column, self.pools[(country, pool)][column]))

    def flags(self) -> dict[str, str]:
        return {**self.base_flags, **self.state(self.head).flags}

    def pools_of(self, country: str) -> list[str]:
        return [p for c, p in self.pools if c == country]

    # --- moves ---------------------------------------------------------------------------

    def check(self, team: str, change: Change) -> Change:
        """The change as validated, or MoveError naming what is wrong."""
        if change.kind == "flag":
            return self.check_flag(team, change)
        country, pool = change.country or "", change.pool or ""
        if team != country:
            raise MoveError([f"team {team} cannot change {country}'s pools"])
        if (country, pool) not in self.pools:
            raise MoveError([f"{country} has no pool '{pool}' in this mission"])
        try:
            Override(country=country, pool=pool, source="exercise", **change.values)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise MoveError([f"{pool} {'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors()]) from None
        values = {k: v for k, v in change.values.items()
                  if abs(v - self.value(country, pool, k)) > 1e-12}
        if not values:
            raise MoveError([f"{pool} already has those values: nothing to change"])
        return change.model_copy(update={"values": values})

    def check_flag(self, team: str, change: Change) -> Change:
        declared = self.capabilities.standing.flags
        flag, setting = change.flag or "", change.setting or ""
        if flag not in declared:
            raise MoveError([f"no flag '{flag}'; flags: {', '.join(declared)}"])
        if setting not in declared[flag].values:
            raise MoveError([f"flag {flag} has no value '{setting}'; values: "
                             f"{', '.join(declared[flag].values)}"])
        if team != FACILITATOR and team not in OWNERS.get(flag, ()):
            raise MoveError([f"team {team} does not decide {flag}"])
        if self.flags().get(flag) == setting:
            raise MoveError([f"{flag} is already {setting}: nothing to change"])
        return change

    def move(self, team: str, change: Change) -> Move:
        """Play a change after the current move; the exercise is saved before returning."""
        with self.lock:
            change = self.check(team, change)
            before = Outcome.of(self.plan())
            number = max((m.number for m in self.moves), default=0) + 1
            parent = self.head
            state = self.state(parent)
            if change.kind == "pool":
                key = (change.country or "", change.pool or "")
                state.pools[key] = {**state.pools.get(key, {}), **change.values}
            else:
                state.flags[change.flag or ""] = change.setting or ""
            solved = self.engine.solve(state.pools, state.flags)
            move = Move(number=number, parent=parent, team=team, change=change,
                        before=before, after=Outcome.of(solved.plan),
                        made_at=datetime.now(UTC).isoformat(timespec="seconds"))
            self.moves.append(move)
            self.head = number
            self.last = solved
            self.plans[number] = solved.plan
            self.save()
            self.version += 1
            return move

    def undo(self) -> int:
        """Step back to the move before the current one (kept in the log, for a branch)."""
        with self.lock:
            if not self.head:
                raise MoveError(["nothing to undo: play is at the start"])
            return self.go_to(self.line(self.head)[-1].parent)

    def go_to(self, number: int) -> int:
        """Make a move (0: the start) current; the next move starts a branch from it."""
        with self.lock:
            if number and number not in {m.number for m in self.moves}:
                raise MoveError([f"there is no move {number}"])
            self.head = number
            self.save()
            self.version += 1
            return number
