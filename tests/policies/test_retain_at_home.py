"""The ``retain_at_home`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp)."""

from __future__ import annotations

from tests.policies import SENTENCE

GOLDEN = {"retain_at_home": {"policies": [{"name": "keep_b", "kind": "retain_at_home",
                                         "country": "BBB", "task": "patrol",
                                         "region": "home", "value": 2, **SENTENCE}]}}
