"""The MPS file the planner writes for CLP (``planner.solving.mps``) and the proof it makes
of CLP's answer (``planner.solving.clp.proved``): the file is the model, number for number,
for HiGHS's reader and CLP's; the proof accepts an optimum and refuses what is not one."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.solving import clp, mps
from planner.solving.highs import Arrays, HighsModel

INF = np.inf


def arrays(cost: list[float], col_lower: list[float], col_upper: list[float],
           rows: list[tuple[float, float, dict[int, float]]], offset: float = 0.0) -> Arrays:
    """An LP from its costs, column bounds and rows (lower, upper, {column: value})."""
    start, index, value = [0], [], []
    for _, _, entries in rows:
        index += list(entries)
        value += list(entries.values())
        start.append(len(index))
    return Arrays(
        columns=[f"x{j}" for j in range(len(cost))], rows=[f"y{i}" for i in range(len(rows))],
        cost=np.array(cost, dtype=float), col_lower=np.array(col_lower, dtype=float),
        col_upper=np.array(col_upper, dtype=float), integer=np.zeros(len(cost), dtype=np.uint8),
        row_lower=np.array([r[0] for r in rows], dtype=float),
        row_upper=np.array([r[1] for r in rows], dtype=float),
        start=np.array(start, dtype=np.int32), index=np.array(index, dtype=np.int32),
        value=np.array(value, dtype=float), offset=offset)


# every kind of row (=, <=, >=, ranged, free) and of bound MPS has (FX, FR, UP, MI, LO and
# a negative upper bound, which some readers take alone as a lower one of minus infinity),
# a column in no row with no cost, and numbers whose text is long (0.1 + 0.2) or tiny
EVERY_KIND = arrays(
    cost=[1.0, -2.0, 0.1 + 0.2, 1e-9, -3.5e12, 0.0, 4.0, 7.25],
    col_lower=[2.0, -INF, 0.0, -INF, 1.5, 0.0, -2.0, -5.0],
    col_upper=[2.0, INF, 5.0, -1.0, INF, INF, 3.0, -1.0],
    rows=[(2.0, 2.0, {0: 1.0, 1: 1.0}), (-INF, 4.0, {1: 2.5, 2: -1.0, 6: 1.0}),
          (1.0, INF, {2: 1.0, 3: -1.0}), (1.0, 3.0, {4: 1.0, 7: -1e-7}),
          (-INF, INF, {6: 1.0, 7: 1.0}), (0.0, 0.0, {1: 1.0, 2: 1.0, 3: 1.0})],
    offset=2.5)


def read_back(path: Path) -> highspy.HighsLp:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(path)) != highspy.HighsStatus.kError  # warns of empty rows
    return highs.getLp()


def assert_same_lp(lp: highspy.HighsLp, a: Arrays) -> None:
    """HiGHS's reading of the file is the arrays' LP exactly (the constant aside), but for
    the lower bound of a row bounded on both sides: MPS gives its upper bound and its width,
    from which a reader works the lower one out, to a rounding of the larger bound."""
    assert (lp.num_col_, lp.num_row_) == (len(a.cost), len(a.row_lower))
    for read, ours in ((lp.col_cost_, a.cost), (lp.col_lower_, a.col_lower),
                       (lp.col_upper_, a.col_upper), (lp.row_upper_, a.row_upper)):
        assert np.array_equal(np.asarray(read), ours)
    ranged = np.isfinite(a.row_lower) & np.isfinite(a.row_upper)
    lower = np.asarray(lp.row_lower_)
    assert np.array_equal(lower[~ranged], a.row_lower[~ranged])
    larger = np.maximum(np.abs(a.row_lower), np.abs(a.row_upper))[ranged]
    assert np.all(np.abs(lower[ranged] - a.row_lower[ranged]) <= 4e-16 * larger)
    matrix = lp.a_matrix_
    columns = np.repeat(np.arange(lp.num_col_), np.diff(np.asarray(matrix.start_)))
    rows = np.repeat(np.arange(len(a.row_lower)), np.diff(a.start))
    assert sorted(zip(columns.tolist(), np.asarray(matrix.index_).tolist(),
                      np.asarray(matrix.value_).tolist(), strict=True)) == sorted(
        zip(a.index.tolist(), rows.tolist(), a.value.tolist(), strict=True))


def test_every_kind_of_row_and_bound_reads_back_exactly(tmp_path: Path) -> None:
    mps.write(EVERY_KIND, tmp_path / "every.mps")
    assert_same_lp(read_back(tmp_path / "every.mps"), EVERY_KIND)


def test_lines_are_written_in_blocks_the_same_as_at_once(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A block boundary inside a column, or on one, changes nothing in the file."""
    mps.write(EVERY_KIND, tmp_path / "once.mps")
    for block in (1, 2, 3, 5):
        monkeypatch.setattr(mps, "BLOCK", block)
        mps.write(EVERY_KIND, tmp_path / "blocks.mps")
        assert (tmp_path / "blocks.mps").read_bytes() == (tmp_path / "once.mps").read_bytes()


