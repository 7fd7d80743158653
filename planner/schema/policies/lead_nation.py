"""``lead_nation``: exactly one candidate leads each task and region the mission requires,
and only the lead (and, if so written, the countries linked to it) delivers there."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from planner.errors import refusal
from planner.schema.policies.base import (
    Conditional,
    CountryCode,
    Names,
    PolicyRow,
    RowContext,
)

LEAD_TAKES_NO_PHASE = refusal(
    "Policy", "A `lead_nation` with a `value` or a `phase`.",
    "a lead_nation policy takes no 'value' or 'phase': a lead leads in every phase",
    {"kind": "lead_nation", "country": ["USA", "JPN"], "task": "isr", "phase": "crisis"})
DELIVERED_BY_LEAD = refusal(
    "Policy", "`delivered_by` in any kind but `lead_nation`.",
    "'delivered_by' applies to lead_nation policies only",
    {"kind": "forbid", "country": "JPN", "delivered_by": "lead_and_linked"})


class LeadNation(Conditional):
    """Exactly one of ``country`` (a list; every country when omitted), among those taking
    part in the mission (the policy is set aside when none does), leads each (``task``,
    ``region``) the mission requires (binary choice, so the mission becomes a MIP), and only
    the lead delivers there (``delivered_by: lead``), or the lead and the countries with an
    active link to it for that task, candidates or not (``delivered_by: lead_and_linked``):
    ``country`` names who may lead, not who may support."""

    refuses: ClassVar = {"value": LEAD_TAKES_NO_PHASE, "phase": LEAD_TAKES_NO_PHASE}
    owns: ClassVar = {"delivered_by": DELIVERED_BY_LEAD}
    rank: ClassVar[int] = 7
    binary: ClassVar[bool] = True

    kind: Literal["lead_nation"] = Field(description="What the policy says; see Policy "
                                         "kinds.")
    country: CountryCode | list[CountryCode] | None = Field(
        default=None, description="The candidates to lead (a list; default every country).")
    task: Names = Field(default=None, description="The task or tasks led (default: every "
                        "task).")
    region: Names = Field(default=None, description="The region or regions concerned "
                          "(default: every region).")
    delivered_by: Literal["lead", "lead_and_linked"] = Field(
        default="lead", description="Who delivers where a country leads: only the lead "
        "(lead), or the lead and every country with an active link to it for the task, "
        "whether or not that country may lead itself (lead_and_linked).")

    def concerns_only(self, countries: set[str]) -> bool:
        """A lead needs one candidate taking part; it chooses among those that do."""
        return not self.countries or any(c in countries for c in self.countries)

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """For each (task, region) in scope that the mission requires, binary columns
        ``lead[policy,country,task,region]`` and the rows:

        ``policy[name,task,region]``: exactly one candidate leads. ``policy[name,country,
        task,region,phase]``: what the country delivers there in the phase is at most
        ``bound`` times (it leads, or, with ``delivered_by: lead_and_linked``, a country
        linked to it for the task leads). ``bound`` is the least of what its pools could
        deliver there (quantity, not availability: a Monte Carlo draw may raise readiness)
        and what the requirement can use (``lead_bound``), so the LP relaxation of a
        fractional lead buys only its share of the requirement, not of the pools: a loose
        bound leaves the solver a weak relaxation to close. Where another policy may reward
        delivering more than the requirement (a share or a retain-at-home floor) only the
        pools' bound is used.
        """
        candidates = [c for c in ctx.countries if c in (self.countries or ctx.countries)]
        scope = ctx.frame(ctx.select(None, self.task, self.region) & ctx.needed())
        rows: list[PolicyRow] = []
        who = "it leads" + (" or a country linked to it leads"
                            if self.delivered_by == "lead_and_linked" else "")
        for (task, region), here in scope.groupby(["task", "region"], sort=False):
            lead = {c: ctx.lead(c, task, region) for c in candidates}
            rows.append(PolicyRow({"task": task, "region": region}, ctx.sum(lead.values()) == 1,
                                  f"Exactly one of {', '.join(candidates)} leads {task} in "
                                  f"{region}. {self.sentence}"))
            for (country, phase), own in here.groupby(["country", "phase"], sort=False):
                allowed = [lead[country]] if country in lead else []
                if self.delivered_by == "lead_and_linked":
                    allowed += [var for other, var in lead.items()
                                if other != country and linked(country, other, task,
                                                               ctx.links)]
                cell = (task, region, phase)
                bound = lead_bound(own, ctx.required.get(cell), cell in ctx.open_cells)
                expr = ctx.linear([*zip(ctx.columns(own.index), own["delivers"], strict=True),
                                   *((var, -bound) for var in allowed)])
                rows.append(PolicyRow(
                    {"country": country, "task": task, "region": region, "phase": phase},
                    expr <= 0,
                    f"{country} delivers {task} in {region} in {phase} only if {who}. "
                    f"{self.sentence}"))
        return rows


def linked(one: str, other: str, task: str, links: tuple[Any, ...]) -> bool:
    """Whether an active link joins two countries for a task."""
    return any(set(link.countries) == {one, other} and link.carries(task) for link in links)


def lead_bound(own: Any, amount: float | None, open_cell: bool) -> float:
    """The most a country's units in one (task, region, phase) usefully deliver: its pools'
    whole quantity, and, where no other policy rewards delivering more than the requirement,
    the requirement's amount plus the largest delivery of one whole unit (a whole-unit pool
    may have to overshoot by less than one unit; an optimum never needs more, since every
    unit costs something or nothing). ``own``: the units' table (delivers, quantity,
    integer)."""
    capacity = float((own["delivers"] * own["quantity"]).sum())
    if amount is None or open_cell:
        return capacity
    whole = own["delivers"][own["integer"]]
    overshoot = float(whole.max()) if len(whole) else 0.0
    return min(capacity, float(amount) + overshoot)

