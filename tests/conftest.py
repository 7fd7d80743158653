"""Shared fixtures: tiny hand-built data folders and missions, written as a user would."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
POOL_HEAD = ["pool", "description", "quantity", "readiness", "cost_per_unit", "regions"]


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> None:
    header = header or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_tiny(root: Path, countries: dict[str, tuple[float, float]], tasks: list[str],
               regions: list[str], phases: list[str],
               pools: dict[str, list[dict[str, Any]]],
               homes: dict[str, str] | None = None) -> Path:
    """A capability folder: countries {code: (gdp, budget)}, pools {code: [rows]}, home
    regions {code: region}."""
    root.mkdir(parents=True, exist_ok=True)
    write_csv(root / "countries.csv", [
        {"country": c, "name": f"Country {c}", "gdp_usd_bn": g, "defense_budget_usd_bn": b,
         "home_region": (homes or {}).get(c, ""), "source": "test"}
        for c, (g, b) in countries.items()])
    write_csv(root / "tasks.csv", [{"task": t, "unit": "units", "per": "level",
                                    "description": t, "source": "test"} for t in tasks])
    write_csv(root / "regions.csv", [{"region": r, "description": r, "source": "test"}
                                     for r in regions])
    write_csv(root / "phases.csv", [{"phase": p, "description": p, "source": "test"}
                                    for p in phases])
    for code, rows in pools.items():
        extra = sorted({k for r in rows for k in r} - set(POOL_HEAD) - {"source"})
        write_csv(root / f"{code}.csv",
                  [{"description": r["pool"], "source": "test", **r} for r in rows],
                  [*POOL_HEAD, *extra, "source"])
    return root


def write_mission(path: Path, **document: Any) -> Path:
    document.setdefault("description", "test mission")
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def run_planner(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the planner as a user does: the console script of this environment."""
    script = Path(sys.executable).with_name("planner")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "planner"]
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped capability tables, safe to break."""
    return Path(shutil.copytree(REPO / "capabilities", tmp_path / "capabilities"))
