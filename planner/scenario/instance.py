"""Apply a mission to the capability tables: the one instance the model is built from.

Kept apart from model building so the instance can be checked, saved with the plan and
reused by sweeps without re-reading any file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import pandas as pd

from planner.checks.validate import Capabilities
from planner.errors import InputError, Problem
from planner.inputs.load import Where
from planner.scenario.force import expand_mission, expand_policies
from planner.scenario.values import requirement_values
from planner.schema import tables as schema
from planner.schema.mission import Mission, Override, Requirement
from planner.schema.policy import Policy, check_flags, condition_holds
from planner.schema.sustainment import Period, Span, Transfer, Use, calendar

REQUIREMENT_COLUMNS = ["task", "region", "phase", "amount", "penalty", "note", "value_basis"]


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
    links: tuple[Policy, ...] = ()  # the links active under the flags
    overrides: tuple[AppliedOverride, ...] = ()  # changes made to the tables
    file_flags: dict[str, str] = field(default_factory=dict)  # as the mission file sets them
    # overrides given beyond the mission file's (the Python API); already in mission.overrides
    added_overrides: tuple[Override, ...] = ()
    # where each key of the mission was written (file and line), when it was read from a file:
    # an analysis that refuses part of the mission names the line without reading it again
    where: Where | None = field(default=None, compare=False, repr=False)
    # the mission's periods as the file gives them (phase, days, start, share of the phase);
    # the applied mission's phases are these periods
    spans: tuple[Span, ...] = ()

    @property
    def weights(self) -> dict[str, float]:
        """Each period's share of its phase (1 for a phase in one period): the share of the
        per-phase costs and penalties it carries."""
        return {s.name: s.weight for s in self.spans}

    @property
    def uses(self) -> list[Use]:
        """The uses of stocks that hold under the flags."""
        return [u for u in self.mission.uses if condition_holds(u.when, u.unless, self.flags)]

    @property
    def routes(self) -> list[Transfer]:
        """The transfer routes open under the flags."""
        return [t for t in self.mission.transfers
                if condition_holds(t.when, t.unless, self.flags)]

    @property
    def changed_flags(self) -> dict[str, str]:
        """The flags whose value differs from the mission file's."""
        return changed_flags(self.file_flags, self.flags)

    @property
    def name(self) -> str:
        """The plan's name: the mission's, with every flag the file does not set so."""
        return plan_name(self.mission.name, self.changed_flags,
                         [override_label(o) for o in self.added_overrides])

    @property
    def phases(self) -> list[str]:
        return list(self.mission.phases)

    @property
    def integer_pools(self) -> set[tuple[str, str]]:
        """(country, pool) employed in whole units."""
        whole = self.mission.integer_units
        if whole is True:
            pools = self.capabilities.pools
            return set(zip(pools["country"].tolist(), pools["pool"].tolist(), strict=True))
        if not whole:
            return set()
        return {tuple(ref.split("/", 1)) for ref in whole}  # type: ignore[misc]

    @property
    def growable_pools(self) -> set[tuple[str, str]]:
        """(country, pool) a force-development mission can add units to, even from none."""
        force = self.mission.force
        return {(a.country, a.pool) for a in force.acquisitions} if force else set()

    @property
    def homes(self) -> dict[str, str]:
        """Each country's home region, where it has one."""
        countries = self.capabilities.countries
        return {c: h for c, h in zip(countries["country"], countries["home_region"],
                                     strict=True) if h}

    def with_links(self, active: Collection[str]) -> Instance:
        """The instance with exactly the named links active (as if the flags made them so):
        a link switched off brings its rows in and takes out the policies that depend on it
        (US forces staying in Korea go with the US-Korea alliance); one switched on does the
        reverse. This is how explain prices a link and resilience cuts one."""
        every = every_policy(self.capabilities, self.mission)
        return dataclasses.replace(
            self, links=tuple(p for p in every if p.is_link and p.name in active),
            policies=tuple(p for p in every if p.applies(self.flags, active)))

    @property
    def digest(self) -> str:
        """One hash of the tables and the mission as applied: equal digests, equal inputs."""
        applied = {"mission": self.mission.model_dump(mode="json"), "settings": self.settings}
        text = json.dumps(applied, sort_keys=True)
        return hashlib.sha256(f"{self.capabilities.digest}\n{text}".encode()).hexdigest()


