"""`planner check-sources` as an analyst runs it: the shipped tables pass; each kind of broken
source is reported where it sits (file, row, column source), with exit code 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import REPO, run_planner

FACTS = REPO / "docs" / "public_facts.md"


def test_shipped_tables_and_missions_pass() -> None:
    result = run_planner("check-sources", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: ")
    assert "sourced rows in capabilities and missions" in result.stdout


def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the shipped tables and missions with one source changed."""
    for name in ("capabilities", "missions"):
        shutil.copytree(REPO / name, tmp_path / name)
    path = tmp_path / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path


KOR_ARMY_SOURCE = "public_facts §7.6 'ROK Defense Reform 2.0' [H]"


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    # a number neither cited nor marked an assumption (the row's citation removed)
    ("capabilities/KOR.csv", KOR_ARMY_SOURCE, "Army strength",
     "capabilities/KOR.csv, row 9, column source: army_division: 'Army strength: Army 365,000 "
     "(the 2022 target"),
    # a public_facts figure that is not there (a typo in the quoted name)
    ("capabilities/KOR.csv", KOR_ARMY_SOURCE, "public_facts §7.6 'ROK Defence Reform 2.0' [H]",
     "capabilities/KOR.csv, row 9, column source: army_division: cites §7 'ROK Defence Reform "
     "2.0', which docs/public_facts.md does not have"),
    # no confidence mark
    ("capabilities/KOR.csv", KOR_ARMY_SOURCE, "public_facts §7.6 'ROK Defense Reform 2.0'",
     "capabilities/KOR.csv, row 9, column source: army_division: 'public_facts §7.6 'ROK "
     "Defense Reform 2.0': Army 365,000 (the 2022 ...' cites a public figure without a "
     "confidence mark - add its tag"),
    # a public source cited directly without the year of its figure
    ("capabilities/AUS.csv", "[H] (undated page; year NOT FOUND)", "[H]",
     "capabilities/AUS.csv, row 2, column source: hobart_ddg: ''AUS destroyers' RAN Seapower"),
    # two GDP years
    ("capabilities/countries.csv", "; GDP year 2024 (consistent with SIPRI",
     "; GDP year 2025 (consistent with SIPRI",
     "capabilities/countries.csv, row 4, column source: KOR: GDP year 2025, while USA states "
     "2024 - use one GDP year for every country"),
    # a readiness below 1 with no word on where it comes from
    ("capabilities/USA.csv", "(readiness 0.5)", "",
     "capabilities/USA.csv, row 9, column source: shell_line_155mm: readiness 0.5 is not "
     "explained"),
    # a mission's requirement note with an untraced number
    ("missions/industrial-surge.yaml", "to refill US stocks (in the task's unit, thousand "
     "rounds a month)", "25 thousand rounds a month",
     "missions/industrial-surge.yaml, row 24, column source: munitions_supply in rear "
     "(peacetime 5, crisis 10, conflict 25): '25 thousand rounds a month' holds a number "
     "that is neither cited nor marked an assumption"),
])
def test_a_broken_source_is_located_and_exits_2(tmp_path: Path, file: str, old: str, new: str,
                                                expected: str) -> None:
    root = broken_copy(tmp_path, file, old, new)
    result = run_planner("check-sources", "--facts", str(FACTS), cwd=root)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert any(line.startswith(f"error: {expected}") for line in errors), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().endswith("problem(s) found.")


def test_a_missing_facts_file_is_a_located_error(tmp_path: Path) -> None:
    result = run_planner("check-sources", "--facts", str(tmp_path / "nowhere.md"), cwd=REPO)
    assert result.returncode == 2
    assert "nowhere.md: no public facts file here - give its path with --facts" in result.stderr
