"""Record every shipped mission's objective, allocations, duals and country costs.

The recorded files are what ``tests/test_recorded.py`` holds the model to: a restructuring
must leave them unchanged; a deliberate change of the model or the data re-records them
(``python -m tests.recorded.record``) in the same commit and says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from planner import api

HERE = Path(__file__).parent
MISSIONS = sorted(p.stem for p in (HERE.parents[1] / "missions").glob("*.yaml"))


def digits(value: float | None) -> float | None:
    """Rounded to what a solver reproduces across machines (1e-6 relative)."""
    return None if value is None else float(f"{value:.9g}")


def record(mission: str) -> dict:
    """What a plan of the mission must keep: objective, allocations, duals, country costs."""
    plan = api.solve(mission)
    allocations = plan.allocations
    keys = ["country", "pool", "task", "region", "phase"]
    duals = plan.duals
    return {
        "mission": mission,
        "status": plan.status,
        "objective": digits(plan.objective),
        "allocations": sorted(
            [*(str(v) for v in row[keys]), digits(float(row["units"]))]
            for _, row in allocations.iterrows() if abs(float(row["units"])) > 1e-9),
        "duals": sorted([str(row["name"]), digits(None if row["dual"] != row["dual"]
                                                  else float(row["dual"]))]
                        for _, row in duals.iterrows()),
        "countries": sorted([str(row["country"]), digits(float(row["cost"]))]
                            for _, row in plan.countries.iterrows()),
    }


def main(names: list[str]) -> None:
    for mission in names or MISSIONS:
        path = HERE / f"{mission}.json"
        recorded = record(mission)
        lines = [f" {json.dumps(key)}: " + (
            "[\n" + ",\n".join(f"  {json.dumps(item)}" for item in value) + "\n ]"
            if isinstance(value, list) else json.dumps(value)) for key, value in recorded.items()]
        path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
