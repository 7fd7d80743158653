"""What a sweep's summary adds up: the sums over the columns in use only (a large model's
way) are the sums over every column (a small one's), to the last bit, whoever pays a
column's cost and in what shares."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.results import summary as summaries
from planner.results.summary import Economy, Summarizer

COUNTRIES = ("USA", "JPN", "KOR")


@st.composite
def plans(draw: st.DrawFn) -> tuple[Summarizer, np.ndarray]:
    """A summarizer of up to 40 columns, each paid by one to three payers in shares that
    add up to 1, and a plan that uses some of them (some at exactly zero, some tiny)."""
    n = draw(st.integers(0, 40))
    values = st.floats(-1e-9, 1e6, allow_nan=False, allow_subnormal=False)
    units = np.array(draw(st.lists(st.one_of(st.just(0.0), values), min_size=n, max_size=n)),
                     dtype=float)
    paid_column, payer, share = [], [], []
    for column in range(n):
        parts = draw(st.integers(1, 3))
        cuts = sorted(draw(st.lists(st.floats(0.01, 0.99), min_size=parts - 1,
                                    max_size=parts - 1)))
        shares = np.diff([0.0, *cuts, 1.0])
        for part in range(parts):
            paid_column.append(column)
            payer.append(draw(st.integers(0, len(COUNTRIES) - 1)))
            share.append(float(shares[part]))
    economy = Economy(COUNTRIES, COUNTRIES, np.ones(3), np.ones(3))
    costs = st.floats(0.0, 1e4, allow_nan=False, allow_subnormal=False)
    summarizer = Summarizer(
        economy, np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), int),
        np.array(draw(st.lists(costs, min_size=n, max_size=n)), float), np.ones(n),
        np.zeros(n, int), np.ones(1), np.ones(1), np.array(paid_column, int),
        np.array(payer, int), np.array(share, float))
    return summarizer, units


@settings(max_examples=200, deadline=None)
@given(plans())
def test_sums_over_the_columns_in_use_are_the_sums_over_all(plan: tuple[Summarizer,
                                                                          np.ndarray]) -> None:
    summarizer, units = plan
    every = summarizer.summarize(units, np.zeros(1), "optimal", 0.0)
    assert len(units) <= summaries.DENSE_UP_TO  # so the summary summed every column
    in_use = summarizer.sums_in_use(units, 3)
    assert in_use[0].tobytes() == every.cost.tobytes()
    assert in_use[1].tobytes() == every.borne.tobytes()
    spent = units * summarizer.unit_cost
    assert every.cost.tobytes() == np.bincount(summarizer.country, weights=spent,
                                               minlength=3).tobytes()
