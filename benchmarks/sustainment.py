"""A sustainment model at scale: 90 daily periods, five allies, two stocks each, transfers
between every pair: build and solve time against HiGHS alone on the same matrix, and warm
re-solve throughput for sweeps (a changed opening stock per solve) against rebuilding.

    python -m benchmarks.sustainment                 # 90 periods, five allies
    python -m benchmarks.sustainment --days 10 --repeats 1 --sweep 5   # a quick check

The mission is built from the shipped tables (the conflict requirements of five-allies, split
into one period a day): every pool delivering air and missile defense fires 2 interceptors a
day, every pool on sea control 1 missile a day; each ally holds 100 of each, makes 50 a year,
and may ship to every other with a lead time of 7 days. The numbers are for the benchmark,
not a scenario. Prints a table and writes JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ALLIES = ["USA", "JPN", "KOR", "AUS", "PHL"]


def mission(days: int) -> dict[str, Any]:
    """The benchmark mission as a document: five-allies' conflict requirements, one period a
    day, stocks, uses and transfers."""
    from planner import pipeline

    five = pipeline.prepare("five-allies")
    caps = five.capabilities
    requirements = [{"task": r.task, "region": r.region, "phase": "conflict",
                     "amount": float(r.amount)}
                    for r in five.requirements.itertuples(index=False) if r.phase == "conflict"]
    deliveries = caps.deliveries
    uses = []
    for task, stock, rate in (("air_missile_defense", "interceptor", 2.0),
                              ("sea_control", "missile", 1.0)):
        for c, p in deliveries.loc[deliveries["task"] == task, ["country", "pool"]].itertuples(
                index=False):
            uses.append({"country": c, "pool": p, "task": task, "stock": stock,
                         "per_day": rate, "source": "benchmark"})
    stocks = [{"country": c, "stock": s, "opening": 100, "production": 50, "per": "year",
               "source": "benchmark"} for c in ALLIES for s in ("interceptor", "missile")]
    transfers = [{"name": f"{a.lower()}_{b.lower()}_{s}", "supplier": a, "recipient": b,
                  "stock": s, "lead_days": 7, "source": "benchmark"}
                 for a in ALLIES for b in ALLIES if a != b for s in ("interceptor", "missile")]
    return {"name": "sustainment_bench", "description": "benchmark", "countries": ALLIES,
            "phases": ["conflict"], "flags": dict(five.mission.flags),
            "periods": [{"phase": "conflict", "name": f"d{i + 1}", "days": 1}
                        for i in range(days)],
            "requirements": requirements, "stocks": stocks, "uses": uses,
            "transfers": transfers}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def run(days: int, repeats: int, sweep: int, folder: Path) -> dict[str, Any]:
    import highspy
    import yaml

    from planner import pipeline
    from planner.formulation.model import build_model
    from planner.solving.highs import HighsModel
    from planner.solving.solve import fast_model, solve_model

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sustainment-bench.yaml"
    path.write_text(yaml.safe_dump(mission(days), sort_keys=False), encoding="utf-8")
    instance = pipeline.prepare(path)
    build, solve, total, alone = [], [], [], []
    objective = None
    for _ in range(repeats):
        start = time.perf_counter()
        model = build_model(instance)
        built = time.perf_counter()
        solution = solve_model(model)
        done = time.perf_counter()
        build.append(built - start)
        solve.append(done - built)
        total.append(done - start)
        objective = solution.objective
        arrays = fast_model(model).arrays
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        again = HighsModel(arrays, "alone")  # the same matrix, handed over and solved cold
        start = time.perf_counter()
        again.run(objective_only=True)
        alone.append(time.perf_counter() - start)
    shape = {"columns": len(arrays.columns), "rows": len(arrays.rows),
             "nonzeros": len(arrays.value)}
    # Warm re-solves: a sweep over the opening stock of one ally's interceptors.
    fast = fast_model(build_model(instance))
    fast.run(objective_only=True)
    rows = fast.rows([f"balance[{c},interceptor,d1]" for c in ALLIES])
    rng = np.random.default_rng(7)
    start = time.perf_counter()
    for _ in range(sweep):
        opening = rng.uniform(0, 200, len(rows))
        fast.set_row_bounds(rows, opening, opening)
        fast.run(objective_only=True)
    warm = sweep / (time.perf_counter() - start)
    start = time.perf_counter()
    rebuilds = max(1, sweep // 10)
    for _ in range(rebuilds):
        solve_model(build_model(instance), duals_wanted=False)
    rebuild = rebuilds / (time.perf_counter() - start)
    return {
        "days": days, "allies": len(ALLIES), **shape, "objective": objective,
        "build_seconds": median(build), "solve_seconds": median(solve),
        "total_seconds": median(total), "highs_alone_seconds": median(alone),
        "total / highs alone": round(median(total) / median(alone), 2),
        "warm_resolves_per_second": round(warm, 2),
        "rebuilds_per_second": round(rebuild, 3),
        "warm / rebuild": round(warm / rebuild, 1),
        "python": platform.python_version(), "machine": platform.machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep", type=int, default=50, help="warm re-solves to time")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here")
    parser.add_argument("--work", type=Path, default=Path("plans/benchmark-sustainment"))
    args = parser.parse_args(argv)
    result = run(args.days, args.repeats, args.sweep, args.work)
    for key, value in result.items():
        print(f"{key:28} {value}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
