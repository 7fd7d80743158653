"""``forbid``: a country delivers none of some tasks, optionally only in some regions or
phases."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from planner.errors import refusal
from planner.schema.policies.base import Names, OneCountry, PolicyRow, RowContext

FORBID_TAKES_NO_VALUE = refusal(
    "Policy", "A `forbid` with a `value`.", "a forbid policy takes no 'value'",
    {"kind": "forbid", "country": "JPN", "value": 1})


class Forbid(OneCountry):
    """The country delivers none of ``task`` (every task when omitted), optionally only in
    ``region`` / ``phase``."""

    refuses: ClassVar = {"value": FORBID_TAKES_NO_VALUE}
    rank: ClassVar[int] = 1

    kind: Literal["forbid"] = Field(description="What the policy says; see Policy kinds.")
    task: Names = Field(default=None, description="The task or tasks forbidden (default: "
                        "every task).")
    region: Names = Field(default=None, description="The region or regions concerned "
                          "(default: every region).")
    phase: Names = Field(default=None, description="The phase or phases concerned (default: "
                         "every phase).")

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """``policy[name]``: the country's units in scope add up to at most 0."""
        chosen = ctx.select(self.country, self.task, self.region, self.phase)
        if not chosen.any():
            return []
        return [PolicyRow({}, ctx.total(chosen) <= 0, self.sentence)]
