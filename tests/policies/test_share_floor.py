"""The ``share_floor`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py), worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies import SENTENCE, least_cost

GOLDEN = {"share_floor_cost": {"policies": [{"name": "floor_b", "kind": "share_floor",
                                           "country": "BBB", "of": "cost", "value": 0.4,
                                           **SENTENCE}]}}


def test_a_floor_of_a_quarter_of_patrol_for_aaa_costs_half_a_unit(tmp_path: Path) -> None:
    """AAA >= 0.25 (AAA + BBB) means 3 AAA >= BBB. AAA patrols 2 in war; with p more in
    peace in place of BBB ships, 3 (2 + p) >= 8 - p, so p = 0.5 at 3 - 2 = 1 more a unit
    (over-delivering instead would need p = 2/3 at 3 a unit): 23 + 0.5."""
    policy = {"name": "floor_a", "kind": "share_floor", "country": "AAA", "task": "patrol",
              "value": 0.25, **SENTENCE}
    assert least_cost(tmp_path, policy) == pytest.approx(23.5)
