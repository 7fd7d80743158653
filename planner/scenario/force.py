"""A multi-year mission as the single-snapshot model sees it: each operating year holds a
copy of the mission's phases (``conflict_2030``), with the year's requirement amounts; the
policies hold in every year (a share or budget cap is one row per year, not one over the
horizon). Everything that reads phases (plans, tables, reports, compare) then reads a
multi-year plan with no change; the force-development rows tie the years together
(``planner.formulation.force``)."""

from __future__ import annotations

from planner.schema.force import ForceDevelopment, on_year, phase_label
from planner.schema.mission import Mission, Requirement
from planner.schema.policy import Policy, names

# Policy kinds whose row sums over phases: one copy per year keeps them per year.
PER_YEAR_KINDS = ("share_cap", "share_floor", "budget_cap")


def expanded(mission: Mission) -> bool:
    """Whether the mission's phases are already the years' copies (a plan's mission)."""
    return mission.force is not None and mission.force.mission_phases is not None


def year_amount(force: ForceDevelopment, task: str, region: str, phase: str,
                base: float, year: int) -> float:
    """A requirement's amount in a year: the last change that applies to it says how."""
    amount = base
    for change in force.changes:
        if not change.applies(task, region, phase):
            continue
        if change.amounts is not None:
            amount = on_year(change.amounts, year)
        elif change.rate is not None:
            amount = base * (1.0 + change.rate) ** (year - force.first_year)
    return round(amount, 9)


def expand_mission(mission: Mission) -> Mission:
    """The mission with one copy of its phases per operating year (pure; a mission without
    force development, or one already expanded, comes back as it is)."""
    force = mission.force
    if force is None or expanded(mission):
        return mission
    phases = list(mission.phases)
    requirements = []
    for req in mission.requirements:
        amounts = {phase_label(phase, year): year_amount(force, req.task, req.region, phase,
                                                         amount, year)
                   for year in force.snapshots for phase, amount in req.by_phase().items()}
        requirements.append(Requirement(task=req.task, region=req.region, amount=amounts,
                                        per=req.per, penalty=req.penalty, tier=req.tier,
                                        note=req.note))
    return mission.model_copy(update={
        "phases": [phase_label(p, y) for y in force.snapshots for p in phases],
        "requirements": requirements,
        "force": force.model_copy(update={"mission_phases": phases}),
    })


def expand_policies(policies: tuple[Policy, ...], mission: Mission) -> tuple[Policy, ...]:
    """The policies of an expanded mission: a policy naming phases names their copies in
    every year; one whose row sums over phases (a share or budget cap) is copied per year
    (``<name>_<year>``) so that it holds in each year."""
    force = mission.force
    if force is None or force.mission_phases is None:
        return policies
    own = force.mission_phases
    out: list[Policy] = []
    for policy in policies:
        if "phase" not in type(policy).model_fields:  # a link or a lead: every phase
            out.append(policy)
            continue
        chosen = names(policy.phase) or ([] if policy.kind not in PER_YEAR_KINDS else own)
        if policy.kind in PER_YEAR_KINDS:
            out += [policy.model_copy(update={
                "name": f"{policy.name}_{year}",
                "phase": [phase_label(p, year) for p in chosen]}) for year in force.snapshots]
        elif chosen:
            out.append(policy.model_copy(update={
                "phase": [phase_label(p, y) for y in force.snapshots for p in chosen]}))
        else:
            out.append(policy)
    return tuple(out)
