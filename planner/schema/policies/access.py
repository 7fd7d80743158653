"""``access``: forces based on another ally's territory need the host's consent for some
work: US combat operations from bases in Japan need prior consultation, from Korea Korea's
consent, from the Philippines' EDCA sites the Philippine government's."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from planner.errors import Problem, refusal, unknown
from planner.schema.policies.base import (
    CountryCode,
    Names,
    OneCountry,
    PolicyRow,
    RowContext,
)

ACCESS_NEEDS_HOST = refusal(
    "Policy", "An `access` policy without a `host`.", "an access policy needs a 'host'",
    {"kind": "access", "country": "USA", "task": "sea_control"})
ACCESS_HOST_IS_ANOTHER = refusal(
    "Policy", "An `access` policy whose `host` is its `country`.",
    "an access policy's host is another country: forces on their own territory need no "
    "access", {"kind": "access", "country": "USA", "host": "USA"})
HOST_FOR_ACCESS = refusal(
    "Policy", "A `host` in any kind but `access`.", "'host' applies to access policies only",
    {"kind": "forbid", "country": "USA", "host": "JPN"})
ACCESS_TAKES_NO_VALUE = refusal(
    "Policy", "An `access` policy with a `value`.", "an access policy takes no 'value': the "
    "host's consent is given or not (switch it with when / unless)",
    {"kind": "access", "country": "USA", "host": "JPN", "value": 1})


class Access(OneCountry):
    """The country's pools based on ``host``'s territory (``basing.csv``) deliver none of
    ``task`` (every task when omitted) in ``region`` (every region when omitted), optionally
    only in ``phase``: that work needs the host's consent, and the policy holds while the
    flags say it is not given (``when`` / ``unless``). Pools of the country based elsewhere
    are not concerned, so US destroyers at Yokosuka need Japan's consent for combat beyond
    Japan while US destroyers sailing from Guam do not. The host need not take part in the
    mission: its territory is used either way."""

    refuses: ClassVar = {"value": ACCESS_TAKES_NO_VALUE}
    owns: ClassVar = {"host": HOST_FOR_ACCESS}
    rank: ClassVar[int] = 1  # beside forbid: a forbid scoped by basing

    kind: Literal["access"] = Field(description="What the policy says; see Policy kinds.")
    country: CountryCode | list[CountryCode] | None = Field(
        default=None, description="The country whose forces are based abroad (one code).")
    host: CountryCode | None = Field(
        default=None, description="The country whose territory they operate from; its "
        "pools there are the rows of basing.csv with this host.")
    task: Names = Field(default=None, description="The task or tasks that need the host's "
                        "consent (default: every task).")
    region: Names = Field(default=None, description="The region or regions where that work "
                          "needs it (default: every region).")
    phase: Names = Field(default=None, description="The phase or phases concerned (default: "
                         "every phase).")

    @model_validator(mode="after")
    def _a_host(self) -> Access:
        if self.host is None:
            raise ACCESS_NEEDS_HOST.error()
        if self.host == self.country:
            raise ACCESS_HOST_IS_ANOTHER.error()
        return self

    def check(self, vocabulary: dict[str, list[str]], links: list[str], where: Any,
              path: tuple[Any, ...]) -> list[Problem]:
        """The names the other kinds check, and the host a country of the tables."""
        problems = super().check(vocabulary, links, where, path)
        if self.host is not None and self.host not in vocabulary["country"]:
            message, hint = unknown("country", self.host, vocabulary["country"])
            problems.append(where.problem((*path, "host"), message, hint))
        return problems

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """``policy[name]``: the country's units based on the host's territory, in scope,
        add up to at most 0."""
        chosen = (ctx.select(self.country, self.task, self.region, self.phase)
                  & ctx.based_in(str(self.host)))
        if not chosen.any():
            return []
        return [PolicyRow({}, ctx.total(chosen) <= 0, self.sentence)]

    @classmethod
    def worth_text(cls, cost: str, amount: str, signed: float | None, in_force: bool) -> str:
        """What the host's consent would be worth."""
        if signed is None:
            return "without the host's consent there is no feasible plan"
        return (f"{cost} in this mission: what the host's consent would save" if signed > 0
                else f"{cost}: with the host's consent the objective would be {amount} "
                "higher (a side effect on penalties)")
