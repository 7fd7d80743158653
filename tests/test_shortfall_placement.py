"""Where a shortfall falls follows from the mission's stated priority, not from a tie.

Korea's shells can serve the peninsula, US stocks in the rear or the Taiwan Strait area at
the same cost per thousand rounds, so with equal values any split of a shortfall between
those regions costs the same and the solver's path decides (issue 20: the peninsula was left
9,000 rounds a month short while Korea's shells refilled US stocks). The baseline states the
priority in its values (issue 18): ``region_tiers`` puts the peninsula's shells in the vital
tier, 10 x 5 = 50 USD m a thousand rounds short, those elsewhere in the major one, 5 x 5 =
25, so moving a unit of shortfall onto the peninsula raises the objective by 25 and the
optimum leaves the peninsula whole, in every mission that takes the baseline's values.
"""

from __future__ import annotations

import pytest

from planner import api


def short(plan: api.PlanResult, region: str) -> float:
    rows = plan.shortfalls
    rows = rows[(rows["task"] == "munitions_supply") & (rows["region"] == region)]
    return float(rows["shortfall"].sum())


@pytest.mark.parametrize(("mission", "elsewhere", "amount"), [
    ("industrial-surge", "rear", 9.0),  # 25 asked for US stocks, 16 left after the peninsula
    ("taiwan-contingency-survival-threatening", "taiwan_strait", 8.0),
    ("taiwan-contingency", "taiwan_strait", 8.0),
    ("taiwan-contingency-usfk-redeploys", "taiwan_strait", 8.0),
])
def test_shells_short_fall_where_the_mission_puts_them(mission: str, elsewhere: str,
                                                       amount: float) -> None:
    plan = api.solve(mission)
    assert short(plan, "korean_peninsula") == 0
    assert short(plan, elsewhere) == pytest.approx(amount)
    # the priority is the mission's: the peninsula's row carries the higher rate
    rates = plan.coverage
    rate = rates[(rates["task"] == "munitions_supply") & (rates["phase"] == "conflict")]
    by_region = dict(zip(rate["region"], rate["penalty_per_unit"], strict=True))
    # (the peninsula's by its region's tier, vital, 10 x 5; elsewhere the task's, 5 x 5)
    assert by_region["korean_peninsula"] == 50 > by_region[elsewhere] == 25
    basis = dict(zip(rate["region"], rate["value_basis"], strict=True))
    assert basis["korean_peninsula"].startswith("tier vital in korean_peninsula (region_tiers)")


def test_a_capped_us_share_goes_to_the_peninsulas_shells_first() -> None:
    """burden-shifting caps the US share of the cost, so US spending is scarce: a unit of it
    buys a thousand of its shells for the peninsula (5 USD m, worth 10 x 5 = 50 short) or
    1.19 PAC-3 for Japan (4.2 each, worth 5 x 4.2 = 21 short, 25 per 5 USD m). The vital
    shells come first; the interceptors for Japan are left short instead (on equal values
    the two were a tie and the peninsula was left 8 short)."""
    plan = api.solve("burden-shifting")
    assert short(plan, "korean_peninsula") == 0
    rows = plan.shortfalls
    japan = rows[(rows["task"] == "interceptor_supply") & (rows["region"] == "japan")
                 & (rows["phase"] == "conflict")]
    assert float(japan["shortfall"].sum()) == pytest.approx(24.1 + 40 / 4.2, abs=0.05)
