"""The model's two routes to HiGHS give the same model: the core block built as arrays (a
plain solve) and every row made as a PuLP object (CBC, conflict search, analyses that add
rows), on every shipped mission and on a tiny hand-checked one."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import pipeline
from planner.formulation.bulk import lexical_order, stable_order
from planner.formulation.core import factorize
from planner.formulation.model import PlanningModel, build_model
from planner.inputs.paths import missions_dir
from planner.results.explain import trace_shortfalls
from planner.results.plan import make_plan
from planner.scenario.instance import Instance
from planner.solving.highs import Arrays
from planner.solving.solve import model_arrays, name_order, solve_model
from tests.conftest import write_mission, write_tiny

MISSIONS = sorted(p.stem for p in missions_dir().glob("*.yaml"))


def rows_of(a: Arrays) -> dict[str, tuple[float, float, dict[str, float]]]:
    """Each row by name: its bounds and its nonzeros by column name."""
    out = {}
    for i, name in enumerate(a.rows):
        begin, end = int(a.start[i]), int(a.start[i + 1])
        terms = {a.columns[j]: float(v) for j, v in zip(a.index[begin:end].tolist(),
                                                        a.value[begin:end].tolist(),
                                                        strict=True)}
        out[name] = (float(a.row_lower[i]), float(a.row_upper[i]), terms)
    return out


def same(lazy: Arrays, full: Arrays) -> None:
    assert lazy.columns == full.columns
    assert lazy.rows == full.rows
    for field in ("cost", "col_lower", "col_upper", "integer", "row_lower", "row_upper"):
        np.testing.assert_array_equal(getattr(lazy, field), getattr(full, field), field)
    assert lazy.offset == full.offset
    # the same nonzeros in the same order within each row (HiGHS sees the same matrix)
    np.testing.assert_array_equal(lazy.start, full.start)
    np.testing.assert_array_equal(lazy.index, full.index)
    np.testing.assert_array_equal(lazy.value, full.value)


@pytest.mark.parametrize("mission", MISSIONS)
def test_arrays_and_pulp_give_the_same_model(mission: str) -> None:
    instance = pipeline.prepare(mission)
    lazy = build_model(instance)
    full = build_model(instance)
    full.complete()
    assert full.completed
    same(model_arrays(lazy), model_arrays(full))


def test_force_rows_on_a_model_already_made_whole_in_pulp(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """A multi-year model whose core is already PuLP objects when its force rows come (as
    stock families make it): the pool rows' new terms, the discounted costs and the fleet,
    crew, line and budget rows go to PuLP at once, and HiGHS sees the same model as by
    arrays (where those rows come last, as arrays). By arrays, the
    force rows make no PuLP object for a units column (the mission's policies make those
    they name), nor does a plain solve."""
    from planner.formulation import force

    instance = pipeline.prepare("force-development-2035")
    by_arrays = build_model(instance)
    made = int(by_arrays.core_columns.done.sum())
    assert not by_arrays.completed and made < len(by_arrays.units) / 2
    assert by_arrays.tail is not None and by_arrays.tail.rows[0].startswith("fleet[")
    assert by_arrays.tail.rows[-1].startswith("budget")
    added = force.add_force

    def made_whole_first(model, instance, pool_first):  # type: ignore[no-untyped-def]
        model.complete()
        return added(model, instance, pool_first)

    monkeypatch.setattr(force, "add_force", made_whole_first)
    early = build_model(instance)
    assert early.completed and early.tail is None
    same(model_arrays(by_arrays), model_arrays(early))
    assert solve_model(by_arrays).objective == pytest.approx(solve_model(early).objective,
                                                            rel=1e-12)
    assert int(by_arrays.core_columns.done.sum()) == made


def test_a_plain_solve_makes_no_pulp_object_for_the_core(tmp_path: Path) -> None:
    """Two countries, one task, no policy: min 2a + 3b st a + b + s >= 10, a <= 4, b <= 8,
    shortfall priced 100: a = 4, b = 6, objective 26. The core's columns and rows stay
    arrays throughout; completing the model afterwards gives the same plan by CBC."""
    data = write_tiny(
        tmp_path / "data", {"AAA": (1, 1), "BBB": (1, 1)}, ["isr"], ["east"], ["conflict"],
        {"AAA": [dict(pool="p", quantity=4, readiness=1, cost_per_unit=2, regions="east",
                      isr=1)],
         "BBB": [dict(pool="p", quantity=8, readiness=1, cost_per_unit=3, regions="east",
                      isr=1)]})
    mission = write_mission(tmp_path / "m.yaml", name="tiny", phases=["conflict"],
                            requirements=[{"task": "isr", "region": "east", "phase": "conflict",
                                           "amount": 10, "penalty": 100}])
    model = build_model(pipeline.prepare(str(mission), data))
    solution = solve_model(model)
    assert solution.objective == pytest.approx(26.0)
    assert not model.completed and not model.core_columns.done.any()
    assert sorted(solution.units) == [4.0, 6.0]
    units = pd.Series(solution.units, index=model.units["country"])
    assert units["AAA"] == 4.0 and units["BBB"] == 6.0
    assert solve_model(model, solver="cbc").objective == pytest.approx(26.0)
    assert model.completed


def tiny_theatre(tmp_path: Path) -> Path:
    return write_tiny(
        tmp_path / "data", {"AAA": (1, 1), "BBB": (1, 1)}, ["isr"], ["east", "west"],
        ["conflict"],
        {"AAA": [dict(pool="p", quantity=4, readiness=1, cost_per_unit=2, regions="east",
                      isr=1)],
         "BBB": [dict(pool="p", quantity=8, readiness=1, cost_per_unit=3, regions="east",
                      isr=1)]})


def test_a_requirement_no_pool_can_serve_is_all_shortfall(tmp_path: Path) -> None:
    """No units column at all (both pools serve only the east; the requirement is in the
    west): the model is one shortfall column, 10 x 50 = 500."""
    data = tiny_theatre(tmp_path)
    mission = write_mission(tmp_path / "m.yaml", name="west", phases=["conflict"],
                            requirements=[{"task": "isr", "region": "west",
                                           "phase": "conflict", "amount": 10,
                                           "penalty": 50}])
    model = build_model(pipeline.prepare(str(mission), data))
    assert len(model.units) == 0
    solution = solve_model(model)
    assert solution.objective == pytest.approx(500.0) and solution.shortfalls == [10.0]


def test_a_shortfall_is_traced_without_ranges_or_pulp_objects(tmp_path: Path) -> None:
    """20 required, 4 + 8 available: both pools exhausted, 8 short. The trace names both
    pools as exhausted, read from the arrays' names, with no PuLP object made for them."""
    data = tiny_theatre(tmp_path)
    mission = write_mission(tmp_path / "m.yaml", name="short", phases=["conflict"],
                            requirements=[{"task": "isr", "region": "east",
                                           "phase": "conflict", "amount": 20,
                                           "penalty": 100}])
    instance = pipeline.prepare(str(mission), data)
    model = build_model(instance)
    solution = solve_model(model, ranging=False)
    plan = make_plan(instance, model, solution, data_dir=str(data))
    traces = trace_shortfalls(instance, model, plan)
    assert solution.objective == pytest.approx(4 * 2 + 8 * 3 + 8 * 100)
    assert [(b.country, b.reason) for t in traces for b in t.blockers] == [
        ("AAA", "exhausted"), ("BBB", "exhausted")]
    assert not model.completed


