"""The ``access`` policy kind: its golden LP case (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py: AAA's ships are based on BBB's territory),
worked out by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner import pipeline
from planner.errors import InputError
from planner.formulation.model import build_model
from planner.solving.solve import solve_model
from tests.policies import SENTENCE, least_cost, tiny_mission

NO_PATROL_FROM_B = {"name": "a_from_b", "kind": "access", "country": "AAA", "host": "BBB",
                    "task": "patrol", "when": {"ties": "cut"}, **SENTENCE}
GOLDEN = {"access": {"policies": [NO_PATROL_FROM_B], "flags": {"ties": "cut"}}}


def test_without_the_hosts_consent_aaa_ships_based_in_bbb_do_not_patrol(
        tmp_path: Path) -> None:
    """With ties cut, BBB's consent is not given: AAA's 2 ships (based on BBB's territory)
    patrol nowhere. War needs 8 patrol (5 home, 3 far) and BBB has 6 ships: 2 short (2000).
    Peace: 2 BBB ships (4), watch half a plane (0.5); war: 6 BBB ships (12), half a plane
    (0.5): 4 + 0.5 + 12 + 2000 + 0.5 = 2017."""
    assert least_cost(tmp_path, NO_PATROL_FROM_B, flags={"ties": "cut"}) == pytest.approx(
        2017)


def test_with_the_hosts_consent_the_policy_does_not_hold(tmp_path: Path) -> None:
    """With ties open (the default) the consent is given: the optimum without policy, 23."""
    assert least_cost(tmp_path, NO_PATROL_FROM_B) == pytest.approx(23)


def solved(root: Path, *policies: dict[str, Any], based: bool = True) -> Any:
    mission, data = tiny_mission(root, "hand", {"policies": list(policies),
                                                "flags": {"ties": "cut"}})
    if not based:
        (data / "basing.csv").unlink()
    model = build_model(pipeline.prepare(mission, data))
    solution = solve_model(model)
    assert solution.status == "optimal"
    return model, solution


def test_pools_not_based_on_the_hosts_territory_are_not_concerned(tmp_path: Path) -> None:
    """Without basing.csv AAA's ships operate from home: the policy selects no column, adds
    no row, and the optimum is 23."""
    model, solution = solved(tmp_path, NO_PATROL_FROM_B, based=False)
    assert solution.objective == pytest.approx(23)
    assert model.table("policy").empty


def test_a_region_scope_moves_the_based_ships_home_at_no_cost(tmp_path: Path) -> None:
    """Barred from far only, AAA's 2 ships patrol home in war and BBB sends 3 of its 6 to far:
    the same 8 ship-phases of patrol at the same prices, so the optimum stays 23 and no AAA
    ship is in far."""
    policy = {**NO_PATROL_FROM_B, "region": "far"}
    model, solution = solved(tmp_path, policy)
    assert solution.objective == pytest.approx(23)
    units = model.units.assign(value=solution.units).set_index(
        ["country", "pool", "task", "region", "phase"])["value"]
    assert units["AAA", "ships", "patrol", "far", "war"] == pytest.approx(0)
    assert units["BBB", "ships", "patrol", "far", "war"] == pytest.approx(3)
    assert units["AAA", "ships", "patrol", "home", "war"] == pytest.approx(2)
    assert len(model.table("policy")) == 1


def test_an_unknown_host_is_a_located_error(tmp_path: Path) -> None:
    mission, data = tiny_mission(tmp_path, "hand", {"policies": [
        {**NO_PATROL_FROM_B, "host": "BBC"}]})
    with pytest.raises(InputError) as caught:
        pipeline.prepare(mission, data)
    [problem] = caught.value.problems
    assert "unknown country 'BBC'" in problem.message and "host" in str(problem)
