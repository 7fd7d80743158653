"""The ``share_floor`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp)."""

from __future__ import annotations

from tests.policies import SENTENCE

GOLDEN = {"share_floor_cost": {"policies": [{"name": "floor_b", "kind": "share_floor",
                                           "country": "BBB", "of": "cost", "value": 0.4,
                                           **SENTENCE}]}}
