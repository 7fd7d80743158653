"""``budget_cap``: a country's employment cost is at most an amount."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from planner.schema.policies.base import (
    NEEDS_VALUE,
    Names,
    OneCountry,
    PolicyRow,
    RowContext,
    Value,
)


class BudgetCap(OneCountry):
    """The country's employment cost is at most ``value`` USD m, counting only ``task`` /
    ``region`` / ``phase`` where given (every task, region and phase where not)."""

    rank: ClassVar[int] = 5

    kind: Literal["budget_cap"] = Field(description="What the policy says; see Policy kinds.")
    task: Names = Field(default=None, description="The task or tasks counted (default: every "
                        "task).")
    region: Names = Field(default=None, description="The region or regions counted "
                          "(default: every region).")
    phase: Names = Field(default=None, description="The phase or phases counted (default: "
                         "every phase).")
    value: Value | None = Field(default=None, description="The most the country spends, USD "
                                "m.")

    @model_validator(mode="after")
    def _needs_value(self) -> BudgetCap:
        if self.value is None:
            raise NEEDS_VALUE.error(kind=self.kind)
        return self

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """``policy[name]``: the cost of the country's units in scope is at most ``value``."""
        chosen = ctx.select(self.country, self.task, self.region, self.phase)
        return [PolicyRow({}, ctx.total(chosen, "unit_cost") <= float(self.value or 0),
                          self.sentence)]
