"""Located input problems, gathered and reported all at once.

An analyst who edits a table should see every mistake in one run, each with the file, the
row and the column it sits in, and a hint for the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One mistake in the input, with its location."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = f"{', '.join(where)}: {self.message}"
        if self.hint:
            text += f" - {self.hint}"
        return text


@dataclass(frozen=True, eq=False)  # compared by identity: each is declared once
class Refusal:
    """One thing the mission loader refuses beyond what each key's type says, declared once
    beside the check that makes it: the check raises its message, the mission reference
    lists its rule and example (``planner.docgen``), and a test feeds the example to the
    loader and expects exactly this message, so the three cannot part."""

    about: str  # the model whose entries it concerns (a section of the reference), or YAML
    rule: str  # what is refused, in a plain sentence (Markdown)
    message: str  # the error, with {placeholders} filled in where it is raised
    # The smallest entries (of ``about``) refused this way; for YAML, the file's text.
    example: tuple[dict[str, Any] | str, ...]
    command: str = ""  # the one command that refuses it, where the loader itself does not

    def text(self, **values: Any) -> str:
        """The message with its placeholders filled in."""
        return self.message.format(**values)

    def error(self, **values: Any) -> ValueError:
        """The message as the error a pydantic validator raises."""
        return ValueError(self.text(**values))


REFUSALS: list[Refusal] = []  # every refusal declared, in the order of their modules


def refusal(about: str, rule: str, message: str, *example: dict[str, Any] | str,
            command: str = "") -> Refusal:
    """Declare a refusal (see ``Refusal``) and register it for the reference and the tests."""
    declared = Refusal(about, rule, message, example, command)
    REFUSALS.append(declared)
    return declared


UNKNOWN = refusal(
    "Mission", "A name the tables do not define: a task, region, phase or country, a flag "
    "(in `flags`, `when`, `unless` and `active_when` / `active_unless` too); the hint "
    "suggests the closest known name.",
    "unknown {kind} '{name}'", {"countries": ["JPM"]})


class InputError(Exception):
    """Bad input: carries every problem found, so the CLI can print them all."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SolverError(Exception):
    """The solver could not be run or returned no usable answer."""


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint for a misspelt identifier, or None."""
    match = difflib.get_close_matches(str(name), sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean {match[0]}?" if match else None


def unknown(kind: str, name: str, choices: Iterable[str]) -> tuple[str, str]:
    """Message and hint for a reference to something that does not exist."""
    choices = sorted(set(choices))
    hint = suggest(name, choices)
    if hint is None:
        shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
        kinds = f"{kind[:-1]}ies" if kind.endswith("y") else f"{kind}s"
        hint = f"known {kinds}: {shown}" if choices else f"no {kinds} are defined"
    return UNKNOWN.text(kind=kind, name=name), hint
