"""Which LP algorithm HiGHS runs for a cold solve, chosen by the model's size, with the
reason stated in the plan.

HiGHS's dual simplex is fastest on the planner's small and medium models and gives the
basis a sweep's warm re-solves start from; on large models its time grows much faster than
the interior point's (with crossover, which ends on a basis too, so duals and warm starts
are the same). Measured on this project's synthetic theatres (``benchmarks/generate.py``,
2 CPUs, HiGHS 1.16, issue 23):

=========================  ==========  ===========  ==================
theatre                    nonzeros    simplex (s)  interior point (s)
=========================  ==========  ===========  ==================
medium                        224,682  1.4-1.6      3.2
8 x 400 pools, 8 phases       675,320  16.5-17.9    17.5-24.6
large                       1,641,552  244-320      about 88
=========================  ==========  ===========  ==================

so the interior point takes over from ``IPM_FROM_NONZEROS``. A MIP keeps HiGHS's own choice
(its branch and bound re-solves LPs warm, by simplex), and a sweep's warm re-solves always
use simplex. ``--lp-algorithm`` overrides the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

ALGORITHMS = ("auto", "simplex", "ipm")
IPM_FROM_NONZEROS = 1_000_000  # between the measured tie (675k) and the large case (1.6M)


@dataclass(frozen=True)
class Algorithm:
    """What HiGHS runs (its ``solver`` option) and why, in words for the plan."""

    name: str  # choose (HiGHS decides: a MIP) | simplex | ipm
    reason: str

    @property
    def option(self) -> str:
        return self.name


def choose(requested: str, nonzeros: int, integer: bool) -> Algorithm:
    """The algorithm for a cold solve of a model with ``nonzeros`` matrix entries."""
    if requested not in ALGORITHMS:
        raise ValueError(f"unknown LP algorithm {requested!r}: choose one of "
                         f"{', '.join(ALGORITHMS)}")
    if integer:
        return Algorithm("choose", "a MIP: HiGHS's branch and bound, its LPs by simplex"
                         + ("" if requested == "auto" else
                            f" (--lp-algorithm {requested} applies to LPs only)"))
    if requested != "auto":
        return Algorithm(requested, f"asked for (--lp-algorithm {requested})")
    if nonzeros >= IPM_FROM_NONZEROS:
        return Algorithm("ipm", f"interior point with crossover: {nonzeros:,} nonzeros, at "
                         f"least the {IPM_FROM_NONZEROS:,} from which it beat simplex on the "
                         "benchmark theatres")
    return Algorithm("simplex", f"dual simplex: {nonzeros:,} nonzeros, below the "
                     f"{IPM_FROM_NONZEROS:,} from which the interior point is faster")
