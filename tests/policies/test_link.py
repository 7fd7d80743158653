"""The ``link`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp)."""

from __future__ import annotations

from tests.policies import SENTENCE

GOLDEN = {"link_inactive": {"flags": {"ties": "cut"},
                            "policies": [{"name": "a_b", "kind": "link", "country": "AAA",
                                          "partner": "BBB", "active_when": {"ties": "open"},
                                          **SENTENCE}]}}
