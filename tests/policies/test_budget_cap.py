"""The ``budget_cap`` policy kind: its golden LP cases (collected by
tests/test_formulation_golden.py, stored in tests/lp_files/<case>.lp) and its effect on the
tiny instance (tests/policies/__init__.py), worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies import SENTENCE, least_cost

GOLDEN = {"budget_cap": {"policies": [{"name": "budget_a", "kind": "budget_cap",
                                     "country": "AAA", "value": 10, **SENTENCE}]}}


def test_three_usd_m_for_aaa_buys_one_ship(tmp_path: Path) -> None:
    """AAA may spend 3: one ship in war, so war patrol is BBB 6 + AAA 1, 1 short:
    4 + 0.5 + 12 + 3 + 1000 + 0.5."""
    policy = {"name": "budget_a", "kind": "budget_cap", "country": "AAA", "value": 3,
              **SENTENCE}
    assert least_cost(tmp_path, policy) == pytest.approx(1020)
