"""Every refusal the mission reference lists is made by the loader, with exactly the listed
message, for the listed example; and every refusal the loader makes is declared (and so
listed): the reference and the checks cannot part."""

from __future__ import annotations

import ast
import re
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import docgen, pipeline
from planner.analyze import montecarlo
from planner.analyze.montecarlo import resolve_spreads
from planner.errors import REFUSALS, InputError, Refusal
from planner.inputs import load
from planner.scenario.instance import Instance

REPO = Path(__file__).resolve().parents[1]
BASE = {"name": "example", "description": "d", "phases": ["crisis"],
        "requirements": [{"task": "isr", "region": "japan", "phase": "crisis", "amount": 1}]}
# Required keys the examples leave out, filled in for each entry of these models.
FILL = {"Policy": {"name": "example", "sentence": "s.", "source": "test"},
        "Override": {"source": "test"}, "Spread": {"source": "test"},
        "Flag": {"description": "d", "source": "test"}}


def pattern(message: str) -> re.Pattern[str]:
    """The message with each placeholder matching any text."""
    parts = [re.escape(literal) + ("(.+)" if name else "")
             for literal, name, _, _ in string.Formatter().parse(message)]
    return re.compile("".join(parts))


def entries(refusal: Refusal) -> list[dict[str, Any]]:
    return [{**FILL.get(refusal.about, {}), **entry} for entry in refusal.example]


def mission_with(refusal: Refusal) -> dict[str, Any]:
    """The base mission with the refusal's example where its model belongs."""
    document = dict(BASE)
    about = refusal.about
    if about == "Mission":
        [entry] = refusal.example
        document |= entry
    elif about in ("Requirement", "Policy", "Override"):
        document[f"{about.lower()}s" if about != "Policy" else "policies"] = entries(refusal)
    elif about == "Spread":
        document["uncertainty"] = {"readiness": entries(refusal)}
    return document


# How to run each command that refuses what the loader accepts.
COMMANDS: dict[str, Any] = {"": lambda instance: None,
                            "planner analyze montecarlo": resolve_spreads}


def run(refusal: Refusal, path: Path, data: Path) -> None:
    instance: Instance = pipeline.prepare(path, data)
    COMMANDS[refusal.command](instance)


# The refusals without an example short enough to print: the bytes of a file they refuse.
BUILT = {load.TOO_LARGE: b"a: " + b"x" * load.MAX_YAML_BYTES,
         load.NOT_UTF8: "name: caf\u00e9\n".encode("latin-1")}


def test_only_the_built_refusals_have_no_example() -> None:
    assert [r for r in REFUSALS if not r.example] == list(BUILT)


@pytest.mark.parametrize("refusal", [r for r in REFUSALS if r.about == "YAML"],
                         ids=lambda r: r.message[:40])
def test_each_listed_yaml_refusal_is_made_with_its_message(refusal: Refusal,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "example.yaml"
    if refusal in BUILT:
        path.write_bytes(BUILT[refusal])
    else:
        [text] = refusal.example
        path.write_text(f"{text}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        pipeline.prepare(path, REPO / "capabilities")
    [problem] = caught.value.problems
    assert pattern(refusal.message).fullmatch(problem.message), problem
    assert problem.file == str(path)


@pytest.mark.parametrize("refusal", [r for r in REFUSALS if r.about != "YAML"],
                         ids=lambda r: r.message[:40])
def test_each_listed_refusal_is_made_with_its_message(refusal: Refusal, tmp_path: Path) -> None:
    data = REPO / "capabilities"
    if refusal.about == "Flag":
        data = Path(shutil.copytree(data, tmp_path / "capabilities"))
        standing = yaml.safe_load((data / "policies.yaml").read_text(encoding="utf-8"))
        [standing["flags"]["example"]] = entries(refusal)
        (data / "policies.yaml").write_text(yaml.safe_dump(standing, sort_keys=False),
                                            encoding="utf-8")
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(mission_with(refusal), sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        run(refusal, path, data)
    [problem] = caught.value.problems
    assert pattern(refusal.message).fullmatch(problem.message), problem
    if refusal.about == "Flag":
        assert problem.file.endswith("policies.yaml")
    else:
        assert problem.file == str(path)
    if refusal is not montecarlo.NO_SPREADS:  # about the whole file
        assert problem.row is not None  # located at the entry or key


def test_every_refusal_is_listed_in_a_section_of_the_reference() -> None:
    sections = {section.model.__name__ for section in docgen.mission_sections()} | {"YAML"}
    assert {r.about for r in REFUSALS} <= sections
    page = (REPO / "docs" / "reference" / "mission-files.md").read_text(encoding="utf-8")
    for refusal in REFUSALS:
        assert docgen.code(docgen.template(refusal.message)) in page, refusal.message


def test_one_message_is_one_refusal() -> None:
    messages = [r.message for r in REFUSALS]
    assert len(set(messages)) == len(messages)


@pytest.mark.parametrize("module", ["schema/mission.py", "schema/policy.py",
                                    *sorted(f"schema/policies/{p.name}" for p in (
                                        REPO / "planner" / "schema" / "policies").glob("*.py"))])
def test_validators_raise_only_declared_refusals(module: str) -> None:
    """A ``raise ValueError(...)`` written in a validator would be a refusal the reference
    does not list: declare it with ``refusal(...)`` and raise ``.error()``."""
    tree = ast.parse((REPO / "planner" / module).read_text(encoding="utf-8"))
    raised = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Raise)
              and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name)
              and node.exc.func.id == "ValueError"]
    assert raised == [], f"planner/{module} lines {raised}"
