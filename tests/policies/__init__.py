"""One test module per policy kind (``test_<kind>.py``): its golden LP cases (``GOLDEN``, on
the tiny instance below; ``tests/test_formulation_golden.py`` collects them) and what the kind
does to the tiny instance's optimum, worked out by hand.

The tiny instance: AAA has 2 ships available a phase (cost 3, patrol 1 or watch 0.5 a unit,
home region far, based on BBB's territory: basing.csv), BBB 6 ships (cost 2, patrol 1) and
3 planes (cost 1, watch 2, home only; home region home). The mission asks patrol 2 (peace)
and 5 (war) at home, 3 at far in war, and watch 1 at home in each phase, at 1000 a unit
short. With no policy the least cost is 23: peace 2 BBB ships (4) and half a plane (0.5);
war 6 BBB ships (12) and 2 AAA ships (6) for the 8 patrol, half a plane (0.5).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner import pipeline
from planner.formulation.model import build_model
from planner.solving.solve import solve_model
from tests.conftest import write_mission, write_tiny

SENTENCE = {"sentence": "test policy.", "source": "test"}
REQUIREMENTS = [
    {"task": "patrol", "region": "home", "amount": {"peace": 2, "war": 5}},
    {"task": "patrol", "region": "far", "phase": "war", "amount": 3},
    {"task": "watch", "region": "home", "amount": {"peace": 1, "war": 1}}]


def tiny(root: Path) -> Path:
    """Two countries with home regions home (BBB) and far (AAA), two tasks, two phases."""
    data = write_tiny(root / "data", {"AAA": (300, 30), "BBB": (100, 10)},
                      ["patrol", "watch"], ["home", "far"], ["peace", "war"], {
                          "AAA": [{"pool": "ships", "quantity": 4, "readiness": 0.5,
                                   "cost_per_unit": 3, "regions": "home;far", "patrol": 1,
                                   "watch": 0.5}],
                          "BBB": [{"pool": "ships", "quantity": 6, "readiness": 1,
                                   "cost_per_unit": 2, "regions": "home;far", "patrol": 1},
                                  {"pool": "planes", "quantity": 3, "readiness": 1,
                                   "cost_per_unit": 1, "regions": "home", "watch": 2}]},
                      homes={"AAA": "far", "BBB": "home"})
    # AAA's ships operate from BBB's territory (access policies read it)
    (data / "basing.csv").write_text("country,pool,host,site,source\nAAA,ships,BBB,port,test\n",
                                     encoding="utf-8")
    policies = data / "policies.yaml"
    policies.write_text("flags:\n  ties:\n    values: [open, cut]\n    default: open\n"
                        "    description: test flag\n    source: test\n", encoding="utf-8")
    return data


def tiny_mission(root: Path, name: str, extra: dict[str, Any]) -> tuple[Path, Path]:
    """The tiny capability folder and a mission on it with ``extra`` keys (policies,
    flags)."""
    data = tiny(root)
    mission = write_mission(root / f"{name}.yaml", name=name, phases=["peace", "war"],
                            requirements=REQUIREMENTS, **extra)
    return mission, data


def least_cost(root: Path, *policies: dict[str, Any], **extra: Any) -> float:
    """The optimum of the tiny mission under these policies."""
    mission, data = tiny_mission(root, "hand", {"policies": list(policies), **extra})
    solution = solve_model(build_model(pipeline.prepare(mission, data)))
    assert solution.status == "optimal"
    return float(solution.objective)
