"""The ``share_cap`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py), worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies import SENTENCE, least_cost

GOLDEN = {"share_cap_delivered": {"policies": [{"name": "cap_a", "kind": "share_cap",
                                              "country": "AAA", "task": "patrol",
                                              "value": 0.5, **SENTENCE}]}}


def test_capping_bbb_at_half_the_patrol_leaves_two_short(tmp_path: Path) -> None:
    """BBB <= 0.5 (BBB + AAA) means BBB <= AAA, and AAA patrols at most 2 a phase: 4 in all.
    AAA 2 in peace and 2 in war (12), BBB 4 in war (8), 10 - 8 = 2 short (2000), watch 1."""
    policy = {"name": "cap_b", "kind": "share_cap", "country": "BBB", "task": "patrol",
              "value": 0.5, **SENTENCE}
    assert least_cost(tmp_path, policy) == pytest.approx(2021)
