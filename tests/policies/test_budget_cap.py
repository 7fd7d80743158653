"""The ``budget_cap`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp)."""

from __future__ import annotations

from tests.policies import SENTENCE

GOLDEN = {"budget_cap": {"policies": [{"name": "budget_a", "kind": "budget_cap",
                                     "country": "AAA", "value": 10, **SENTENCE}]}}
