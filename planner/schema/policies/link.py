"""``link``: two countries work together on some tasks only while the link is active."""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from planner.errors import refusal
from planner.schema.policies.base import (
    Condition,
    CountryCode,
    Names,
    Policy,
    PolicyRow,
    RowContext,
    condition_holds,
    names,
)

LINK_NEEDS_PARTNER = refusal(
    "Policy", "A `link` without a `partner`.", "a link needs a 'partner'",
    {"kind": "link", "country": "JPN"})
PARTNER_FOR_LINKS = refusal(
    "Policy", "A `partner` in any kind but `link`.", "'partner' applies to link policies only",
    {"kind": "forbid", "country": "JPN", "partner": "KOR"})
LINK_KEYS = refusal(
    "Policy", "A `link` with a `region`, `phase`, `value`, `when` or `unless`.",
    "a link takes country, partner, task, active_when and active_unless (it always concerns "
    "the home regions)",
    {"kind": "link", "country": "JPN", "partner": "KOR", "region": "japan"})
LINK_DEPENDS_ON = refusal(
    "Policy", "`depends_on` in a `link` (it names the links other policies exist by).",
    "'depends_on' names the links a policy exists by; a link's own conditions are "
    "active_when / active_unless",
    {"kind": "link", "country": "JPN", "partner": "KOR", "depends_on": ["us_japan_alliance"]})
ACTIVE_FOR_LINKS = refusal(
    "Policy", "`active_when` or `active_unless` in any kind but `link`.",
    "'active_when' / 'active_unless' apply to links; other policies use 'when' / 'unless'",
    {"kind": "forbid", "country": "JPN", "active_when": {"gsomia": "active"}})
LINK_TWO_COUNTRIES = refusal(
    "Policy", "A `link` whose `partner` is its `country`.", "a link joins two different "
    "countries", {"kind": "link", "country": "JPN", "partner": "JPN"})


class Link(Policy):
    """``country`` and ``partner`` work together on ``task`` (every task when omitted) only
    while the link is active, i.e. while the flags match ``active_when`` and none of
    ``active_unless``. Working together means one delivering in the other's home region
    (countries.csv ``home_region``): Korean ISR feeding Japan's missile warning, Korean
    rear-area support to forces in Japan. An inactive link forbids that work."""

    refuses: ClassVar = {"region": LINK_KEYS, "phase": LINK_KEYS, "value": LINK_KEYS,
                         "when": LINK_KEYS, "unless": LINK_KEYS, "depends_on": LINK_DEPENDS_ON}
    owns: ClassVar = {"partner": PARTNER_FOR_LINKS, "active_when": ACTIVE_FOR_LINKS,
                      "active_unless": ACTIVE_FOR_LINKS}
    rank: ClassVar[int] = 6
    is_link: ClassVar[bool] = True

    kind: Literal["link"] = Field(description="What the policy says; see Policy kinds.")
    country: CountryCode | list[CountryCode] | None = Field(
        default=None, description="One of the two countries (one code).")
    partner: CountryCode | None = Field(default=None, description="The other country.")
    task: Names = Field(default=None, description="The task or tasks the link carries "
                        "(default: every task).")
    active_when: Condition = Field(
        default={}, description="The link is active only when every condition matches.")
    active_unless: Condition = Field(
        default={}, description="The link is inactive when any condition matches.")

    @model_validator(mode="after")
    def _two_countries(self) -> Link:
        from planner.schema.policies.base import ONE_COUNTRY

        if self.country is None or isinstance(self.country, list):
            raise ONE_COUNTRY.error(kind=self.kind)
        if self.partner is None:
            raise LINK_NEEDS_PARTNER.error()
        if self.partner == self.country:
            raise LINK_TWO_COUNTRIES.error()
        return self

    @property
    def countries(self) -> list[str]:
        return names(self.country) + names(self.partner)

    @property
    def depends_on(self) -> list[str]:
        """A link exists by its own conditions, not by other links."""
        return []

    def conditions(self) -> list[tuple[str, Condition]]:
        return [("active_when", self.active_when), ("active_unless", self.active_unless)]

    def active(self, flags: dict[str, str]) -> bool:
        """Whether the link is active under these flags."""
        return condition_holds(self.active_when, self.active_unless, flags)

    def applies(self, flags: dict[str, str], active: Collection[str] | None = None) -> bool:
        """A link puts rows in the LP when it is inactive."""
        return not self.active(flags) if active is None else self.name not in active

    def carries(self, task: str) -> bool:
        """Whether the link carries this task."""
        return self.task is None or task in names(self.task)

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """``policy[name]``: units of either country working in the other's home region on
        the tasks the link carries add up to at most 0."""
        one, other = self.countries
        joint = ctx.nothing()
        for country, partner in ((one, other), (other, one)):
            if partner in ctx.homes:
                joint = joint | ctx.select(country, None, ctx.homes[partner])
        joint = joint & ctx.select(None, self.task)
        return [PolicyRow({}, ctx.total(joint) <= 0, self.sentence)] if joint.any() else []

    @classmethod
    def worth_text(cls, cost: str, amount: str, signed: float | None, in_force: bool) -> str:
        """What switching the link says: off when it is active, on when it is not."""
        if signed is None:
            return ("switching it off leaves no feasible plan" if in_force
                    else "without it there is no feasible plan")
        if in_force:
            return (f"active; {cost}: it saves {amount} (switched off, the objective would "
                    f"rise by {amount})" if signed < 0 else f"active; {cost} (switched off, "
                    f"the objective would fall by {amount})")
        return (f"inactive; {cost}: switching it on would save {amount}" if signed > 0
                else f"inactive; {cost}: switching it on would raise the objective by "
                f"{amount}")