@dataclass(frozen=True)
class AppliedOverride:
    """One value of the tables a mission changed: before, after, and why."""

    country: str
    pool: str
    column: str  # quantity | readiness | cost_per_unit | removed
    before: float
    after: float
    given_as: str  # scale | quantity | readiness | cost_per_unit | remove
    source: str


def apply_overrides(capabilities: Capabilities, overrides: list[Override]
                    ) -> tuple[Capabilities, tuple[AppliedOverride, ...]]:
    """The tables with a mission's overrides applied (a new object: the loaded tables, like
    the files, are never modified), and a record of each change."""
    pools = capabilities.pools.copy()
    removed: set[tuple[str, str]] = set()
    applied = []
    for override in overrides:
        at = (pools["country"] == override.country) & (pools["pool"] == override.pool)
        row = pools.index[at][0]
        if override.remove:
            removed.add((override.country, override.pool))
            applied.append(AppliedOverride(override.country, override.pool, "removed",
                                           float(pools.at[row, "quantity"]), 0.0, "remove",
                                           override.source))
            continue
        for column, (how, value) in override.changes().items():
            before = float(pools.at[row, column])
            after = before * value if how == "scale" else value
            pools.at[row, column] = after
            applied.append(AppliedOverride(override.country, override.pool, column, before,
                                           after, how, override.source))

    def kept(frame: pd.DataFrame) -> pd.DataFrame:
        keys = list(zip(frame["country"], frame["pool"], strict=True))
        return frame[[k not in removed for k in keys]].reset_index(drop=True)

    changed = dataclasses.replace(capabilities, pools=kept(pools),
                                  deliveries=kept(capabilities.deliveries),
                                  pool_regions=kept(capabilities.pool_regions))
    return changed, tuple(applied)


def taking_part(capabilities: Capabilities, countries: list[str] | None) -> Capabilities:
    """The tables with only the countries a mission names (all of them when it names none):
    a new object, the loaded tables are left as they were."""
    if not countries:
        return capabilities
    chosen = set(countries)

    def kept(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["country"].isin(chosen)].reset_index(drop=True)

    bearers = capabilities.cost_bearers
    return dataclasses.replace(capabilities, countries=kept(capabilities.countries),
                               cost_bearers=kept(bearers[bearers["bearer"].isin(chosen)]),
                               pools=kept(capabilities.pools),
                               deliveries=kept(capabilities.deliveries),
                               pool_regions=kept(capabilities.pool_regions))


def concerns_only(policy: Policy, countries: set[str]) -> bool:
    """Whether a policy is about countries taking part: every country it names does (a
    lead-nation policy needs one candidate; it chooses among those taking part)."""
    return policy.concerns_only(countries)


def requirement_table(mission: Mission, capabilities: Capabilities,
                      spans: Sequence[Span] = ()) -> pd.DataFrame:
    """One row per (task, region, phase) with its amount, its value per unit left uncovered
    (the shortfall penalty) and the basis of that value (``planner.scenario.values``), from the
    tables as the mission applies them. A phase split into periods (``spans``) weighs each
    period's value by its share of the phase: costs and values are per phase."""
    values = requirement_values(mission, capabilities.pools, capabilities.deliveries,
                                capabilities.pool_regions)
    weight = {s.name: s.weight for s in spans}

    def valued(task: str, region: str, phase: str) -> tuple[float, str]:
        value, basis = values[(task, region)]
        share = weight.get(phase, 1.0)
        if share == 1.0:
            return value, basis
        return value * share, f"{basis}; x {share:.4g}, the period's share of its phase"

    task_per = capabilities.task_per
    rows = []
    for req in mission.requirements:
        for phase, given in req.by_phase().items():
            # an amount given per another time unit than its task's, in the task's unit
            amount, note = in_task_unit(req, given, task_per.get(req.task))
            value, basis = valued(req.task, req.region, phase)
            rows.append((req.task, req.region, phase, amount, value, note, basis))
    table = pd.DataFrame(rows, columns=REQUIREMENT_COLUMNS)
    order = {p: i for i, p in enumerate(mission.phases)}
    return table.sort_values("phase", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )


