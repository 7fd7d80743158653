"""``retain_at_home``: a country keeps an amount of a task in a region in every phase."""

from __future__ import annotations

from typing import ClassVar, Literal

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
    names,
)

RETAIN_ONE_TASK_AND_REGION = refusal(
    "Policy", "A `retain_at_home` without a `region`, or with a list of tasks or of "
    "regions.", "a retain_at_home policy needs one 'task' and one 'region'",
    {"kind": "retain_at_home", "country": "JPN", "task": ["isr", "asw"], "region": "japan",
     "value": 1})


class RetainAtHome(OneCountry):
    """The country delivers at least ``value`` of ``task`` in ``region`` in every phase (or
    only ``phase``)."""

    rank: ClassVar[int] = 4

    kind: Literal["retain_at_home"] = Field(description="What the policy says; see Policy "
                                            "kinds.")
    task: Names = Field(default=None, description="The task kept (one).")
    region: Names = Field(default=None, description="The region where it is kept (one).")
    phase: Names = Field(default=None, description="The phase or phases concerned (default: "
                         "every phase).")
    value: Value | None = Field(default=None, description="The least the country delivers "
                                "there, in the task's unit.")

    @model_validator(mode="after")
    def _one_task_and_region(self) -> RetainAtHome:
        if self.task is None:
            raise NEEDS_TASK.error(kind=self.kind)
        if self.region is None or isinstance(self.region, list) or isinstance(self.task,
                                                                               list):
            raise RETAIN_ONE_TASK_AND_REGION.error()
        if self.value is None:
            raise NEEDS_VALUE.error(kind=self.kind)
        return self

    def demand_cells(self, phases: list[str]) -> list[tuple[str, str, str]]:
        """The region the country must hold, even where the mission requires nothing."""
        return [(str(self.task), str(self.region), phase)
                for phase in names(self.phase) or phases if phase in phases]

    def rewards_overshoot(self, ctx: RowContext) -> Selection | None:
        return ctx.select(None, self.task, self.region, self.phase)

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """``policy[name,phase]``: what the country delivers there in the phase is at least
        ``value``."""
        return [PolicyRow({"phase": phase},
                          ctx.total(ctx.select(self.country, self.task, self.region, phase),
                                    "delivers") >= float(self.value or 0), self.sentence)
                for phase in names(self.phase) or ctx.phases]
