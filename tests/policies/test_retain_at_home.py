"""The ``retain_at_home`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py), worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies import SENTENCE, least_cost

GOLDEN = {"retain_at_home": {"policies": [{"name": "keep_b", "kind": "retain_at_home",
                                         "country": "BBB", "task": "patrol",
                                         "region": "home", "value": 2, **SENTENCE}]}}


def test_keeping_six_bbb_ships_at_home_in_every_phase(tmp_path: Path) -> None:
    """BBB patrols 6 at home in peace (12, 4 more than needed) and in war (12), so far gets
    AAA's 2 (6) and is 1 short (1000); watch 1: 12 + 12 + 6 + 1000 + 1."""
    policy = {"name": "keep_b", "kind": "retain_at_home", "country": "BBB", "task": "patrol",
              "region": "home", "value": 6, **SENTENCE}
    assert least_cost(tmp_path, policy) == pytest.approx(1031)
