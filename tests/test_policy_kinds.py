"""The policy kinds as classes (issue 15): the registry is the only list of kinds, an
unknown kind is a located error, and the schema layer imports no PuLP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from planner import pipeline
from planner.errors import InputError
from planner.schema.policies.base import Policy
from planner.schema.policies.registry import KINDS, PolicyKind, make_policy

from .conftest import write_mission

REPO = Path(__file__).resolve().parents[1]


def test_the_mission_schema_imports_no_pulp_and_no_pandas() -> None:
    """The schema layer is pure pydantic: loading it leaves PuLP (and pandas) unloaded, so
    the kinds build their rows only through the formulation's context."""
    code = ("import sys, planner.schema.mission, planner.schema.policy; "
            "print(sorted(m for m in ('pulp', 'pandas', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"


def test_every_module_of_the_package_that_defines_a_kind_is_registered() -> None:
    found = {path.stem for path in (REPO / "planner" / "schema" / "policies").glob("*.py")}
    assert set(KINDS) == found - {"__init__", "base", "registry", "share"}
    assert list(KINDS) == list(PolicyKind.__args__)
    assert all(issubclass(model, Policy) for model in KINDS.values())


def test_an_unknown_kind_is_a_located_error_not_a_share_row(tmp_path: Path) -> None:
    mission = write_mission(
        tmp_path / "m.yaml", name="m", phases=["crisis"],
        requirements=[{"task": "isr", "region": "japan", "phase": "crisis", "amount": 1}],
        policies=[{"name": "odd", "kind": "share_cep", "country": "JPN", "task": "isr",
                   "value": 0.5, "sentence": "s.", "source": "test"}])
    with pytest.raises(InputError) as caught:
        pipeline.prepare(mission, REPO / "capabilities")
    [problem] = caught.value.problems
    assert problem.message == "unknown policy kind 'share_cep'"
    assert "share_cap" in (problem.hint or "")
    assert problem.row is not None


def test_a_key_at_the_default_of_the_kind_that_owns_it_is_accepted_as_before() -> None:
    """Before the kinds were classes every policy had every key; a file that writes a key
    of another kind at its default (``of: delivered`` on a forbid) still loads."""
    policy = make_policy(name="p", kind="forbid", country="JPN", of="delivered",
                         partner=None, sentence="s.", source="test")
    assert policy.kind == "forbid" and "of" not in policy.model_dump()


def test_every_kind_has_its_own_test_module_with_a_golden_case() -> None:
    from tests.test_formulation_golden import CASES

    for kind in KINDS:
        path = REPO / "tests" / "policies" / f"test_{kind}.py"
        assert path.is_file(), f"add {path.relative_to(REPO)} (see docs/development.md)"
        assert any(p["kind"] == kind for case in CASES.values()
                   for p in case.get("policies", [])), kind
