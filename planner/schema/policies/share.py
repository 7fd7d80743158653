"""What ``share_cap`` and ``share_floor`` share: a country's share of the delivered amount
or of cost, within an optional scope (not a kind itself)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from planner.errors import refusal
from planner.schema.policies.base import (
    NEEDS_TASK,
    NEEDS_VALUE,
    Names,
    OneCountry,
    PolicyRow,
    RowContext,
    Selection,
    Value,
)

SHARE_IS_A_FRACTION = refusal(
    "Policy", "A `share_cap` or `share_floor` with a `value` above 1.",
    "a share is a fraction between 0 and 1",
    {"kind": "share_cap", "country": "USA", "task": "isr", "value": 1.5})
COST_FOR_SHARES = refusal(
    "Policy", "`of: cost` in any kind but `share_cap` and `share_floor`.",
    "'of: cost' applies to share_cap and share_floor only",
    {"kind": "budget_cap", "country": "JPN", "of": "cost", "value": 10})


class Share(OneCountry):
    """A country's share of the delivered amount of ``task`` (``of: delivered``) or of cost
    (``of: cost``; ``task`` optional), within the optional ``region`` / ``phase``."""

    owns: ClassVar = {"of": COST_FOR_SHARES}
    is_share: ClassVar[bool] = True

    task: Names = Field(default=None, description="The task or tasks whose amount is shared "
                        "(with of: cost, default every task).")
    region: Names = Field(default=None, description="The region or regions concerned "
                          "(default: every region).")
    phase: Names = Field(default=None, description="The phase or phases concerned (default: "
                         "every phase).")
    of: Literal["delivered", "cost"] = Field(
        default="delivered", description="A share of the delivered amount (delivered) or of "
        "cost (cost).")
    value: Value | None = Field(default=None, description="The share, a fraction from 0 to "
                                "1.")

    @model_validator(mode="after")
    def _a_share(self) -> Share:
        if self.of == "delivered" and self.task is None:
            raise NEEDS_TASK.error(kind=self.kind)
        if self.value is None:
            raise NEEDS_VALUE.error(kind=self.kind)
        if self.value > 1:
            raise SHARE_IS_A_FRACTION.error()
        return self

    def rewards_overshoot(self, ctx: RowContext) -> Selection | None:
        return ctx.select(None, self.task, self.region, self.phase)

    def share(self, ctx: RowContext) -> Any:
        """The country's amount (or cost) in scope less ``value`` times everyone's."""
        weight = "unit_cost" if self.of == "cost" else "delivers"
        own = ctx.select(self.country, self.task, self.region, self.phase)
        every = ctx.select(None, self.task, self.region, self.phase)
        return ctx.total(own, weight) + ctx.total(every, weight, -float(self.value or 0))

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        raise NotImplementedError  # share_cap and share_floor each say which way
