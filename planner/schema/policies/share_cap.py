"""``share_cap``: a country's share of the delivered amount or of cost is at most a
fraction."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from planner.schema.policies.base import PolicyRow, RowContext
from planner.schema.policies.share import Share


class ShareCap(Share):
    """The country's share of the delivered amount of ``task`` (``of: delivered``) or of cost
    (``of: cost``; ``task`` optional) is at most ``value`` (a fraction), within the optional
    ``region`` / ``phase``."""

    rank: ClassVar[int] = 2

    kind: Literal["share_cap"] = Field(description="What the policy says; see Policy kinds.")

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """``policy[name]``: own - value * everyone's <= 0."""
        return [PolicyRow({}, self.share(ctx) <= 0, self.sentence)]
