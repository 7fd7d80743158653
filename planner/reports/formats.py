"""The output formats and, for each kind of output, its writers by format: the one registry.

``FORMATS`` lists every format the planner writes. Each kind of output (a plan, an
explanation, an analysis, the flags, the checks, the schema, a report document) offers some
of them in a ``Writers``, with the writer of each; a command's ``--format`` is checked
against it, its ``--help`` is made from it (``planner.cli.options.format_option``), and an
unknown format is a located error (exit 2), never a silent fallback. To offer a format for an
output, add its writer here; a new format is added to ``FORMATS`` first.

Heavy modules are imported inside the writers, so ``planner --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from planner.errors import InputError, Problem


@dataclass(frozen=True)
class Format:
    """One output format."""

    name: str
    what: str
    aliases: tuple[str, ...] = ()
    machine: bool = False  # standard output holds the data and nothing else: messages go to stderr
    any_case: bool = False  # also a file suffix: HTML and .Md are the same format

    def called(self, given: str) -> bool:
        names = (self.name, *self.aliases)
        return (given.lower() if self.any_case else given) in names


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("text", "tables and sentences for the terminal"),
    Format("json", "one JSON document on standard output, for scripts", machine=True),
    Format("csv", "one CSV table on standard output, for scripts", machine=True),
    Format("html", "a self-contained HTML file", any_case=True),
    Format("md", "Markdown, with its charts as SVG files beside it", ("markdown",),
           any_case=True),
)}

Writer = Callable[..., Any]  # (result, console, **options): writes the result in its format


@dataclass(frozen=True)
class Offer:
    """A format one kind of output offers: how ``--help`` describes it, and its writer."""

    format: Format
    note: str
    write: Writer


class Writers:
    """The formats one kind of output offers, the default first, each with its writer."""

    def __init__(self, *offers: tuple[str, str, Writer]) -> None:
        self.offers = [Offer(FORMATS[name], note, write) for name, note, write in offers]

    @property
    def names(self) -> list[str]:
        return [o.format.name for o in self.offers]

    def pick(self, given: str) -> Offer:
        """The offer named ``given`` (or one of its aliases); anything else is an input
        error at --format that lists what this output offers."""
        for offer in self.offers:
            if offer.format.called(given):
                return offer
        raise InputError([Problem("--format", f"unknown format '{given}'",
                                  hint=f"use {listed(self.names, 'or')}")])

    def help(self) -> str:
        """The --format help: each format with its note, the first as the default."""
        parts = []
        for i, offer in enumerate(self.offers):
            note = offer.note
            if i == 0:
                note = f"default: {note}" if note else "default"
            parts.append(f"{offer.format.name} ({note})" if note else offer.format.name)
        return listed(parts, "or", serial=True) + "."


def listed(items: list[str], last: str, serial: bool = False) -> str:
    """'a or b', 'a, b or c' (with ``serial``: 'a, b, or c')."""
    if len(items) < 3:
        return f" {last} ".join(items)
    comma = "," if serial else ""
    return f"{', '.join(items[:-1])}{comma} {last} {items[-1]}"


# --- the writers shared by every output --------------------------------------------------

def write_json(document: Any, console: Any = None, **_: Any) -> None:
    """A pydantic model, or plain data, as indented JSON: the whole of standard output."""
    if hasattr(document, "model_dump_json"):
        text = document.model_dump_json(indent=2)
    else:
        text = json.dumps(document, indent=2)
    sys.stdout.write(text + "\n")


def write_csv(frame: Any, console: Any = None, **_: Any) -> None:
    """A table as CSV on standard output, text that a spreadsheet would run made plain."""
    from planner.reports.output import csv_bytes

    sys.stdout.write(csv_bytes(frame).decode())


# --- the small outputs of commands, as the writers receive them -------------------------

@dataclass(frozen=True)
class LeverListing:
    """``planner flags``: each flag, where the flags are declared, the mission shown."""

    levers: list[Any]
    policies_file: str
    mission: str | None


@dataclass(frozen=True)
class Checks:
    """``planner validate``: every problem found, the tables (when they loaded) and the
    missions that passed."""

    problems: list[Problem]
    data: str
    missions: list[str]
    capabilities: Any


@dataclass(frozen=True)
class SchemaListing:
    """``planner schema``: the tables described, and the data folder their tasks come from."""

    tables: list[Any]
    root: Any


# --- each output's text writers ----------------------------------------------------------

def plan_text(plan: Any, console: Any, detail: bool = False, **_: Any) -> None:
    from planner.reports.render import print_plan

    print_plan(plan, console, detail=detail)


def explanation_text(explanation: Any, console: Any, limit: int | None = 12,
                     **_: Any) -> None:
    from planner.reports.render import print_explanation

    print_explanation(explanation, console, limit=limit)


def analysis_text(analysis: Any, console: Any, **_: Any) -> None:
    from planner.analyze.results import print_analysis

    print_analysis(analysis, console)


def analysis_json(analysis: Any, console: Any = None, **_: Any) -> None:
    write_json(analysis.to_json())


def levers_text(listing: Any, console: Any, **_: Any) -> None:
    from rich.console import Console

    from planner.scenario.levers import print_levers

    print_levers(listing.levers, listing.policies_file, listing.mission, Console(
        highlight=False))


def levers_json(listing: Any, console: Any = None, **_: Any) -> None:
    from planner.scenario.levers import levers_document

    write_json(levers_document(listing.levers, listing.policies_file, listing.mission))


def checks_text(checks: Any, console: Any, **_: Any) -> None:
    """The tables and missions checked: one OK line, or every problem (exit code 2)."""
    from planner.errors import printable

    if checks.problems:
        raise InputError(checks.problems)
    capabilities = checks.capabilities
    print(printable(f"OK: {checks.data} ({len(capabilities.countries)} countries, "
                    f"{len(capabilities.pools)} pools, {len(capabilities.tasks)} tasks, "
                    f"{len(capabilities.regions)} regions); missions: "
                    f"{', '.join(checks.missions)}"))


def checks_json(checks: Any, console: Any = None, **_: Any) -> None:
    """The problems as records; the exit code is the text's."""
    from dataclasses import asdict

    summary: dict[str, Any] = {"ok": not checks.problems, "data": checks.data,
                               "missions": checks.missions,
                               "problems": [asdict(p) for p in checks.problems]}
    capabilities = checks.capabilities
    if capabilities is not None:
        summary |= {"countries": len(capabilities.countries),
                    "pools": len(capabilities.pools),
                    "tasks": len(capabilities.tasks),
                    "regions": len(capabilities.regions)}
    write_json(summary)


