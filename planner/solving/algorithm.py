"""Which LP algorithm runs a cold solve (HiGHS's dual simplex or interior point, or CLP),
chosen by the model's size, with the reason stated in the plan.

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

CLP's dual simplex (in the CBC binary the project ships, ``planner.solving.clp``) was
faster still from the medium size up, timed as a whole process reading the MPS file
(the same day, 2 CPUs, other work running):

=========================  ==========  ==============
theatre                    nonzeros    CLP (s)
=========================  ==========  ==============
medium                        224,682  0.8-0.9
6 x 400 pools, 6 phases       388,806  2.0 (HiGHS: simplex 4.8, interior point 6.0)
8 x 400 pools, 8 phases       675,320  4.0 (HiGHS: simplex 11.0, interior point 14.2)
large                       1,641,552  16-30
=========================  ==========  ==============

so CLP takes over from ``CLP_FROM_NONZEROS`` where its binary is installed (it adds an MPS
file written and a solution file read: about 0.3 s on medium, where the two tie), and the
interior point from ``IPM_FROM_NONZEROS`` where it is not. A MIP keeps HiGHS's own choice
(its branch and bound re-solves LPs warm, by simplex); a solve that wants HiGHS's ranges
keeps HiGHS (they need its basis); and a sweep's warm re-solves always use HiGHS's simplex.
``--lp-algorithm`` overrides the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

ALGORITHMS = ("auto", "simplex", "ipm", "clp")
CLP_FROM_NONZEROS = 300_000  # above medium's tie (225k), below the 389k case (2.0 s vs 4.8)
IPM_FROM_NONZEROS = 1_000_000  # between the measured tie (675k) and the large case (1.6M)


@dataclass(frozen=True)
class Algorithm:
    """What runs (HiGHS's ``solver`` option, or CLP) and why, in words for the plan."""

    name: str  # choose (HiGHS decides: a MIP) | simplex | ipm | clp
    reason: str

    @property
    def option(self) -> str:
        return self.name

    @property
    def clp(self) -> bool:
        return self.name == "clp"


def choose(requested: str, nonzeros: int, integer: bool, clp_here: bool = False,
           ranging: bool = False) -> Algorithm:
    """The algorithm for a cold solve of a model with ``nonzeros`` matrix entries;
    ``clp_here``: whether CLP's binary is installed; ``ranging``: whether HiGHS's ranges
    are wanted (CLP's solve leaves HiGHS without the basis they need)."""
    if requested not in ALGORITHMS:
        raise ValueError(f"unknown LP algorithm {requested!r}: choose one of "
                         f"{', '.join(ALGORITHMS)}")
    if integer:
        return Algorithm("choose", "a MIP: HiGHS's branch and bound, its LPs by simplex"
                         + ("" if requested == "auto" else
                            f" (--lp-algorithm {requested} applies to LPs only)"))
    if requested == "clp" and ranging:
        raise ValueError("ranges need HiGHS's optimal basis, which a CLP solve does not "
                         "leave: use --lp-algorithm auto, simplex or ipm")
    if requested != "auto":
        return Algorithm(requested, f"asked for (--lp-algorithm {requested})")
    if nonzeros >= CLP_FROM_NONZEROS and clp_here and not ranging:
        return Algorithm("clp", f"CLP's dual simplex (the CBC binary), then HiGHS's from its "
                         f"solution: {nonzeros:,} nonzeros, at least the {CLP_FROM_NONZEROS:,} "
                         "from which it beat HiGHS alone on the benchmark theatres")
    if nonzeros >= IPM_FROM_NONZEROS:
        return Algorithm("ipm", f"interior point with crossover: {nonzeros:,} nonzeros, at "
                         f"least the {IPM_FROM_NONZEROS:,} from which it beat HiGHS's simplex "
                         "on the benchmark theatres")
    faster, threshold = (("CLP", CLP_FROM_NONZEROS) if clp_here and not ranging
                         else ("the interior point", IPM_FROM_NONZEROS))
    return Algorithm("simplex", f"dual simplex: {nonzeros:,} nonzeros, below the "
                     f"{threshold:,} from which {faster} is faster")
