"""Force development at ten years and five allies: build and solve against HiGHS alone, and a
sweep of pledge variations by warm re-solves.

    python -m benchmarks.force [--variations 100] [--fresh 5] [--out force.json]

The instance is the five-allies mission (all shipped pools of the five tables) with the force
section of force-development-2035 (2026-2035, every year an operating snapshot). It prints one
JSON document: the model's size; seconds to prepare the instance, build the model and solve
it through the planner (``solve_model``, which passes the arrays to HiGHS); seconds HiGHS
alone takes on the same arrays, from handing them to a new HiGHS (``passModel``) to its
answer, with its defaults (``highs_alone``) and with the options the planner chooses for
the matrix (its size and its entries' span); the ratios (the goal is 1.5 or less); and the
seconds of ``--variations`` warm re-solves (wall and CPU seconds: on a shared machine the
CPU seconds are the steadier reading), each scaling every budget row of Korea by a factor
from 0.5 to 1.5 (the objective only, as sweeps read it).

Each is measured twice. In this process, one after the other: HiGHS alone then runs second,
on memory the planner's solve made ready (a process's first solve of a model this size
takes 1-2 ms longer than the next). And as the first solve of a fresh process (``_fresh``:
the planner's build and solve, and HiGHS alone on the arrays saved to a file, in
``--fresh`` processes each, interleaved, their medians), as a user runs either.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def instance() -> Any:
    """five-allies with force-development-2035's force section."""
    from planner import pipeline
    from planner.inputs import paths
    from planner.scenario.instance import apply_mission
    from planner.schema.mission import Mission

    five = pipeline.prepare("five-allies")
    force = pipeline.read_mission(paths.mission_path("force-development-2035"),
                                  five.capabilities).force
    base = pipeline.read_mission(paths.mission_path("five-allies"), None)
    mission = Mission.model_validate({**base.model_dump(), "name": "force_five_allies",
                                      "force": force.model_dump() if force else None})
    from planner.checks.validate import load_capabilities

    return apply_mission(load_capabilities(paths.data_dir(None)), mission,
                         "five-allies + force-development-2035")