def in_task_unit(req: Requirement, amount: float, per: str | None) -> tuple[float, str]:
    """A requirement's amount per its task's time unit, and its note (saying the conversion
    when there is one)."""
    if req.per is None or per is None or per == schema.LEVEL or req.per == per:
        return amount, req.note
    converted = amount * schema.rate_factor(req.per, per)
    said = f"{amount:g} per {req.per} = {converted:.6g} per {per}"
    return converted, f"{req.note} [{said}]" if req.note else f"[{said}]"


def changed_flags(file_flags: dict[str, str], flags: dict[str, str]) -> dict[str, str]:
    """Flags (in declared order) whose value differs from the mission file's: what makes a
    plan something other than the mission file's own plan."""
    return {k: v for k, v in flags.items() if k in file_flags and file_flags[k] != v}


def plan_name(mission: str, changed: dict[str, str], added: Sequence[str] = ()) -> str:
    """A name for folders and files that tells a plan solved with other flags (or added
    overrides) apart from the mission file's own: ``taiwan_contingency--gsomia=suspended``,
    ``baseline--KOR.army_division.quantity=16``."""
    return mission + "".join(f"--{k}={v}" for k, v in changed.items()) + "".join(
        f"--{label}" for label in added)


def override_label(override: Override) -> str:
    """An override in a few characters, for names: ``KOR.army_division.scale=0.5``."""
    head = f"{override.country}.{override.pool}"
    if override.remove:
        return f"{head}.removed"
    return head + "".join(f".{how}={value:g}" for how, value in override.changes().values())


def flags_text(flags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in flags.items())


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
    problems = check_flags(settings, capabilities.standing.flags, Where("--set"), ())
    if problems:
        raise InputError(problems)
    return {**file_flags(capabilities, mission), **settings}


def file_flags(capabilities: Capabilities, mission: Mission) -> dict[str, str]:
    """Every declared flag as the mission file leaves it: its own value, else the default."""
    return {name: mission.flags.get(name, flag.default)
            for name, flag in capabilities.standing.flags.items()}


def applicable_policies(capabilities: Capabilities, mission: Mission,
                        flags: dict[str, str]) -> tuple[Policy, ...]:
    """Standing policies (a mission policy of the same name replaces one), then the
    mission's, keeping those whose conditions hold under the flags, whose countries take
    part and whose links (``depends_on``) are active."""
    active = {p.name for p in active_links(capabilities, mission, flags)}
    return tuple(p for p in every_policy(capabilities, mission) if p.applies(flags, active))


def every_policy(capabilities: Capabilities, mission: Mission) -> list[Policy]:
    """Standing policies (a mission policy of the same name replaces one), then the
    mission's; those naming a country that does not take part are set aside."""
    own = {p.name for p in mission.policies}
    present = set(capabilities.countries["country"])
    every = [p for p in [*(p for p in capabilities.standing.policies if p.name not in own),
                         *mission.policies] if concerns_only(p, present)]
    return list(expand_policies(tuple(every), mission))


def active_links(capabilities: Capabilities, mission: Mission,
                 flags: dict[str, str]) -> tuple[Policy, ...]:
    """The links whose conditions make them active under the flags."""
    return tuple(p for p in every_policy(capabilities, mission)
                 if p.is_link and p.active(flags))


