"""The ``link`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py), worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies import SENTENCE, least_cost

GOLDEN = {"link_inactive": {"flags": {"ties": "cut"},
                            "policies": [{"name": "a_b", "kind": "link", "country": "AAA",
                                          "partner": "BBB", "active_when": {"ties": "open"},
                                          **SENTENCE}]}}


def test_an_inactive_link_keeps_each_out_of_the_others_home(tmp_path: Path) -> None:
    """AAA (home far) may not work at home, BBB (home home) not in far: home patrol is BBB's
    (4 + 10), far's AAA's 2 (6), 1 short; watch by BBB's planes at home (1)."""
    link = {"name": "a_b", "kind": "link", "country": "AAA", "partner": "BBB",
            "active_when": {"ties": "open"}, **SENTENCE}
    assert least_cost(tmp_path, link, flags={"ties": "cut"}) == pytest.approx(1021)
    assert least_cost(tmp_path / "open", link) == pytest.approx(23)  # active: no rows
