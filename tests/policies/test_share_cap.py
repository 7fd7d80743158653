"""The ``share_cap`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp)."""

from __future__ import annotations

from tests.policies import SENTENCE

GOLDEN = {"share_cap_delivered": {"policies": [{"name": "cap_a", "kind": "share_cap",
                                              "country": "AAA", "task": "patrol",
                                              "value": 0.5, **SENTENCE}]}}