@pytest.mark.parametrize("mission", MISSIONS)
def test_the_columns_are_in_name_order_without_sorting_the_names(mission: str) -> None:
    """``name_order`` puts the units columns in order from their keys' codes: the order
    sorting every name gives, on every shipped mission, built as arrays or made whole in
    PuLP (an analysis's route)."""
    for complete in (False, True):
        model = build_model(pipeline.prepare(mission))
        if complete:
            model.complete()
        names = model_arrays(model).columns
        count = len(model.core.names) + len(model.extra_columns)
        expected = sorted(range(count), key=names.__getitem__)
        order = name_order(names, count, len(model.units), model.unit_keys)
        assert order.tolist() == expected
        # the shortfall columns from their keys' codes too
        order = name_order(names, count, len(model.units), model.unit_keys,
                           model.shortfall_keys)
        assert order.tolist() == expected


def test_the_name_order_holds_where_key_texts_are_prefixes_of_one_another() -> None:
    """Texts that start like one another (``p1`` and ``p10``, ``crisis`` and
    ``crisis_late``, where the last key's separator ``_`` sits between digits and letters),
    two values that read alike once PuLP has translated them (``a-b``, ``a_b``), and a
    comma, which sends every name to the sort."""
    from planner.formulation.families import UNITS

    rows = [(c, p, t, r, h) for c in ("AUS", "AU") for p in ("p1", "p10", "p1_a", "p2", "a-b")
            for t in ("isr",) for r in ("r", "r_2") for h in ("crisis", "crisis_late",
                                                              "crisis2", "c")]
    rows.append(("AUS", "a_b", "isr", "r", "c"))  # reads as a-b does, once translated
    units = pd.DataFrame(rows, columns=list(UNITS.keys))
    keys = factorize(units, list(UNITS.keys))
    names = [*UNITS.labels(units, factorized=keys), "shortfall_isr,r,crisis_", "lead_x_",
             "zeta_"]
    count = len(names)
    order = name_order(names, count, len(units), keys)
    assert order.tolist() == sorted(range(count), key=names.__getitem__)
    # another column whose name has the units' prefix: every name is sorted
    names = [*UNITS.labels(units, factorized=keys), "units_AAA_", "zeta_", "a_"]
    order = name_order(names, len(names), len(units), keys)
    assert order.tolist() == sorted(range(len(names)), key=names.__getitem__)
    # the shortfall columns' block from their keys' codes as well, their texts as tricky
    from planner.formulation.families import SHORTFALL

    needs = pd.DataFrame([(t, r, h) for t in ("isr", "is", "isr_2", "a-b", "a_b")
                          for r in ("r", "r_2", "r2") for h in ("crisis", "crisis_late", "c")],
                         columns=list(SHORTFALL.keys))
    short = factorize(needs, list(SHORTFALL.keys))
    for tail in (["lead_x_", "shortfall", "t_", "zeta_"], ["lead_x_", "shortfall_zz_"],
                 ["units", "v_"], []):
        names = [*UNITS.labels(units, factorized=keys),
                 *SHORTFALL.labels(needs, factorized=short), *tail]
        order = name_order(names, len(names), len(units), keys, short)
        assert order.tolist() == sorted(range(len(names)), key=names.__getitem__)
    comma = units.assign(pool=units["pool"].replace("p2", "p,2"))
    keys = factorize(comma, list(UNITS.keys))
    names = UNITS.labels(comma, factorized=keys)
    order = name_order(names, len(names), len(names), keys)
    assert order.tolist() == sorted(range(len(names)), key=names.__getitem__)