def measure(variations: int, fresh: int = 5) -> dict[str, Any]:
    from planner.formulation.model import build_model
    from planner.solving.algorithm import choose, decades
    from planner.solving.solve import in_name_order, solve_model

    spans: dict[str, tuple[float, float]] = {}

    def timed(name: str, step: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        out = step()
        spans[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return out

    prepared = timed("prepare", instance)
    model = timed("build", lambda: build_model(prepared))
    solution = timed("solve", lambda: solve_model(model))
    fast, _ = in_name_order(model)
    chosen = choose("auto", len(fast.arrays.value), fast.integer, span=decades(fast.arrays.value))
    for name, options in (("highs_alone", {}), ("highs_alone_planners_options", chosen.options)):
        result = timed(name, lambda options=options: handed_and_run(fast.arrays, options))
        assert result.optimal and abs(result.objective - solution.objective) < 1e-6 * max(
            1.0, abs(solution.objective))
    # fresh processes, interleaved: the planner's build and solve, HiGHS alone with its
    # defaults, with the planner's options; the medians of each
    runs: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(fresh):
        runs.setdefault("build_and_solve_fresh", []).append(in_fresh_process(["--planner"]))
        for name, options in (("highs_alone_fresh", {}),
                              ("highs_alone_planners_options_fresh", chosen.options)):
            runs.setdefault(name, []).append(alone_in_fresh_process(fast.arrays, options))
    for name, found in runs.items():
        for _, _, objective in found:
            assert abs(objective - solution.objective) < 1e-6 * max(1.0,
                                                                    abs(solution.objective))
        spans[name] = (float(np.median([r[0] for r in found])),
                       float(np.median([r[1] for r in found])))
    rows = fast.rows([n for n in fast.arrays.rows if n.startswith("budget[KOR,")])
    pledge = fast.arrays.row_upper[rows].copy()
    objectives: list[float] = []

    def sweep() -> None:
        for factor in np.linspace(0.5, 1.5, variations):
            fast.set_row_bounds(rows, -np.inf, pledge * factor)
            objectives.append(fast.run(objective_only=True).objective)

    timed("sweep", sweep)
    a = fast.arrays
    (build_s, build_cpu), (solve_s, solve_cpu) = spans["build"], spans["solve"]
    highs_s, highs_cpu = spans["highs_alone"]
    tuned_s, _ = spans["highs_alone_planners_options"]
    return {
        "mission": prepared.mission_file, "years": len(prepared.mission.force.years),
        "countries": len(prepared.capabilities.countries),
        "columns": len(a.columns), "rows": len(a.rows), "nonzeros": len(a.value),
        "objective": solution.objective,
        **{f"{name}_s": round(wall, 3) for name, (wall, _) in spans.items()},
        **{f"{name}_cpu_s": round(cpu, 3) for name, (_, cpu) in spans.items()},
        "build_and_solve_over_highs_alone": round((build_s + solve_s) / highs_s, 2),
        "build_and_solve_over_highs_alone_cpu": round((build_cpu + solve_cpu) / highs_cpu, 2),
        "planners_options": chosen.reason,
        "build_and_solve_over_highs_alone_planners_options": round(
            (build_s + solve_s) / tuned_s, 2),
        **({} if not fresh else {
            "build_and_solve_over_highs_alone_fresh": round(
                spans["build_and_solve_fresh"][0] / spans["highs_alone_fresh"][0], 2),
            "build_and_solve_over_highs_alone_fresh_cpu": round(
                spans["build_and_solve_fresh"][1] / spans["highs_alone_fresh"][1], 2),
            "build_and_solve_over_highs_alone_planners_options_fresh": round(
                spans["build_and_solve_fresh"][0]
                / spans["highs_alone_planners_options_fresh"][0], 2)}),
        "fresh_processes": fresh,
        "variations": variations,
        "sweep_s_per_variation": round(spans["sweep"][0] / variations, 4),
        "objective_range": [min(objectives), max(objectives)],
    }


NUMBERS = ("cost", "col_lower", "col_upper", "integer", "row_lower", "row_upper", "start",
           "index", "value")


def alone_in_fresh_process(arrays: Any, options: dict[str, Any]) -> tuple[float, float, float]:
    """Wall and CPU seconds of HiGHS's first solve of these arrays in a process of its own
    (``--alone``), with these options, and its objective."""
    with tempfile.TemporaryDirectory(prefix="force-bench-") as work:
        path = Path(work) / "arrays.npz"
        np.savez(path, offset=np.float64(arrays.offset),
                 **{k: getattr(arrays, k) for k in NUMBERS})
        return in_fresh_process(["--alone", str(path), "--options", json.dumps(options)])


def in_fresh_process(arguments: list[str]) -> tuple[float, float, float]:
    """Wall and CPU seconds this benchmark reports when run with these arguments in a
    process of its own, and the objective it reached."""
    run = subprocess.run([sys.executable, "-m", "benchmarks.force", *arguments],
                         capture_output=True, text=True, check=True)
    found = json.loads(run.stdout)
    return found["seconds"], found["cpu_seconds"], found["objective"]


def planner_once() -> dict[str, float]:
    """The instance prepared, then the planner's build and solve, timed together, as the
    first of the process (``--planner``)."""
    from planner.formulation.model import build_model
    from planner.solving.solve import solve_model

    prepared = instance()
    wall, cpu = time.perf_counter(), time.process_time()
    solution = solve_model(build_model(prepared))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert solution.objective is not None
    return {"seconds": wall, "cpu_seconds": cpu, "objective": solution.objective}


def handed_and_run(arrays: Any, options: dict[str, Any]) -> Any:
    """HiGHS alone: the arrays handed to a new HiGHS (``passModel``, which copies and checks
    them: 0.7 ms here), then solved with its defaults, or by the simplex with these
    options."""
    from planner.solving.highs import HighsModel

    alone = HighsModel(arrays, "alone")
    if options:  # else HiGHS's own choice, as it comes
        alone.use("simplex", options)
    return alone.run()


def solve_alone(path: Path, options: dict[str, Any]) -> dict[str, float]:
    """One solve by HiGHS of the arrays saved at ``path``, timed from handing them over."""
    from planner.solving.highs import Arrays

    saved = np.load(path)
    arrays = Arrays(columns=[f"c{i}" for i in range(len(saved["cost"]))],
                    rows=[f"r{i}" for i in range(len(saved["row_lower"]))],
                    offset=float(saved["offset"]), **{k: saved[k] for k in NUMBERS})
    wall, cpu = time.perf_counter(), time.process_time()
    result = handed_and_run(arrays, options)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.optimal and result.objective is not None
    return {"seconds": wall, "cpu_seconds": cpu, "objective": result.objective}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variations", type=int, default=100)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--fresh", type=int, default=5,
                        help="fresh processes for the planner and for HiGHS alone with each "
                        "option set (their medians; 0: none)")
    # the fresh processes' own runs
    parser.add_argument("--alone", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--planner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone or args.planner:
        print(json.dumps(solve_alone(args.alone, json.loads(args.options)) if args.alone
                         else planner_once()))
        return
    report = measure(args.variations, args.fresh)
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
