"""The ``lead_nation`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py), worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies import SENTENCE, least_cost

GOLDEN = {
    "lead_nation_lead": {"policies": [{"name": "one_lead", "kind": "lead_nation",
                                       "task": "watch", **SENTENCE}]},
    "lead_nation_lead_and_linked": {"policies": [
        {"name": "a_b", "kind": "link", "country": "AAA", "partner": "BBB", **SENTENCE},
        {"name": "one_lead", "kind": "lead_nation", "task": "watch", "country": ["AAA"],
         "delivered_by": "lead_and_linked", **SENTENCE}]},
}


def test_aaa_as_the_only_candidate_leads_watch_and_alone_delivers_it(tmp_path: Path) -> None:
    """Only AAA may deliver watch at home. Peace: AAA's 2 ships watch (6), BBB patrols 2
    (4). War: an AAA ship on patrol saves 1000, on watch 500, so AAA patrols far (6), BBB
    6 ships patrol (12), watch is 1 short (1000): 10 + 1018."""
    lead = {"name": "one_lead", "kind": "lead_nation", "task": "watch", "country": ["AAA"],
            **SENTENCE}
    assert least_cost(tmp_path, lead) == pytest.approx(1028)
