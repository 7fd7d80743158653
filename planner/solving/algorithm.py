"""Which LP algorithm runs a cold solve (HiGHS's dual simplex or interior point, or CLP),
chosen by the model's size, with the reason stated in the plan.

From ``TUNED_FROM_NONZEROS`` HiGHS's dual simplex runs with Dantzig's pricing and no
presolve (``SIMPLEX_OPTIONS``). HiGHS's defaults (dual steepest edge pricing, presolve) were
slower on every model measured: presolve finds little to remove from the planner's models
(a column or row is there only where a pool can serve a cell), and steepest edge's weights
cost more per iteration than they save in iterations. Seconds of ``Highs.run`` on the
planner's own arrays (``benchmarks/generate.py``'s theatres; the median of 3 to 9 runs up
to medium, single runs above), 2 CPUs, HiGHS 1.16, 2026-12-05:

========================  =========  =========  =================  =============
model                     nonzeros   defaults   Dantzig, presolve  CLP (its
                                                off                binary reading
                                                                   its MPS file)
========================  =========  =========  =================  =============
baseline (shipped)              912  0.0010     0.0005
force-development-2035       17,154  0.0195     0.0157
small                        24,348  0.026      0.012
medium                      224,682  0.48-0.66  0.35-0.36          0.25
6 x 400 pools, 6 phases     388,806  2.27       1.19               0.63
8 x 400 pools, 8 phases     675,320             2.83               1.54
large                     1,641,552  49         16.5               5.7-6.4
========================  =========  =========  =================  =============

A solve from the planner by CLP also pays for the MPS file it writes and the proof of
CLP's answer (``planner.solving.clp``; the model then never goes to HiGHS): on medium
0.05-0.13 + 0.01 s, so that ``solve_model`` took 0.37-0.48 s by CLP against 0.35 by the
tuned simplex; on large 0.3-0.5 + 0.05 s (0.35-1.2 before the file was written in small
blocks), about 6.1-7.2 s against 16.5 (on 6 x 400 pools and 8 x 400 pools, with HiGHS's
writer and HiGHS's finish from CLP's basis, which cost more: 0.88 s against 1.19 and 1.97
against 2.83). CLP, where its binary is installed, therefore takes over from
``CLP_FROM_NONZEROS``, between medium and 6 x 400 pools (CLP inside the CBC binary, which
the planner ran before, was slower: 10.2 s on large, and beat the tuned simplex only from
about 1,000,000 nonzeros).
HiGHS's interior point (with crossover) took 38 s on large, more than either simplex.
Below ``TUNED_FROM_NONZEROS`` HiGHS's defaults stay: the shipped missions (all below 18,000
nonzeros) solve in hundredths of a second either way, and where several plans are equally
cheap the options decide which one HiGHS ends on, so the plans recorded for them stay as
they are. From there the tuned options were faster on every model measured (small, 24,348
nonzeros: HiGHS alone 0.011 s against 0.022; the force benchmark's 22,234: 0.021-0.022
against 0.025-0.027, 2026-12-05).

Where the matrix's nonzero entries span at most ``MAX_VALUE_SCALING_DECADES`` powers of
ten (every theatre: 0.1 to about 33, 2.5 decades), the tuned simplex also scales rows and
columns by their largest entries (``MAX_VALUE_SCALING``) instead of HiGHS's default
(equilibration), which pays where magnitudes differ widely. HiGHS alone, medians of 7 runs,
2026-12-05: on six generated theatres of 24,429 to 243,170 nonzeros (differing seeds and
shapes) it took 0.73-0.88 of the time (medium 0.28 s against 0.35); on large the same
(15.9 s against 16.0, in 89,874 iterations against 136,377); on the force benchmark, whose
budget and personnel rows (dollars, crews) span 5.2 decades, 1.19, so it keeps HiGHS's default.

A MIP keeps HiGHS's own choice (its branch and bound re-solves LPs warm, by simplex); a
solve that wants HiGHS's ranges keeps HiGHS (they need its basis); and a sweep's warm
re-solves always use HiGHS's simplex, with their own pricing, from a first solve that
keeps HiGHS's defaults at every size (``planner.analyze.sweep``). ``--lp-algorithm``
overrides the choice of algorithm (the simplex's options still follow the size and the
entries' span).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ALGORITHMS = ("auto", "simplex", "ipm", "clp")
TUNED_FROM_NONZEROS = 20_000  # above the shipped missions; small (24k) gains 0.011 s
CLP_FROM_NONZEROS = 300_000  # between 225k (tuned 0.35 s, CLP's route 0.37-0.48) and 389k
# (1.19, 0.88)
DANTZIG, DEVEX = 0, 1  # values of HiGHS's simplex_dual_edge_weight_strategy (Devex: a
# sweep's cases, planner.analyze.sweep)
SIMPLEX_OPTIONS: dict[str, object] = {"presolve": "off",
                                      "simplex_dual_edge_weight_strategy": DANTZIG}
MAX_VALUE_SCALING_DECADES = 3.0  # theatres span 2.5 decades; the force model 5.2
MAX_VALUE_SCALING = {"simplex_scale_strategy": 4}  # HiGHS's max-value scaling


def decades(values: np.ndarray) -> float:
    """How many powers of ten the matrix's nonzero entries span (log10 of the largest
    magnitude over the smallest); 0 for a matrix without any."""
    size = np.abs(values[values != 0])
    return float(np.log10(size.max() / size.min())) if len(size) else 0.0


def simplex_options(values: np.ndarray) -> dict[str, object]:
    """HiGHS's options for a simplex solve of a matrix with these nonzero entries (what
    ``--lp-algorithm simplex`` runs with): by their count and their span."""
    return choose("simplex", len(values), integer=False, span=decades(values)).options


@dataclass(frozen=True)
class Algorithm:
    """What runs (HiGHS's ``solver`` option, or CLP) and why, in words for the plan."""

    name: str  # choose (HiGHS decides: a MIP) | simplex | ipm | clp
    reason: str
    tuned: bool = False  # the simplex with SIMPLEX_OPTIONS
    scaled: bool = False  # and with MAX_VALUE_SCALING

    @property
    def option(self) -> str:
        return self.name

    @property
    def clp(self) -> bool:
        return self.name == "clp"

    @property
    def options(self) -> dict[str, object]:
        """HiGHS's options for the cold solve, beyond ``solver`` (``HighsModel.use``)."""
        if not self.tuned:
            return {}
        return {**SIMPLEX_OPTIONS, **(MAX_VALUE_SCALING if self.scaled else {})}


def choose(requested: str, nonzeros: int, integer: bool,
           clp_here: bool | Callable[[], bool] = False, ranging: bool = False,
           span: float | None = None) -> Algorithm:
    """The algorithm for a cold solve of a model with ``nonzeros`` matrix entries;
    ``clp_here``: whether CLP's binary is installed (or how to find out, asked only for a
    model of CLP's size: looking costs a cold solve half a millisecond); ``ranging``:
    whether HiGHS's ranges are wanted (CLP's solve leaves HiGHS without the basis they
    need); ``span``: the ``decades`` its entries span, where known (the tuned simplex
    scales by the largest entries within ``MAX_VALUE_SCALING_DECADES``)."""
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
    tuned = nonzeros >= TUNED_FROM_NONZEROS
    scaled = tuned and span is not None and span <= MAX_VALUE_SCALING_DECADES
    how = ("dual simplex, HiGHS's defaults" if not tuned else
           "dual simplex, Dantzig pricing, no presolve" + (
               f", rows and columns scaled by their largest entries (the matrix's "
               f"coefficients span {span:.1f} powers of ten, within the "
               f"{MAX_VALUE_SCALING_DECADES:g} where this beat HiGHS's default scaling)"
               if scaled else ""))
    if requested != "auto":
        asked = f"asked for (--lp-algorithm {requested})"
        return (Algorithm("simplex", f"{how}: {asked}", tuned, scaled)
                if requested == "simplex" else Algorithm(requested, asked))
    big = nonzeros >= CLP_FROM_NONZEROS
    if big and not ranging and (clp_here() if callable(clp_here) else clp_here):
        return Algorithm("clp", f"CLP's dual simplex (its own binary), its optimum proved by "
                         f"the planner: {nonzeros:,} nonzeros, at least the {CLP_FROM_NONZEROS:,} "
                         "from which it beat HiGHS alone on the benchmark theatres")
    if not tuned:
        why = (f"{nonzeros:,} nonzeros, below the {TUNED_FROM_NONZEROS:,} from which Dantzig "
               "pricing without presolve is faster")
    elif not big:
        why = (f"{nonzeros:,} nonzeros: at least the {TUNED_FROM_NONZEROS:,} from which these "
               f"options save time, below the {CLP_FROM_NONZEROS:,} from which CLP is faster")
    else:
        why = (f"{nonzeros:,} nonzeros, where CLP is faster, but "
               + ("HiGHS's ranges need its basis" if ranging else
                  "CLP's binary is not installed")
               + "; the tuned simplex beat HiGHS's interior point on every benchmark "
               "theatre")
    return Algorithm("simplex", f"{how}: {why}", tuned, scaled)
