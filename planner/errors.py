"""Located input problems, gathered and reported all at once.

An analyst who edits a table should see every mistake in one run, each with the file, the
row and the column it sits in, and a hint for the fix.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# what a terminal would act on rather than show: C0 and C1 controls (escape sequences
# start with ESC or CSI), DEL, and the bidirectional overrides that reorder a line
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     r"\u202a-\u202e\u2066-\u2069]")


def visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep_newlines: bool = False) -> str:
    """Text from a file made safe to print: every control character shown as an escape
    (``\\x1b``) instead of acting on the terminal. Newlines kept only when asked."""
    if keep_newlines:
        return "\n".join(CONTROL.sub(visible, line) for line in str(text).split("\n"))
    return CONTROL.sub(visible, str(text))


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
        return printable(text)  # one line, whatever a cell or name holds


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


class ClusterError(Exception):
    """The workers of a sweep could not finish it (a cluster with no worker left, a lost
    scheduler, a chunk past its deadline, local processes that died). Its own exit code
    (3), so that a script tells it from bad input (2) and from a shortfall (1); the message
    says how many cases finished and where they are kept for ``--resume``."""


SIMILARITY = 0.7
"""The least similarity (difflib's ratio: twice the characters two names share in order,
over their total length) at which a name is offered as 'did you mean'. A typo keeps most
letters in place (sea_contrl and sea_control: 0.95, japn and japan: 0.89, aegis and
aegis_ddg: 0.71); two different names sharing a syllable do not (korea and rear: 0.67), and
a wrong suggestion sends the analyst the wrong way, so below it the hint lists the known
names instead. A short name is too short for a ratio (any one wrong letter of a country code
gives 0.67), so a name one typo away from a choice of three or more letters is offered too:
JNP gives JPN, JAP (two letters off) does not."""


def one_typo(name: str, choice: str) -> bool:
    """One letter added, dropped or changed, or two neighbours swapped."""
    if name == choice or abs(len(name) - len(choice)) > 1:
        return False
    if len(name) == len(choice):
        wrong = [i for i, (a, b) in enumerate(zip(name, choice, strict=True)) if a != b]
        return len(wrong) == 1 or (len(wrong) == 2 and wrong[1] == wrong[0] + 1
                                   and name[wrong[0]] == choice[wrong[1]]
                                   and name[wrong[1]] == choice[wrong[0]])
    short, long = sorted((name, choice), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint for a misspelt identifier, or None when nothing is close
    enough (every suggestion of the planner comes from here, by the rule of SIMILARITY)."""
    name = str(name)
    ordered = sorted(set(choices))
    match = difflib.get_close_matches(name, ordered, n=1, cutoff=SIMILARITY) or [
        c for c in ordered if len(c) >= 3 and one_typo(name, c)][:1]
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
