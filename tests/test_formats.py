"""One registry of output formats: every --format is checked against the writers its output
offers, and an unknown one is a located error, never another format."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from planner.cli.main import app
from planner.errors import InputError
from planner.reports import formats, report


def commands_with_format() -> list[list[str]]:
    """Every command (and analysis kind) that has a --format option, as its words."""
    import typer.main

    found = []
    root = typer.main.get_command(app)
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        inner = getattr(command, "commands", None)
        for sub, leaf in (inner or {None: command}).items():
            if any("--format" in getattr(p, "opts", ()) for p in leaf.params):
                found.append([name] + ([sub] if sub else []))
    return found


def test_every_command_offers_its_formats_from_the_registry() -> None:
    every = commands_with_format()
    assert ["solve"] in every and ["report"] in every and ["analyze", "pareto"] in every
    assert len(every) >= 12, every


@pytest.mark.parametrize("words", commands_with_format(), ids=" ".join)
def test_an_unknown_format_is_a_located_error(words: list[str]) -> None:
    extra = ["a", "b"] if words == ["compare"] else []
    result = CliRunner().invoke(app, [*words, *extra, "--format", "pdf2"])
    assert result.exit_code == 2, result.output
    assert "error: --format: unknown format 'pdf2' - use " in result.output
    assert "Traceback" not in result.output


def test_a_document_format_without_a_template_is_refused_not_markdown() -> None:
    document = report.Document("t", [], {})
    with pytest.raises(InputError, match="unknown format 'pdf'"):
        report.render(document, "report", "pdf")
    with pytest.raises(InputError, match="use html or md"):
        formats.DOCUMENT.pick("docx")


def test_names_aliases_and_help() -> None:
    assert formats.DOCUMENT.pick("Markdown").format.name == "md"  # a file suffix: any case
    assert formats.DOCUMENT.pick("HTML").format.name == "html"
    with pytest.raises(InputError):
        formats.PLAN.pick("JSON")  # a stream format is named exactly, as before
    assert formats.SCHEMA.help() == "text (default), json, or csv (a row per column)."
    assert formats.DOCUMENT.help() == "html (default: a self-contained file) or md (Markdown)."
    assert formats.PLAN.pick("json").format.machine
    assert set(formats.FORMATS) >= {"text", "json", "csv", "html", "md"}