numbers = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_lps_read_back_exactly(tmp_path_factory: pytest.TempPathFactory,
                                      data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 12))
    m = data.draw(st.integers(1, 9))
    bound = st.one_of(st.just(-INF), st.just(INF), numbers)
    lower = [data.draw(st.one_of(st.just(-INF), numbers)) for _ in range(n)]
    upper = [max(lo, data.draw(st.one_of(st.just(INF), numbers)))
             if np.isfinite(lo) else data.draw(st.one_of(st.just(INF), numbers))
             for lo in lower]
    rows = []
    for _ in range(m):
        low, high = sorted((data.draw(bound), data.draw(bound)))
        low, high = (-INF if low == INF else low), (INF if high == -INF else high)
        entries = data.draw(st.dictionaries(st.integers(0, n - 1), numbers.filter(
            lambda v: abs(v) >= 1e-6)))  # HiGHS's reader drops what is below 1e-9
        rows.append((low, high, dict(sorted(entries.items()))))
    a = arrays([data.draw(numbers) for _ in range(n)], lower, upper, rows)
    path = tmp_path_factory.mktemp("mps") / "random.mps"
    mps.write(a, path)
    assert_same_lp(read_back(path), a)


def test_clp_solves_every_kind_as_highs_does() -> None:
    """CLP on the written file and HiGHS on the arrays: the same optimum (the constant
    added back), and the planner's proof accepts CLP's answer."""
    highs = HighsModel(EVERY_KIND, "every kind").run()
    answer = clp.run(EVERY_KIND, "every kind")
    assert answer.optimal
    proved = clp.proved(EVERY_KIND, answer.solution)
    assert proved is not None and highs.status == "optimal"
    assert proved.objective == pytest.approx(highs.objective, rel=1e-9)
    assert proved.row_values.tolist() == pytest.approx(highs.row_values.tolist(), abs=1e-7)


def two_columns() -> Arrays:
    """min x + 2y + 1 subject to x + y >= 3: x = 3, y = 0, cost 4, the row's price 1."""
    return arrays([1.0, 2.0], [0.0, 0.0], [INF, INF], [(3.0, INF, {0: 1.0, 1: 1.0})], 1.0)


def answer(x: list[float], price: float | list[float]) -> clp.Saved:
    """An answer as CLP saves it (only values and row prices are read by the proof)."""
    prices = np.array(price if isinstance(price, list) else [price], dtype=float)
    return clp.Saved(np.zeros(len(prices)), prices, np.array(x, dtype=float),
                     np.zeros(len(x)))


