"""Column names made as they are read (``planner.formulation.names``): the same text as the
names made at once, through every way the solver's code reads them, and none made by a
plain solve."""

from __future__ import annotations

import operator

import numpy as np
import pytest

from planner import pipeline
from planner.formulation.families import UNITS, labels
from planner.formulation.model import build_model, unit_candidates
from planner.formulation.names import Names
from planner.solving.solve import solve_model


@pytest.mark.parametrize("mission", ["baseline", "force-development-2035",
                                     "taiwan-sustainment"])
def test_names_read_later_are_the_names_made_at_once(mission: str) -> None:
    units, codes = unit_candidates(pipeline.prepare(mission))
    made = labels(UNITS.name, units, UNITS.keys, codes)
    lazy = UNITS.lazy_labels(units, codes)
    assert lazy == made and len(lazy) == len(made) > 0
    assert [lazy[i] for i in (0, 5, -1, -len(made))] == [made[i] for i in (0, 5, -1,
                                                                              -len(made))]
    assert lazy[3:40:4] == made[3:40:4]
    with pytest.raises(IndexError):
        lazy[len(made)]
    every = [*made, "shortfall_a_", "lead_b_"]
    shuffled = np.random.default_rng(7).permutation(len(every))
    taken = lazy.plus(["shortfall_a_", "lead_b_"]).take(shuffled)
    assert taken.made(np.arange(len(every))[::-1]) == [every[i] for i in shuffled[::-1]]
    again = taken.plus(["zeta_"]).take(np.arange(len(every) + 1)[::-1])
    assert list(again) == [*(every[i] for i in shuffled), "zeta_"][::-1]


def test_names_already_made_are_a_plain_sequence() -> None:
    names = Names.of(["a", "b", "c"])
    assert names.take([2, 0]) == ["c", "a"] and names.plus(["d"])[3] == "d"
    assert Names.of(names) is names and Names() == [] and names != ["a", "b"]
    # + as a list's: what code that took the names for a list may do
    assert operator.add(names, ["d"]) == ["a", "b", "c", "d"]
    assert operator.add(["z"], names) == ["z", "a", "b", "c"]
    assert names.count("b") == 1 and names.index("c") == 2


def test_negative_positions_count_from_the_end_as_a_lists_do() -> None:
    units, codes = unit_candidates(pipeline.prepare("baseline"))
    every = [*labels(UNITS.name, units, UNITS.keys, codes), "shortfall_a_"]
    names = UNITS.lazy_labels(units, codes).plus(["shortfall_a_"])
    assert names.take([-1, 0, -2]) == [every[-1], every[0], every[-2]]
    assert names.made(np.array([-1])) == ["shortfall_a_"]


def test_a_plain_solve_makes_no_units_columns_name() -> None:
    """HiGHS takes positions, the plan reads values by position and the column order comes
    from the keys' codes: solving baseline makes the names of none of its units columns
    but those its policies' rows name."""
    model = build_model(pipeline.prepare("baseline"))
    solution = solve_model(model)
    assert solution.status == "optimal"
    assert model.core.names.listed is None
    made, _ = model.core_columns.known()
    assert len(made) < len(model.units)


def test_two_families_names_made_from_keys_read_as_made_at_once() -> None:
    """The units' and the shortfalls' names, both made only as they are read (a core's
    column names), then names given: the same text, read by position, slice, take or whole,
    as the names made at once."""
    from planner.formulation.core import factorize
    from planner.formulation.families import SHORTFALL

    instance = pipeline.prepare("baseline")
    units, codes = unit_candidates(instance)
    needs = instance.requirements
    short = factorize(needs, list(SHORTFALL.keys))
    made = [*labels(UNITS.name, units, UNITS.keys, codes),
            *labels(SHORTFALL.name, needs, SHORTFALL.keys, short), "lead_b_"]
    lazy = UNITS.lazy_labels(units, codes).plus(SHORTFALL.lazy_labels(needs, short))
    assert len(lazy.blocks) == 2
    lazy = lazy.plus(["lead_b_"])
    assert lazy == made
    n = len(units)
    assert lazy[n - 2:n + 3] == made[n - 2:n + 3] and lazy[-1] == "lead_b_"
    shuffled = np.random.default_rng(3).permutation(len(made))
    assert lazy.take(shuffled).tolist() == [made[i] for i in shuffled]
    assert lazy.take(shuffled).made(np.array([-1, 0])) == [made[shuffled[-1]],
                                                            made[shuffled[0]]]
