"""The tables the reports print: rich tables whose text cells are read as markup once.

rich reads a text cell's markup every time it measures or draws it, and a table is measured
and drawn (a table with a folding column printed off a terminal is measured once more
first: ``render.Output``): on baseline's 2,800 cells, 9 ms of the 60 ms that printing a
plan took. ``Parsed`` reads
each cell as rich would with its default settings, which every console of the planner keeps
(markup and emoji codes read), when it is added.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text


class Parsed(Table):
    """A rich table that turns its text cells into ``Text`` as they are added."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*(parsed(cell) if isinstance(cell, str) else cell
                          for cell in renderables), **kwargs)


def parsed(cell: str) -> Text:
    """A text cell as rich would read it; one with neither markup (``[``) nor an emoji code
    (``:name:``), most of them numbers, needs no reading at all."""
    return Text(cell) if "[" not in cell and ":" not in cell else Text.from_markup(cell)


def titled(title: str, **kwargs: Any) -> Parsed:
    """A compact table: analysts read these in 80-column terminals."""
    return Parsed(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  **kwargs)
