"""The ``forbid`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp)."""

from __future__ import annotations

from tests.policies import SENTENCE

GOLDEN = {"forbid": {"policies": [{"name": "no_b_in_far", "kind": "forbid", "country": "BBB",
                                 "region": "far", **SENTENCE}]}}
