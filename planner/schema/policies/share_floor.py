"""``share_floor``: a country's share of the delivered amount or of cost is at least a
fraction."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from planner.schema.policies.base import PolicyRow, RowContext
from planner.schema.policies.share import Share


class ShareFloor(Share):
    """The country's share of the delivered amount of ``task`` (``of: delivered``) or of cost
    (``of: cost``; ``task`` optional) is at least ``value`` (a fraction), within the optional
    ``region`` / ``phase``."""

    rank: ClassVar[int] = 3

    kind: Literal["share_floor"] = Field(description="What the policy says; see Policy "
                                         "kinds.")

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """``policy[name]``: own - value * everyone's >= 0."""
        return [PolicyRow({}, self.share(ctx) >= 0, self.sentence)]