def test_the_proof_accepts_the_optimum_and_refuses_what_is_not_one() -> None:
    a = two_columns()
    proved = clp.proved(a, answer([3.0, 0.0], 1.0))
    assert proved is not None and proved.status == "optimal"
    assert proved.objective == 4.0 and proved.row_values.tolist() == [3.0]
    assert proved.duals.tolist() == [1.0]
    assert clp.proved(a, answer([0.0, 3.0], 1.0)) is None  # feasible, costs 7: a gap of 3
    assert clp.proved(a, answer([2.9, 0.0], 1.0)) is None  # short of the row by 0.1
    assert clp.proved(a, answer([3.0, 0.0], 0.5)) is None  # a price that proves only 2.5
    assert clp.proved(a, answer([3.0, 0.0], -1.0)) is None  # a price on the side not there
    assert clp.proved(a, answer([3.0, -1e-3], 1.0)) is None  # below a column's bound
    assert clp.proved(a, None) is None
    # within the tolerances: a violation of 1e-9 and a price off by 1e-10 still prove it
    assert clp.proved(a, answer([3.0 - 1e-9, 0.0], 1.0 + 1e-10)) is not None
    for broken in ([np.nan, 0.0], [3.0, np.nan], [np.inf, 0.0]):  # not a number: no proof
        assert clp.proved(a, answer(broken, 1.0)) is None
    assert clp.proved(a, answer([3.0, 0.0], np.nan)) is None


def test_the_proof_refuses_an_unbounded_lp_whatever_the_size_of_its_numbers() -> None:
    """min 1e6 x0 + (1e6 - 0.1) x1 - 1e6 x2 with x0 + x1 - x2 = 1, x >= 0 is unbounded (x1
    and x2 grow together, each unit 0.1 cheaper): the answer x0 = 1 with the price 1e6 leaves
    x1 a reduced cost of -0.1 towards a bound it does not have. Rounding grows with the
    terms of a reduced cost, but 0.1 in 2e6 is no rounding: the proof refuses it."""
    a = arrays([1e6, 1e6 - 0.1, -1e6], [0.0] * 3, [INF] * 3,
               [(1.0, 1.0, {0: 1.0, 1: 1.0, 2: -1.0})])
    assert clp.proved(a, answer([1.0, 0.0, 0.0], 1e6)) is None
    assert HighsModel(a, "unbounded").run().status in ("unbounded", "infeasible")


def test_the_proof_accepts_clps_optima_under_far_bounds() -> None:
    """Columns capped at 1e11 (a big M): a reduced cost of rounding noise on a column inside
    its bounds must not be taken times that far bound. CLP's optima of 40 random LPs are all
    proved, at HiGHS's cost."""
    generator = np.random.default_rng(7)
    proved = 0
    for _ in range(40):
        rows = [(float(generator.uniform(1, 100)), INF,
                 {int(j): float(generator.uniform(0.1, 3.0))
                  for j in sorted(generator.choice(12, size=6, replace=False))})
                for _ in range(8)]
        a = arrays(list(generator.uniform(0.1, 30.0, size=12)), [0.0] * 12, [1e11] * 12, rows)
        done = clp.run(a, "far bounds")
        assert done.optimal
        result = clp.proved(a, done.solution)
        assert result is not None
        assert result.objective == pytest.approx(HighsModel(a, "far").run().objective, rel=1e-9)
        proved += 1
    assert proved == 40


def test_crossed_bounds_are_infeasible_without_asking_clp() -> None:
    """CLP refuses a file whose column's lower bound is above its upper one; the planner
    does not write it, and HiGHS says the LP is infeasible."""
    a = arrays([1.0], [2.0], [1.0], [(0.0, INF, {0: 1.0})])
    assert not clp.run(a, "crossed").optimal
    assert clp.solve(a, "crossed").result.status == "infeasible"


def test_positions_are_named_by_distinct_base_62_digits_of_the_fewest_width() -> None:
    """Names are ``c``/``r`` and a position's base-62 digits, zero-padded to the width the
    largest position needs: distinct for every position, one digit more at each power of
    62."""
    assert [mps.digit_count(n) for n in (0, 1, 62, 63, 62**2, 62**2 + 1)] == [1, 1, 1, 2, 2, 3]
    count = 62**2 + 5
    made = mps.digits(np.arange(count), mps.digit_count(count))
    assert made.shape == (count, 3)
    assert len({bytes(row) for row in made}) == count
    assert bytes(made[0]) == b"000" and bytes(made[61]) == b"00z" and bytes(made[62]) == b"010"
    assert set(made.ravel().tolist()) <= set(mps.DIGITS.tolist())