def schema_text(listing: Any, console: Any, **_: Any) -> None:
    from planner.inputs.edit import print_schema
    from planner.reports.render import stdout

    print_schema(listing.tables, listing.root, stdout())


def schema_json(listing: Any, console: Any = None, **_: Any) -> None:
    from planner.inputs.edit import schema_document

    write_json(schema_document(listing.tables, listing.root))


def schema_csv(listing: Any, console: Any = None, **_: Any) -> None:
    from planner.inputs.edit import schema_rows

    write_csv(schema_rows(listing.tables))


def document_html(document: Any, kind: str, links: dict[str, str] | None = None,
                  **_: Any) -> str:
    """A report, comparison or analysis document as one self-contained HTML file."""
    from planner.reports.report import render

    return render(document, kind, "html", links)


def document_md(document: Any, kind: str, links: dict[str, str] | None = None,
                **_: Any) -> str:
    """The document as Markdown; its charts are the files that ``links`` names."""
    from planner.reports.report import render

    return render(document, kind, "md", links)


# --- what each output offers ---------------------------------------------------------------

PLAN = Writers(("text", "", plan_text), ("json", "the whole plan, for scripts", write_json))
EXPLANATION = Writers(("text", "", explanation_text),
                      ("json", "every part, for scripts", write_json))
ANALYSIS = Writers(("text", "", analysis_text),
                   ("json", "findings, facts and tables, for scripts", analysis_json))
LEVERS = Writers(("text", "", levers_text), ("json", "", levers_json))
CHECKS = Writers(("text", "", checks_text),
                 ("json", "problems as records on standard output, exit code as in text",
                  checks_json))
SCHEMA = Writers(("text", "", schema_text), ("json", "", schema_json),
                 ("csv", "a row per column", schema_csv))
DOCUMENT = Writers(("html", "a self-contained file", document_html),
                   ("md", "Markdown", document_md))
