"""Column names made when something reads them, not when the model is built.

A plain solve never reads the name of a units column: HiGHS and CLP take positions, the
plan reads values by position and the solver's column order comes from the keys' codes
(``solving.solve.name_order``). Yet making the names costs a string per column (a medium
theatre's 100,000: 17 ms, a large one's 750,000: 0.2 s and 60 MB). ``Names`` holds what
makes them instead (each key's codes and texts, as ``families.labels`` joins them) and
makes a name when it is asked for, or all of them at once, the same text either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from planner.formulation.bulk import objects

Block = tuple[list[tuple[np.ndarray, np.ndarray]], tuple[str, str, str]]


class Names(Sequence[str]):
    """A sequence of names: first ``keyed`` made from keys (``head``, then each key's text
    joined by ``between``, then ``tail``), block after block (a family's: the units
    columns, then the shortfalls), then the names of ``rest`` as given; seen through
    ``order`` (positions in that base) when one is given. Equal to any sequence of the same
    names."""

    def __init__(self, blocks: Sequence[Block] = (), rest: Sequence[str] = (),
                 order: np.ndarray | None = None) -> None:
        # each block: each key's (codes of every member, texts by code), and the joints
        self.blocks = list(blocks)
        sizes = [len(block[0][0][0]) for block in self.blocks]
        self.starts = np.cumsum([0, *sizes])  # where each block's names begin
        self.keyed = int(self.starts[-1])  # the names made from keys
        self.rest = list(rest)
        self.order = order
        self.listed: list[str] | None = None

    @classmethod
    def of(cls, names: Sequence[str]) -> Names:
        """Names already made (a list), as a ``Names``."""
        return names if isinstance(names, Names) else cls(rest=names)

    def __len__(self) -> int:
        return self.keyed + len(self.rest) if self.order is None else len(self.order)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if self.listed is not None:
            return self.listed[i]
        if isinstance(i, slice):
            return self.made(np.arange(*i.indices(len(self))))
        at = range(len(self))[i]  # an IndexError as a list gives it
        return self.made(np.array([at]))[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and self.tolist() == list(other)

    __hash__ = None  # type: ignore[assignment]  # a sequence that compares by content

    def __add__(self, other: Sequence[str]) -> list[str]:  # as a list adds: a list
        return [*self.tolist(), *other]

    def __radd__(self, other: Sequence[str]) -> list[str]:
        return [*other, *self.tolist()]

    def __repr__(self) -> str:
        return f"Names({len(self)} names)"

    def tolist(self) -> list[str]:
        """Every name, made once and kept."""
        if self.listed is None:
            self.listed = self.made(np.arange(len(self)))
        return self.listed

    def made(self, positions: Any) -> list[str]:
        """The names at these positions (negative ones from the end), made now."""
        positions = self.positions(positions)
        base = positions if self.order is None else self.order[positions]
        from_keys = base < self.keyed
        if from_keys.all():
            return self.joined(base)
        out = np.empty(len(base), dtype=object)
        out[~from_keys] = objects(self.rest)[base[~from_keys] - self.keyed]
        out[from_keys] = objects(self.joined(base[from_keys]))
        return out.tolist()

    def joined(self, base: np.ndarray) -> list[str]:
        """The names of these members made from keys, as ``families.labels`` makes them."""
        if len(self.blocks) == 1:
            return self.joined_in(0, base)
        block = np.searchsorted(self.starts, base, side="right") - 1
        out = np.empty(len(base), dtype=object)
        for b in np.unique(block).tolist():
            here = block == b
            out[here] = objects(self.joined_in(b, base[here] - self.starts[b]))
        return out.tolist()

    def joined_in(self, block: int, base: np.ndarray) -> list[str]:
        """The names of these members of one block (positions within it)."""
        parts, (head, between, tail) = self.blocks[block]
        texts = [text[codes[base]].tolist() for codes, text in parts]
        return [f"{head}{between.join(values)}{tail}" for values in zip(*texts, strict=True)]

    def positions(self, positions: Any) -> np.ndarray:
        """Positions as an array, negative ones counted from the end, as a list's."""
        positions = np.asarray(positions, dtype=np.int64)
        return np.where(positions < 0, positions + len(self), positions)

    def take(self, positions: Any) -> Names:
        """The names at these positions, in that order, still made only when read."""
        positions = self.positions(positions)
        if not self.blocks and self.order is None:  # names already made: taken at once
            return Names(rest=objects(self.rest)[positions].tolist())
        return Names(rest=self.rest, blocks=self.blocks,
                     order=positions if self.order is None else self.order[positions])

    def plus(self, more: Sequence[str]) -> Names:
        """These names followed by ``more`` (another family's names made from keys stay
        so, where these have none made already)."""
        if len(more) == 0:
            return self
        added = len(self.rest) + np.arange(len(more)) + self.keyed
        order = None if self.order is None else np.concatenate([self.order, added])
        if (isinstance(more, Names) and more.order is None and not more.rest
                and not self.rest):
            return Names(blocks=[*self.blocks, *more.blocks], order=order)
        return Names(rest=[*self.rest, *more], blocks=self.blocks, order=order)
