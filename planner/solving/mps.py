"""An LP's arrays as a free-format MPS file for CLP's binary, written in bulk.

HiGHS's own writer took 0.94 s for the large benchmark theatre (1.6M nonzeros) and needs
the model passed to HiGHS first (0.2-0.4 s more, with the columns put in name order). Here
every line of the COLUMNS section is a fixed-width record of ASCII bytes made by numpy,
a block of them at a time in the same buffers (0.32-0.43 s on large in a fresh process,
43 MB against HiGHS's 78), the blanks that pad a number to the longest one's width left out
(free MPS reads fields apart by blanks).

Rows are named ``r`` and columns ``c`` followed by their zero-padded position in base 62
(digits, then capital and small letters: four for up to 14.8 million columns, where
decimal digits took six for a million; the large theatre's file 52 -> 43 MB), and the
objective ``obj``, so CLP's answers (its saved solution, in the file's order) are read by
position. Every column has a line for its cost, a zero one too, so none is missing from
the file (a column named nowhere in COLUMNS does not exist for CLP). The objective's
constant is not written (readers disagree on its sign): the caller adds it back. Numbers
are written as Python's shortest exact text, so they read back exactly, but for the lower
bound of a row bounded on both sides: MPS gives its upper bound and its width (RANGES),
from which a reader works the lower one out, to a rounding of the larger bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from planner.formulation.bulk import starts
from planner.solving.highs import Arrays

# COLUMNS lines made and written at a time (about 100 KB of records). In a fresh process on
# large, blocks of 262,144 lines (6.5 MB buffers, 12 MB writes) took 0.73-1.03 s to write
# the file, 0.47-0.73 of it system time; blocks of 4,096 took 0.32-0.43 s, 0.04-0.16 (three
# runs each, 2026-12-05): buffers that stay in the CPU's cache, and writes of a tenth of a MB
BLOCK = 1 << 12
BLANK, NEWLINE = ord(" "), ord("\n")
DIGITS = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                       dtype=np.uint8)  # a position's digits in names, base 62
FREE = 1e30  # infinity, for CLP's reader and HiGHS's (from 1e20)


def write(arrays: Arrays, path: Path) -> None:
    """The LP (not its integrality: CLP solves LPs) as a free MPS file at ``path``."""
    a = arrays
    n, m = len(a.cost), len(a.row_lower)
    column_width, row_width = digit_count(n), max(digit_count(m), 2)  # r + 2: obj's room
    # MPS lists a column's entries together: the matrix's entries by column (a stable sort:
    # within a column by row), each column's cost line before them
    by_column = np.argsort(a.index, kind="stable")
    row_of = a.row_of
    first = starts(np.bincount(a.index, minlength=n))
    # a model has a few thousand distinct numbers: each is written once as text (by
    # hashing, not sorting: pandas' factorize is 10 times faster than numpy's unique)
    cost_code, cost_number = pd.factorize(a.cost)
    value_code, value_number = pd.factorize(a.value)
    number_text, number_keep = padded([repr(float(v)) for v in (*cost_number,
                                                                 *value_number)])
    equal = np.isfinite(a.row_lower) & (a.row_lower == a.row_upper)
    kind = np.where(equal, "E", np.where(np.isfinite(a.row_upper), "L", "G"))
    lines_to = first[1:] + np.arange(1, n + 1)  # COLUMNS lines up to each column's last
    cuts = [0, *np.searchsorted(lines_to, np.arange(BLOCK, lines_to[-1] if n else 0, BLOCK),
                                side="right").tolist(), n]
    with open(path, "wb") as out:
        out.write(b"NAME model\nROWS\n N obj\n")
        out.write(records([b" ", kind.astype("S1").view(np.uint8).reshape(m, 1), b" r",
                           digits(np.arange(m), row_width)], m).tobytes())
        out.write(b"COLUMNS\n")
        before = np.concatenate([[0], lines_to])  # COLUMNS lines before column j
        most = max((int(before[high] - before[low]) for low, high in pairwise(cuts)), default=0)
        lines = ColumnLines(most, column_width, row_width, number_text, number_keep)
        for low, high in pairwise(cuts):
            if high <= low:
                continue
            # the block's lines: column j's cost line, then its entries, for low <= j < high
            entry = by_column[first[low]:first[high]]
            column = np.repeat(np.arange(low, high), np.diff(first[low:high + 1]) + 1)
            is_cost = np.zeros(len(column), dtype=bool)
            is_cost[first[low:high] - first[low] + np.arange(high - low)] = True
            row = np.full(len(column), -1, dtype=np.int64)
            row[~is_cost] = row_of[entry]
            which = np.empty(len(column), dtype=np.int64)
            which[is_cost] = cost_code[low:high]
            which[~is_cost] = value_code[entry] + len(cost_number)
            out.write(lines.block(column, row, which))
        write_rhs(out, a, kind, row_width)
        write_bounds(out, a, column_width)
        out.write(b"ENDATA\n")


class ColumnLines:
    """The COLUMNS section's lines, ``c<column> r<row> <number>`` (``obj`` for row -1, the
    cost), made block after block in the same buffers: arrays made afresh for each block
    cost the system more to map than numpy to fill (on large, 40,000 page faults and up to
    0.6 s of system time on a first write)."""

    def __init__(self, size: int, column_width: int, row_width: int, number_text: np.ndarray,
                 number_keep: np.ndarray) -> None:
        self.text, self.text_kept = number_text, number_keep
        self.column_at = slice(2, 2 + column_width)  # after " c"
        self.row_at = slice(3 + column_width, 4 + column_width + row_width)  # r and digits
        self.number_at = slice(self.row_at.stop + 1, self.row_at.stop + 1 + number_text.shape[1])
        width = self.number_at.stop + 1
        self.lines = np.full((size, width), BLANK, dtype=np.uint8)
        self.lines[:, 1] = ord("c")
        self.lines[:, -1] = NEWLINE
        self.keep = np.ones((size, width), dtype=bool)
        self.flat = np.empty(size * width, dtype=np.uint8)
        self.work = np.empty((2, size), dtype=np.int64)

    def block(self, column: np.ndarray, row: np.ndarray, which: np.ndarray) -> memoryview:
        """The lines of a block, as bytes to write (good until the next block)."""
        k = len(column)
        lines, keep, work = self.lines[:k], self.keep[:k], self.work[:, :k]
        put_digits(lines[:, self.column_at], column, work)
        rows = lines[:, self.row_at]
        rows[:, 0] = ord("r")
        put_digits(rows[:, 1:], np.maximum(row, 0), work)
        cost = row < 0
        rows[cost] = BLANK
        rows[cost, :3] = np.frombuffer(b"obj", dtype=np.uint8)
        np.take(self.text, which, axis=0, out=lines[:, self.number_at], mode="clip")
        # the blanks that pad a number to the longest one's width are left out
        np.take(self.text_kept, which, axis=0, out=keep[:, self.number_at], mode="clip")
        kept = int(np.count_nonzero(keep))
        np.compress(keep.ravel(), lines.ravel(), out=self.flat[:kept])
        return memoryview(self.flat[:kept])


def put_digits(into: np.ndarray, numbers: np.ndarray, work: np.ndarray) -> None:
    """Each number as zero-padded base-62 digits (``DIGITS``), written into a row of
    ``into`` (an array of bytes, one row per number), through two rows of ``work``."""
    rest, digit = work
    rest[:] = numbers
    base = len(DIGITS)
    for k in range(into.shape[1] - 1, -1, -1):
        np.remainder(rest, base, out=digit)
        np.take(DIGITS, digit, out=into[:, k])
        np.floor_divide(rest, base, out=rest)


def write_rhs(out: IO[bytes], a: Arrays, kind: np.ndarray, row_width: int) -> None:
    """RHS: the side a row's kind names; RANGES: the width of a row bounded on both sides
    (an L row: it runs from upper - width to upper)."""
    # a row without bounds is written >= -1e30, which CLP and HiGHS read as no bound (a
    # second N row, MPS's own free row, both readers drop: the rows would not match)
    side = np.where(kind == "G", np.maximum(a.row_lower, -FREE), a.row_upper)
    given = np.flatnonzero(side != 0)
    out.write(b"RHS\n")
    out.write(lines("rhs", "r", row_width, given, side[given]))
    ranged = np.flatnonzero(np.isfinite(a.row_lower) & np.isfinite(a.row_upper)
                            & (a.row_lower != a.row_upper))
    if len(ranged):
        out.write(b"RANGES\n")
        out.write(lines("rng", "r", row_width, ranged,
                        a.row_upper[ranged] - a.row_lower[ranged]))


def write_bounds(out: IO[bytes], a: Arrays, column_width: int) -> None:
    """BOUNDS where a column's differ from MPS's default of 0 to infinity. An upper bound
    comes before the lower one: some readers take a negative upper bound alone as a lower
    bound of minus infinity."""
    low, up = a.col_lower, a.col_upper
    fixed = np.isfinite(low) & (low == up)
    free = ~np.isfinite(low) & ~np.isfinite(up)
    upper = np.flatnonzero(~fixed & np.isfinite(up))
    lower = np.flatnonzero(~fixed & np.isfinite(low) & ((low != 0) | (up < 0)))
    minus = np.flatnonzero(~np.isfinite(low) & np.isfinite(up))
    out.write(b"BOUNDS\n")
    for mark, where, numbers in (("FX", np.flatnonzero(fixed), low), ("FR", np.flatnonzero(free),
                                 None), ("UP", upper, up), ("MI", minus, None),
                                 ("LO", lower, low)):
        out.write(lines(f"{mark} bnd", "c", column_width, where,
                        None if numbers is None else numbers[where]))


def lines(head: str, prefix: str, width: int, where: np.ndarray,
          numbers: np.ndarray | None) -> bytes:
    """`` <head> <prefix><position> [<number>]`` for each position given."""
    if not len(where):
        return b""
    parts: list[bytes | np.ndarray] = [f" {head} {prefix}".encode(),
                                       digits(where, width)]
    if numbers is None:
        return records(parts, len(where)).tobytes()
    code, distinct = pd.factorize(numbers)
    text, keep = padded([repr(float(v)) for v in distinct])
    made = records([*parts, b" ", text[code]], len(where))
    kept = np.ones(made.shape, dtype=bool)
    kept[:, -text.shape[1] - 1:-1] = keep[code]
    return made[kept].tobytes()


def records(parts: Sequence[bytes | np.ndarray], count: int) -> np.ndarray:
    """``count`` lines, each the parts side by side: a part is the same bytes on every line
    or an array of a row of bytes per line."""
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in parts]
    out = np.empty((count, sum(widths) + 1), dtype=np.uint8)
    at = 0
    for part, width in zip(parts, widths, strict=True):
        out[:, at:at + width] = (np.frombuffer(part, dtype=np.uint8)
                                 if isinstance(part, bytes) else part)
        at += width
    out[:, -1] = NEWLINE
    return out


def digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """Each number as ``width`` zero-padded base-62 digits, one row each."""
    out = np.empty((len(numbers), width), dtype=np.uint8)
    put_digits(out, numbers, np.empty((2, len(numbers)), dtype=np.int64))
    return out


def digit_count(count: int) -> int:
    """Base-62 digits of the largest position (at least one)."""
    largest, width = max(count - 1, 0), 1
    while largest >= len(DIGITS) ** width:
        width += 1
    return width


def padded(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Texts as a (len, width) array of ASCII bytes, blank-padded on the right, and where
    each text's own characters are."""
    width = max((len(t) for t in texts), default=1)
    joined = "".join(t.ljust(width) for t in texts).encode("ascii")
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    return (np.frombuffer(joined, dtype=np.uint8).reshape(len(texts), width),
            np.arange(width) < lengths[:, None])