def test_the_units_tables_codes_are_its_factorisation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The codes that order the units table serve as its key columns' factorisation: each
    code names its row's value; and a value outside the tables' lists (which validation
    keeps out) falls back to factorising the table."""
    from planner.formulation import model as formulation
    from planner.formulation.families import UNITS
    from planner.scenario.instance import Instance

    instance = pipeline.prepare("taiwan-contingency")
    units, keys = formulation.unit_candidates(instance)
    for key in UNITS.keys:
        codes, distinct = keys[key]
        assert (np.asarray(distinct, dtype=object)[codes] == units[key].to_numpy()).all()
    phases = instance.phases
    monkeypatch.setattr(Instance, "phases", property(lambda self: phases[1:]))
    units, keys = formulation.unit_candidates(instance)
    codes, distinct = keys["phase"]
    assert codes.min() >= 0
    assert (np.asarray(distinct, dtype=object)[codes] == units["phase"].to_numpy()).all()


@pytest.mark.parametrize("mission", ["baseline", "force-development-2035",
                                     "taiwan-sustainment", "five-allies"])
def test_the_units_candidates_are_the_join_of_their_tables(mission: str) -> None:
    """``unit_candidates`` joins on integer codes; pandas' merges of the same tables, sorted
    by the documented order, are its specification: the same rows, values and dtypes. The
    missions cover a phase split into periods (costs weighted) and pools with nothing
    available that a force-development mission may grow."""
    from planner.formulation import model as formulation

    instance = pipeline.prepare(mission)
    caps = instance.capabilities
    pools = caps.pools.assign(available=caps.pools["quantity"] * caps.pools["readiness"])
    growable = instance.growable_pools
    pools = pools[[a > 0 or (c, p) in growable for c, p, a in zip(
        pools["country"], pools["pool"], pools["available"], strict=True)]]
    merged = (caps.deliveries.merge(caps.pool_regions, on=["country", "pool"])
              .merge(formulation.demand_keys(instance), on=["task", "region"])
              .merge(pools[["country", "pool", "cost_per_unit", "available"]],
                     on=["country", "pool"]))
    weight = merged["phase"].map(instance.weights).astype(float).fillna(1.0)
    merged["unit_cost"] = (merged["cost_per_unit"] + merged["task_cost"]) * weight
    rank = {"phase": instance.phases, "region": list(caps.regions["region"]),
            "task": list(caps.tasks["task"]), "country": list(caps.countries["country"])}
    merged = merged.sort_values(
        ["phase", "region", "task", "country", "pool"],
        key=lambda c: c.map({v: i for i, v in enumerate(rank[c.name])}) if c.name in rank
        else c).reset_index(drop=True)
    units, _ = formulation.unit_candidates(instance)
    expected = merged[list(units.columns)]
    assert len(units) > 0
    pd.testing.assert_frame_equal(units, expected, check_exact=False, rtol=1e-12)


def test_a_term_added_at_the_end_of_core_rows_in_any_order() -> None:
    """``Core.with_entries``: one nonzero at the end of each row named, whatever the order
    they are given in and even after an empty row, and those rows' upper bounds set."""
    from planner.formulation.core import Core

    core = Core(rows=["r0", "r1", "r2"], row_lower=np.full(3, -np.inf),
                row_upper=np.array([4.0, 5.0, 6.0]), start=np.array([0, 1, 1, 2]),
                index=np.array([0, 1], dtype=np.int32), value=np.array([1.0, 2.0]),
                names=["c0", "c1"], cost=np.zeros(2), integer=np.zeros(2, dtype=np.uint8))
    more = core.with_entries(np.array([2, 1, 0]), np.array([5, 6, 7]),
                             np.array([-1.0, -2.0, -3.0]), 0.0)
    assert more.start.tolist() == [0, 2, 3, 5]
    assert more.index.tolist() == [0, 7, 6, 1, 5]
    assert more.value.tolist() == [1.0, -3.0, -2.0, 2.0, -1.0]
    assert more.row_upper.tolist() == [0.0, 0.0, 0.0] and core.row_upper[0] == 4.0