def apply_mission(capabilities: Capabilities, mission: Mission, mission_file: str = "",
                  settings: dict[str, str] | None = None,
                  added_overrides: tuple[Override, ...] = (),
                  where: Where | None = None) -> Instance:
    """The instance for a mission that has already been checked against the tables.
    ``added_overrides`` names those of ``mission.overrides`` not in the mission file, so the
    plan can say it differs from the file; ``where`` is where the mission file's keys were
    written."""
    settings = settings or {}
    mission = with_table_stocks(expand_mission(mission), capabilities)
    flags = effective_flags(capabilities, mission, settings)
    # values come from every country's pools, so that they do not depend on who takes part:
    # a coalition, or a mission naming fewer allies, prices a shortfall as the whole does
    valued, _ = apply_overrides(capabilities, list(mission.overrides))
    capabilities = taking_part(capabilities, mission.countries)
    present = set(capabilities.countries["country"])
    changed, overrides = apply_overrides(
        capabilities, [o for o in mission.overrides if o.country in present])
    spans = tuple(calendar(list(mission.phases), mission.periods))
    policies = applicable_policies(capabilities, mission, flags)
    applied = in_periods(mission, list(spans))
    if applied is not mission:
        policies = tuple(in_periods_policy(p, list(spans)) for p in policies)
    return Instance(changed, applied, requirement_table(applied, valued, spans), mission_file,
                    flags, settings, policies, active_links(capabilities, mission, flags),
                    overrides, file_flags(capabilities, mission), added_overrides, where, spans)


def with_table_stocks(mission: Mission, capabilities: Capabilities) -> Mission:
    """The mission with the capability tables' stocks and uses, when it asks for them
    (``stocks_from_tables``): the tables' rows first, in their order, less those the mission
    declares again (its own stock of a country, its own use of a pool, task and stock,
    replace the table's), then the mission's. Applying it twice changes nothing."""
    if not mission.stocks_from_tables:
        return mission
    own = {(s.country, s.stock) for s in mission.stocks}
    own_uses = {(u.country, u.pool, u.task, u.stock) for u in mission.uses}
    stocks = [s for s in capabilities.stocks if (s.country, s.stock) not in own]
    uses = [u for u in capabilities.stock_uses
            if (u.country, u.pool, u.task, u.stock) not in own_uses]
    return mission.model_copy(update={"stocks": [*stocks, *mission.stocks],
                                      "uses": [*uses, *mission.uses]})


def periods_of(spans: list[Span], phases: str | list[str] | None) -> list[str] | None:
    """The periods of the named phases (None: every phase)."""
    if phases is None:
        return None
    named = {phases} if isinstance(phases, str) else set(phases)
    return [s.name for s in spans if s.phase in named]


def in_periods_policy(policy: Policy, spans: list[Span]) -> Policy:
    """A policy whose phases are named by their periods (a kind without phases, such as a
    link or a lead, is left as it is)."""
    if getattr(policy, "phase", None) is None:
        return policy
    return policy.model_copy(update={"phase": periods_of(spans, policy.phase)})


def in_periods(mission: Mission, spans: list[Span]) -> Mission:
    """The mission with each phase split into its periods: the periods become the phases the
    model plans for, each requirement holds in every period of its phase (its value per unit
    short is weighted by the period's share of the phase in ``requirement_table``). A
    mission whose phases are one period each is returned as it is: its plan is exactly the
    plan without periods."""
    if all(s.name == s.phase for s in spans):
        return mission
    requirements = [
        Requirement(task=req.task, region=req.region, phase=span.name, amount=amount,
                    per=req.per, penalty=req.penalty, tier=req.tier, note=req.note)
        for req in mission.requirements
        for phase, amount in req.by_phase().items()
        for span in spans if span.phase == phase]
    uses = [u.model_copy(update={"phase": periods_of(spans, u.phase) if u.phase is not None
                                 else None}) for u in mission.uses]
    return mission.model_copy(update={
        "phases": [s.name for s in spans], "requirements": requirements,
        "policies": [in_periods_policy(p, spans) for p in mission.policies],
        "periods": [Period(phase=s.name, days=s.days) for s in spans], "uses": uses})
