"""How fast the exercise page answers a move: from the request to the rendered fragment.

    python -m benchmarks.serve                       # 200 moves on each shipped mission below
    python -m benchmarks.serve --moves 20 --missions baseline

Each move is a team changing one of its pools (a random pool of a random ally, a random
quantity between none and one and a half times the mission's), posted as the page posts it
(form fields, CSRF token, htmx header) through Starlette's TestClient to the app
``planner serve`` runs, with the exercise saved to its folder after every move. The time
is measured around the whole request, so it holds validation, the warm re-solve, the Plan,
the save and the rendering of map, tables and log; the CPU time this process spent on it
is measured too, as a reading that a busy machine disturbs less. Four flag moves follow,
timed apart: each is a set of flags not played before, so each builds its model (a set
played again finds its model kept warm).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from planner.serve.app import create_app
from planner.serve.server import open_exercise

REPO = Path(__file__).resolve().parent.parent
MISSIONS = ["baseline", "taiwan-contingency", "five-allies", "lead-nation"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(mission: str, moves: int, seed: int, work: Path) -> dict[str, Any]:
    exercise = open_exercise(mission, REPO / "capabilities", work / mission)
    client = TestClient(create_app(exercise, ["testserver"]))
    token = re.search(r'name="csrf" value="([^"]+)"',
                      client.get("/facilitator").text).group(1)  # type: ignore[union-attr]
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    chosen = random.Random(seed)
    pools = [(c, p) for c in exercise.countries for p in exercise.pools_of(c)]
    times, cpu, solves = [], [], []
    for _ in range(moves):
        country, pool = chosen.choice(pools)
        base = exercise.pools[(country, pool)]["quantity"]
        quantity = round(chosen.uniform(0, 1.5 * base), 2)
        started, used = time.perf_counter(), time.process_time()
        answer = client.post("/move", headers=headers, data={
            "view": country, "kind": "pool", "pool": pool, "quantity": str(quantity)})
        times.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - used))
        assert answer.status_code == 200 and 'id="exercise"' in answer.text
        if exercise.last is not None and 'class="message ok"' in answer.text:
            solves.append(exercise.last.solve_ms)
    flags = []
    declared = exercise.capabilities.standing.flags
    for name in [n for n in ("gsomia", "japan_situation") if n in declared] * 2:
        values = declared[name].values
        current = exercise.flags()[name]
        setting = next(v for v in values if v != current)
        started = time.perf_counter()
        client.post("/move", headers=headers, data={
            "view": "facilitator", "kind": "flag", "flag": name, "setting": setting})
        flags.append(1000 * (time.perf_counter() - started))
    return {"mission": mission, "moves": moves, "played": len(solves),
            "p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
            "cpu_p50_ms": statistics.median(cpu), "cpu_p95_ms": percentile(cpu, 0.95),
            "solve_p50_ms": statistics.median(solves) if solves else None,
            "flag_moves_ms": flags}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--missions", default=",".join(MISSIONS))
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--out", type=Path, default=None, help="also write the results "
                        "as JSON here")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as work:
        for mission in args.missions.split(","):
            results.append(run(mission, args.moves, args.seed, Path(work)))
    print(f"{'mission':<20} {'moves':>5} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} "
          f"{'cpu p95':>8} {'solve p50':>10}  flag moves ms (each a new model)")
    for r in results:
        solve = "-" if r["solve_p50_ms"] is None else f"{r['solve_p50_ms']:.1f}"
        print(f"{r['mission']:<20} {r['moves']:>5} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
              f"{r['cpu_p50_ms']:>8.1f} {r['cpu_p95_ms']:>8.1f} {solve:>10}  "
              + ", ".join(f"{t:.0f}" for t in r["flag_moves_ms"]))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times "
          "grow with the load, CPU times (this process) much less")
    if args.out:
        args.out.write_text(json.dumps({"results": results}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