def test_a_row_added_after_the_budget_rows_comes_after_them() -> None:
    """An analysis that adds a PuLP row to a multi-year model (a cost row of a front) gets
    it after the budget rows, which the model then holds as PuLP objects too."""
    import pulp

    from planner.formulation.families import POLICY

    model = build_model(pipeline.prepare("force-development-2035"))
    last = model.tail.rows[-1]
    column = model.columns_at(np.array([model.force.first_order]))[0]
    model.add(POLICY.row({"policy": "extra"}, "An extra row.", "test"),
              pulp.LpAffineExpression([(column, 1.0)]) <= 5.0)
    assert model.completed and model.tail is None
    rows = list(model.pulp_rows)
    assert rows[-2:] == [last, "policy[extra]"] and list(model.rows)[-1] == "policy[extra]"
    assert model_arrays(model).rows[-2:] == [last, "policy[extra]"]


def test_a_policy_total_is_arrays_until_pulp_needs_it() -> None:
    """``Terms``: a share's two totals over overlapping units merge as PuLP's expressions
    merge (each column once, where it first appears, coefficients added); compared to a
    number they make a row of arrays, and with a PuLP column they become PuLP's."""
    from planner.formulation.families import new_columns
    from planner.formulation.policy_rows import Terms, TermsRow, affine

    columns = np.array(new_columns([f"u{i}" for i in range(5)], ["Continuous"] * 5),
                       dtype=object)

    def take(at: np.ndarray) -> np.ndarray:
        return columns[at]

    own = Terms(np.array([1, 3]), np.array([2.0, 4.0]), take)
    every = Terms(np.array([0, 1, 3, 4]), np.array([1.0, 2.0, 4.0, 8.0]), take) * -0.25
    row = own + every <= 0
    assert isinstance(row, TermsRow)
    assert row.at.tolist() == [1, 3, 0, 4]
    assert row.coefficient.tolist() == [1.5, 3.0, -0.25, -2.0]
    assert (row.lower, row.upper) == (-np.inf, 0.0)
    by_pulp = (affine(zip(columns[[1, 3]].tolist(), [2.0, 4.0], strict=True))
               + affine(zip(columns[[0, 1, 3, 4]].tolist(), [-0.25, -0.5, -1.0, -2.0],
                            strict=True)))
    made = row.constraint(take)
    assert [(v.name, c) for v, c in made.items()] == [(v.name, c) for v, c in by_pulp.items()]
    assert made.sense == pulp.LpConstraintLE and -made.constant == 0.0
    lead = new_columns(["lead"], ["Binary"])[0]
    mixed = own - 3 * lead <= 0
    assert isinstance(mixed, pulp.LpConstraint)
    assert {v.name: c for v, c in mixed.items()} == {"u1": 2.0, "u3": 4.0, "lead": -3.0}
    floor = own >= 1.5
    assert (floor.lower, floor.upper) == (1.5, np.inf)
    # PuLP on the left, or a sum of PuLP's, takes a total as its expression
    less = 3 * lead - own <= 0
    assert {v.name: c for v, c in less.items()} == {"lead": 3.0, "u1": -2.0, "u3": -4.0}
    summed = pulp.lpSum([own, 3 * lead]) <= 0
    assert {v.name: c for v, c in summed.items()} == {"u1": 2.0, "u3": 4.0, "lead": 3.0}
    two = own / 2 <= every  # two totals compared: one row of arrays, every term on the left
    assert isinstance(two, TermsRow)
    assert two.at.tolist() == [1, 3, 0, 4] and two.coefficient.tolist() == [1.5, 3.0, 0.25, 2.0]
    with pytest.raises(pulp.PulpError):
        _ = own <= float("nan")


