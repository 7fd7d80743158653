"""Consoles that never let a file's text act on the terminal.

A mission description, a country name or a table cell can hold escape sequences that clear
the screen, move the cursor over a shortfall line or retitle the window. Every console the
commands print through carries a render hook that replaces control characters in the text
it is about to write (rich's own control codes, and its styles, are untouched): one place,
whatever the renderable (a line, a table, a panel).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.measure import Measurement
from rich.segment import Segment

from planner.errors import CONTROL

SHOWN_INSTEAD = "\ufffd"  # one column wide, like most of what it replaces


def clean(text: str) -> str:
    return "\n".join(CONTROL.sub(SHOWN_INSTEAD, line) for line in text.split("\n"))


class Sanitized:
    """A renderable whose text segments have their control characters replaced."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.inner)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control:
                yield segment
            else:
                yield Segment(clean(segment.text), segment.style)


class Sanitizer(RenderHook):
    def process_renderables(self, renderables: list[Any]) -> list[Any]:
        return [Sanitized(r) for r in renderables]


def console(stderr: bool = False, **options: Any) -> Console:
    """A console for a command's output (or its error stream) that shows text from files
    as text."""
    options.setdefault("highlight", False)
    made = Console(stderr=stderr, **options)
    made.push_render_hook(Sanitizer())
    return made


def lines(texts: Iterable[str]) -> list[str]:
    return [clean(t) for t in texts]
