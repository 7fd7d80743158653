"""How proven a MIP's plan is: the gap asked for, and the gap the solver closed.

A MIP solver stops when its best plan and its best bound (no plan can cost less) are close
enough. HiGHS's default stops at a relative gap of 1e-4, which on a mission whose objective
carries a large constant leaves plans that are visibly off while the status says "optimal".
So the planner asks for a tight gap by default, records the bound and the gap with every
MIP plan, and calls a plan optimal only when the gap is within what was asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.errors import InputError, Problem

# The defaults make an integer-valued objective exact (the gap left is at most 0.5) up to 5e6 USD m,
# a hundred times the largest shipped objective; the shipped lead-nation mission and the docs'
# whole-divisions example close them in seconds.
RELATIVE = 1e-7
ABSOLUTE = 1e-6
# statuses that come with a plan: proven optimal, stopped on another rule with its gap, or
# stopped by the time limit with its best plan so far
WITH_PLAN = ("optimal", "not_proven", "time_limit")


@dataclass(frozen=True)
class MipGap:
    """The gap a MIP plan may leave and still be called optimal: the solver stops, and the
    plan is optimal, when either (objective - bound) / |objective| <= ``relative`` or
    objective - bound <= ``absolute`` (HiGHS's and CBC's own rule)."""

    relative: float = RELATIVE
    absolute: float = ABSOLUTE

    @classmethod
    def checked(cls, relative: float | None, absolute: float | None) -> MipGap:
        """From command-line options; a negative or non-finite value is an input error."""
        problems = [Problem(option, f"{value:g} is not a gap",
                            hint="give a number >= 0, e.g. 1e-6")
                    for option, value in (("--mip-gap", relative), ("--mip-gap-abs", absolute))
                    if value is not None and not (math.isfinite(value) and value >= 0)]
        if problems:
            raise InputError(problems)
        return cls(RELATIVE if relative is None else relative,
                   ABSOLUTE if absolute is None else absolute)


@dataclass(frozen=True)
class Proof:
    """The bound a solver proved for a MIP plan, and the gap it leaves."""

    bound: float | None  # None: the solver did not report one
    absolute: float | None  # objective - bound (never below 0)
    relative: float | None  # absolute / |objective|

    def within(self, tolerance: MipGap) -> bool:
        """Whether the gap is within what was asked (a tiny allowance for rounding in the
        solver's own arithmetic, far below any tolerance worth asking for)."""
        if self.absolute is None or self.relative is None:
            return False
        return (self.absolute <= tolerance.absolute * (1 + 1e-9) + 1e-12
                or self.relative <= tolerance.relative * (1 + 1e-9) + 1e-15)


def proof(objective: float | None, bound: float | None) -> Proof:
    """The gap between a plan's objective and a proved bound (minimisation)."""
    if objective is None or bound is None or not math.isfinite(bound):
        return Proof(None if bound is None or not math.isfinite(bound) else bound, None, None)
    absolute = max(0.0, objective - bound)
    relative = absolute / abs(objective) if objective else (0.0 if absolute == 0 else math.inf)
    return Proof(bound, absolute, relative)