def test_a_row_name_given_twice_is_refused_as_pulp_refuses_it() -> None:
    """Two rows of one name (kept as arrays or PuLP's) would leave the solver's arrays and
    the model's list of rows out of step: the model refuses the second, as PuLP does."""
    from planner.formulation.families import POLICY
    from planner.formulation.policy_rows import TermsRow

    model = build_model(pipeline.prepare("baseline"))
    kept = next(iter(model.array_rows))
    again = POLICY.row({"policy": kept[len("policy["):-1]}, "again", "test")
    assert again.name == kept
    with pytest.raises(pulp.PulpError, match="overlapping constraint names"):
        model.add(again, TermsRow.of([0], [1.0], pulp.LpConstraintLE, 1.0))
    with pytest.raises(pulp.PulpError, match="overlapping constraint names"):
        model.add(again, pulp.LpConstraint(pulp.LpAffineExpression(), pulp.LpConstraintLE,
                                           rhs=0))


def test_policy_rows_kept_as_arrays_are_placed_among_pulps_in_order() -> None:
    """A mission whose policies give rows of both kinds (a lead-nation policy's rows name
    binary columns and stay PuLP's; the others are kept as arrays): the solver sees the
    rows in the order the policies added them, the same as the model made whole in PuLP."""
    instance = pipeline.prepare("lead-nation")
    model = build_model(instance)
    assert model.array_rows and len(model.pulp_rows)
    assert model_arrays(model).rows[len(model.core.rows):] == model.placed
    assert list(model.right_hand_sides()) == model_arrays(model).rows  # in model order
    whole = build_model(instance)
    whole.complete()
    same(model_arrays(model), model_arrays(whole))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.integers(0, 6)),
                max_size=60),
       st.sampled_from([5, 70_000, 2**33]))
