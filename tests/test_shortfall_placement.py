"""Where a shortfall falls follows from the mission's stated priority, not from a tie.

Korea's shells can serve the peninsula, US stocks in the rear or the Taiwan Strait area at
the same cost per thousand rounds, so with equal penalties any split of a shortfall between
those regions costs the same and the solver's path decides (issue 20: the peninsula was left
9,000 rounds a month short while Korea's shells refilled US stocks). Both missions now state
the priority as a penalty: a thousand rounds short on the peninsula cost 2,000 USD m, one
elsewhere 1,000, so moving a unit of shortfall onto the peninsula raises the objective by
1,000 and the optimum leaves the peninsula whole.
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
    # (the peninsula's is a figure, 2,000; elsewhere the tier value of issue 18, 5 x 5 = 25)
    assert by_region["korean_peninsula"] == 2000 > by_region[elsewhere] == 25
