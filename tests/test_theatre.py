"""The theatre map: drawn from the Plan alone, it marks exactly the plan's shortfalls."""

from __future__ import annotations

import re

import pytest

from planner import pipeline
from planner.reports.report import country_colours
from planner.reports.theatre import PLACES, cover_by_region, theatre_map
from planner.results.plan import Plan
from tests.conftest import REPO


@pytest.fixture(scope="module")
def taiwan() -> Plan:
    return pipeline.solve("taiwan-contingency", REPO / "capabilities")


def test_the_map_marks_the_regions_short_in_each_phase(taiwan: Plan) -> None:
    colours = country_colours([taiwan])
    for phase in taiwan.mission["phases"]:
        svg = str(theatre_map(taiwan, phase, colours))
        drawn = dict(re.findall(r'data-region="(\w+)" data-short="(\d)"', svg))
        required = {c.region for c in taiwan.coverage if c.phase == phase}
        short = {c.region for c in taiwan.shortfalls if c.phase == phase}
        assert {r for r, s in drawn.items() if s == "1"} == short
        assert set(drawn) == required


def test_the_bars_are_the_shares_of_each_requirement_met(taiwan: Plan) -> None:
    """Per region, the allies' parts and the part short add up to the whole requirement
    (nothing is delivered twice over in this plan), and a region with nothing short has
    no hatching."""
    for phase in taiwan.mission["phases"]:
        for region, cover in cover_by_region(taiwan, phase).items():
            assert sum(cover.parts.values()) + cover.short == pytest.approx(1.0, abs=1e-6)
            assert (cover.short > 1e-9) == bool(cover.short_tasks), region


def test_every_region_of_five_allies_has_its_place_and_text_is_escaped() -> None:
    plan = pipeline.solve("five-allies", REPO / "capabilities")
    assert {c.region for c in plan.coverage} <= set(PLACES)
    hostile = plan.model_copy(update={"coverage": [
        c.model_copy(update={"region": "<b>x</b>"}) if i == 0 else c
        for i, c in enumerate(plan.coverage)]})
    svg = str(theatre_map(hostile, hostile.coverage[0].phase, country_colours([plan])))
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