def test_the_bulk_sorts_are_numpys_stable_sorts(rows: list[tuple[int, int, int]],
                                                 size: int) -> None:
    """``stable_order`` (radix sort in a narrow type) and ``lexical_order`` (one sort of a
    combined key) give exactly numpy's stable ``argsort`` and ``lexsort``, repeated keys
    included, whatever type the codes fit; keys too wide to combine go to ``lexsort``."""
    codes = np.array([r[0] for r in rows], dtype=np.int64) * (size // 5)
    assert stable_order(codes, size).tolist() == np.argsort(codes, kind="stable").tolist()
    keys = [(np.array([r[i] for r in rows], dtype=np.int64), bound)
            for i, bound in enumerate((5, 3, 7))]
    expected = np.lexsort([k for k, _ in keys]).tolist()
    assert lexical_order(keys).tolist() == expected
    wide = [(k * (2**60 if i == 0 else 1), bound * (2**60 if i == 0 else 1))
            for i, (k, bound) in enumerate(keys)]  # 5 x 2**60 x 3 x 7: beyond 63 bits
    called = []

    def lexsort(columns: list[np.ndarray]) -> np.ndarray:
        called.append(True)
        return numpy_lexsort(columns)

    numpy_lexsort = np.lexsort
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(np, "lexsort", lexsort)
        assert lexical_order(wide).tolist() == expected
    assert called == ([True] if rows else [])


@pytest.mark.parametrize("mission", ["baseline", "five-allies"])
def test_a_policys_selections_are_made_once_and_read_the_units_codes(mission: str) -> None:
    """A scope selected twice is the same read-only selection (share policies select every
    country's units in the same scope once per country), and the units based on a host's
    territory are the (country, pool) pairs basing.csv lists there, as a join of the texts
    finds them."""
    from planner.formulation.policy_rows import Context

    instance = pipeline.prepare(mission)
    model = build_model(instance)
    ctx = Context(instance, model.units, model.lp, model.unit_vars, model.unit_keys)
    every = ctx.select(None, None, None, instance.phases[0])
    assert ctx.select(None, None, None, instance.phases[0]) is every
    assert ctx.select(None, None, None, [instance.phases[0]]).mask.tolist() == every.mask.tolist()
    with pytest.raises(ValueError, match="read-only"):
        every.mask[0] = not every.mask[0]
    assert every.mask.tolist() == (model.units["phase"] == instance.phases[0]).tolist()
    basing = instance.capabilities.basing
    for host in sorted(set(basing["host"])):
        here = basing[basing["host"] == host]
        pairs = set(zip(here["country"], here["pool"], strict=True))
        expected = [pair in pairs for pair in zip(model.units["country"], model.units["pool"],
                                                  strict=True)]
        assert ctx.based_in(host).mask.tolist() == expected
        assert any(expected)


@functools.cache
def five_allies_model() -> tuple[Instance, PlanningModel]:
    """five-allies' instance and model, built once for the examples below."""
    instance = pipeline.prepare("five-allies")
    return instance, build_model(instance)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_selection_is_the_units_whose_keys_are_among_those_named(data: st.DataObject) -> None:
    """``select`` takes one key's positions, or narrows the selection of the scope without its
    last key by that key; it must pick exactly the units table's rows whose keys are
    among the names given (pandas' ``isin`` on the texts), for one name, several
    (repeated), names outside the tables, and keys left open."""
    from planner.formulation.policy_rows import Context

    instance, model = five_allies_model()
    units = model.units
    ctx = Context(instance, units, model.lp, model.unit_vars, model.unit_keys)
    scope = []
    expected = np.ones(len(units), dtype=bool)
    for column in ("country", "task", "region", "phase"):
        known = sorted(set(units[column]))
        kind = data.draw(st.sampled_from(["open", "one", "several"]), label=column)
        if kind == "open":
            scope.append(None)
            continue
        pick = st.sampled_from([*known, "not_in_the_tables"])
        value = (data.draw(pick) if kind == "one"
                 else data.draw(st.lists(pick, min_size=0, max_size=4)))
        scope.append(value)
        expected &= units[column].isin([value] if isinstance(value, str) else value).to_numpy()
    assert ctx.select(*scope).mask.tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 12),
                                   st.sampled_from([1.0, -1.0, 0.5, -0.0, 0.0, 0.1, 3.0, -2.5])),
                         max_size=8), min_size=1, max_size=4))
def test_a_total_adds_up_repeated_columns_as_pulp_does(totals: list[list[tuple[int, float]]]
                                                       ) -> None:
    """Totals added up (``Terms.merged``) hold each column once, where it first appears,
    with its coefficients added in order from zero: exactly PuLP's expression of the same
    terms (``affine``), signed zeros alike."""
    from planner.formulation.families import new_columns
    from planner.formulation.policy_rows import Terms, affine

    columns = np.array(new_columns([f"u{i}" for i in range(13)], ["Continuous"] * 13),
                       dtype=object)
    terms = [Terms(np.array([at for at, _ in total], dtype=np.int64),
                   np.array([c for _, c in total], dtype=float), columns.__getitem__)
             for total in totals]
    at, coefficient = sum(terms[1:], terms[0]).merged()
    by_pulp = affine((columns[a], c) for total in totals for a, c in total)
    assert [columns[a].name for a in at.tolist()] == [v.name for v in by_pulp]
    assert [np.copysign(1.0, c) * abs(c) for c in coefficient.tolist()] == list(by_pulp.values())
    assert [np.signbit(c) for c in coefficient.tolist()] == [
        np.signbit(c) for c in by_pulp.values()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e-9])),
                max_size=30))
