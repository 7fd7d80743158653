"""Golden formulations: a tiny instance per policy kind and per row family, its model
written as text and stored under tests/lp_files/. Any change to the formulation, intended or
not, shows here as a diff a reviewer reads row by row (as Calliope keeps its LP files).

After an intended change, regenerate with ``PLANNER_REGOLD=1 python -m pytest
tests/test_formulation_golden.py`` and review the diff of tests/lp_files/ in the commit.

The text is written from the arrays the planner hands the solver, with the planner's own
row and column names, so it does not depend on a solver's LP writer.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner import pipeline
from planner.formulation.model import build_model
from planner.solving.highs import INF, HighsModel, domain_name
from planner.solving.solve import fast_model

from .policies import tiny_mission

GOLDEN = Path(__file__).parent / "lp_files"



def kind_cases() -> dict[str, dict[str, Any]]:
    """Each policy kind's golden cases, from its own test module (tests/policies/
    test_<kind>.py), so a new kind brings its case without a change here."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((Path(__file__).parent / "policies").glob("test_*.py")):
        found |= importlib.import_module(f"tests.policies.{path.stem}").GOLDEN
    return found


CASES: dict[str, dict[str, Any]] = {
    "families_pool_cover_shortfall": {},
    **kind_cases(),
    "integer_units": {"integer_units": True},
}


def model_text(fast: HighsModel) -> str:
    """The model as LP-like text: objective, rows in build order (terms sorted by column),
    bounds and integer columns, every number in a fixed format."""
    a = fast.arrays
    names = [domain_name(n) for n in a.columns]

    def number(x: float) -> str:
        return f"{x + 0.0:.12g}"  # + 0.0: no "-0"

    def terms(index: np.ndarray, value: np.ndarray) -> str:
        pairs = sorted(zip((names[i] for i in index), value, strict=True))
        return " ".join(f"{'+' if v >= 0 else '-'} {number(abs(v))} {n}" for n, v in pairs)

    lines = ["minimize", f"  obj: {terms(np.flatnonzero(a.cost), a.cost[a.cost != 0])}"
             + (f" + {number(a.offset)}" if a.offset else ""), "subject to"]
    for r, row in enumerate(a.rows):
        body = terms(a.index[a.start[r]:a.start[r + 1]], a.value[a.start[r]:a.start[r + 1]])
        low, up = a.row_lower[r], a.row_upper[r]
        if low == up:
            bound = f"= {number(low)}"
        elif low <= -INF:
            bound = f"<= {number(up)}"
        elif up >= INF:
            bound = f">= {number(low)}"
        else:
            bound = f"in [{number(low)}, {number(up)}]"
        lines.append(f"  {row}: {body} {bound}")
    lines.append("bounds")
    for i in np.argsort(names, kind="stable"):
        low, up = a.col_lower[i], a.col_upper[i]
        if low != 0 or up < INF:
            lines.append(f"  {number(low)} <= {names[i]} <= "
                         f"{'inf' if up >= INF else number(up)}")
    whole = sorted(names[i] for i in np.flatnonzero(a.integer))
    if whole:
        lines += ["integer", *(f"  {n}" for n in whole)]
    return "\n".join(lines) + "\nend\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_formulation_is_unchanged(case: str, tmp_path: Path) -> None:
    mission, data = tiny_mission(tmp_path, case, CASES[case])
    instance = pipeline.prepare(mission, data)
    text = model_text(fast_model(build_model(instance)))
    golden = GOLDEN / f"{case}.lp"
    if os.environ.get("PLANNER_REGOLD"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden.name}: run with PLANNER_REGOLD=1"
    assert text == golden.read_text(encoding="utf-8"), (
        f"the formulation of {case} changed; if intended, regenerate with PLANNER_REGOLD=1 "
        "and review the diff")


def test_every_policy_kind_has_a_golden_case() -> None:
    from typing import get_args

    from planner.schema.policy import PolicyKind

    covered = {p["kind"] for case in CASES.values() for p in case.get("policies", [])}
    assert covered == set(get_args(PolicyKind)), set(get_args(PolicyKind)) - covered
