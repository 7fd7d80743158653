"""The ``lead_nation`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp)."""

from __future__ import annotations

from tests.policies import SENTENCE

GOLDEN = {
    "lead_nation_lead": {"policies": [{"name": "one_lead", "kind": "lead_nation",
                                       "task": "watch", **SENTENCE}]},
    "lead_nation_lead_and_linked": {"policies": [
        {"name": "a_b", "kind": "link", "country": "AAA", "partner": "BBB", **SENTENCE},
        {"name": "one_lead", "kind": "lead_nation", "task": "watch", "country": ["AAA"],
         "delivered_by": "lead_and_linked", **SENTENCE}]},
}