def test_numbers_are_written_as_g_formats_them(numbers: list[float]) -> None:
    """The cover rows' sentences write each distinct number once (``written``): exactly
    as ``f"{x:g}"`` writes every one, zeros of either sign, infinities and NaN too."""
    from planner.formulation.model import written

    assert written(numbers) == [f"{x:g}" for x in numbers]


def test_the_demand_is_each_requirement_and_each_policy_cell_once() -> None:
    """``demand_keys`` is pandas' concat of the requirements and the cells policies ask for,
    without duplicates, in order; also where requirements repeat and a policy adds a cell
    (validation refuses a requirement given twice, but the build does not rely on it)."""
    from types import SimpleNamespace

    from planner.formulation.model import demand_keys

    def policy(*cells: tuple[str, str, str]) -> SimpleNamespace:
        return SimpleNamespace(demand_cells=lambda phases: list(cells))

    columns = ["task", "region", "phase"]
    required = pd.DataFrame([("a", "r", "p"), ("a", "r", "p"), ("c", "r", "p")],
                            columns=columns).astype("str")
    for policies in ([policy(("b", "r", "p"))], [], [policy(("a", "r", "p"))],
                     [policy(("b", "r", "p"), ("d", "r", "p"))]):
        for table in (required, required.iloc[1:], required.iloc[:0]):
            instance = SimpleNamespace(requirements=table, policies=policies, phases=["p"])
            asked = pd.DataFrame([c for p in policies for c in p.demand_cells(["p"])],
                                 columns=columns)
            expected = (pd.concat([table[columns], asked]).drop_duplicates()
                        .reset_index(drop=True))
            found = demand_keys(instance)  # type: ignore[arg-type]
            assert found.astype(object).values.tolist() == expected.astype(
                object).values.tolist()


def test_rows_placed_last_refuse_a_name_given_twice() -> None:
    """``add_rows_last`` refuses a name already a row's or given twice, as ``add`` does
    (PuLP refuses overlapping names): a multi-year model's fleet, crew and line rows come
    that way."""
    from planner.formulation.core import RowBlock

    model = build_model(pipeline.prepare("baseline"))
    row = next(iter(model.rows.values()))
    fresh = row._replace(name="extra[x]")
    block = RowBlock.of(["extra[x]", "extra[x]"], [0.0, 0.0], [1.0, 1.0],
                        [(np.array([0]), np.array([1.0]))] * 2)
    with pytest.raises(pulp.PulpError, match="overlapping constraint names: extra"):
        model.add_rows_last([fresh, fresh], block)
    with pytest.raises(pulp.PulpError, match="overlapping constraint names"):
        model.add_rows_last([row], RowBlock.of([row.name], [0.0], [1.0],
                                               [(np.array([0]), np.array([1.0]))]))
    assert model.tail is None


def test_columns_join_the_core_only_before_a_row_holds_one_beyond_it() -> None:
    """``add_core_columns`` moves the columns beyond the core up: it refuses once a row
    holds one of those by position (a core row's added entry, a row kept as arrays, the
    rows placed last), and otherwise adds arrays, not PuLP variables."""
    from planner.formulation.core import RowBlock

    model = build_model(pipeline.prepare("lead-nation"))
    size = model.core.size
    first = model.add_core_columns(["extra_a_", "extra_b_"], np.array([2.0, 0.0]),
                                   np.array([0, 1]))
    assert first == size and model.core.size == size + 2
    assert model.core.cost[-2:].tolist() == [2.0, 0.0] and model.core.integer[-1] == 1
    assert model.core_columns.known()[0].max() < size  # no PuLP variable made for them
    model.add_to_core_rows(np.array([0]), np.array([model.core.size]), np.array([1.0]),
                           float(model.core.row_upper[0]))  # a lead, beyond the core
    with pytest.raises(ValueError, match="before any row holds a column beyond it"):
        model.add_core_columns(["extra_c_"], np.zeros(1), np.zeros(1, dtype=int))
    other = build_model(pipeline.prepare("baseline"))
    other.add_rows_last([], RowBlock.empty())
    with pytest.raises(ValueError, match="before any row holds a column beyond it"):
        other.add_core_columns(["extra_c_"], np.zeros(1), np.zeros(1, dtype=int))
