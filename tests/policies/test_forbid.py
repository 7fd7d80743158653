"""The ``forbid`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py), worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies import SENTENCE, least_cost

GOLDEN = {"forbid": {"policies": [{"name": "no_b_in_far", "kind": "forbid", "country": "BBB",
                                 "region": "far", **SENTENCE}]}}


def test_forbidding_bbb_in_far_leaves_far_to_aaa_and_one_short(tmp_path: Path) -> None:
    """Far in war needs 3 patrol; AAA has 2 ships: 1 short (1000). BBB patrols home: 2 in
    peace (4), 5 in war (10); AAA 2 in far (6); watch 0.5 + 0.5: 4 + 10 + 6 + 1000 + 1."""
    policy = {"name": "no_b_in_far", "kind": "forbid", "country": "BBB", "region": "far",
              **SENTENCE}
    assert least_cost(tmp_path, policy) == pytest.approx(1021)
