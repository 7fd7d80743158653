"""One measurement, run in a fresh interpreter so that its peak memory is its own.

    python -m benchmarks.measure KIND '{"json": "arguments"}'

prints one JSON line: seconds per step, the objective, the model's size, and memory
(``peak_mb``: the process's peak resident set, ``import_mb``: the peak after its imports,
before any data; for CBC, ``child_peak_mb``: the solver process's own peak). ``benchmarks.run``
calls it; it is not meant to be run by hand except to look at one number.
"""

from __future__ import annotations

import importlib
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Record = dict[str, Any]


def peak_mb() -> float:
    """This process's own peak resident memory: VmHWM, which starts afresh at exec (the
    ``ru_maxrss`` of a child process starts at its parent's size when it was forked)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measured(folder: Path, binary: str | None) -> tuple[str, Path, Path]:
    """A stand-in for a solver's binary (CBC's or CLP's) that runs it from a small process
    and records its peak memory (a solver forked straight from the Python process would
    count the process's own memory at the fork as its peak) and, as it starts, the memory
    of the process that called it: while the solver runs the two add up, and the caller
    does not grow meanwhile."""
    name = Path(str(binary)).name
    record, caller = folder / f"{name}_peak_kib", folder / f"{name}_caller_kib"
    script = folder / name
    if Path("/usr/bin/time").exists():  # GNU time: a millisecond, not an interpreter start
        script.write_text(f"#!/bin/sh\nawk '/^VmRSS:/ {{print $2}}' /proc/$PPID/status "
                          f'> "{caller}" 2>/dev/null\n'
                          f'exec /usr/bin/time -q -f %M -o "{record}" "{binary}" "$@"\n',
                          encoding="utf-8")
    else:
        script.write_text(
            f"#!{sys.executable}\nimport os, resource, subprocess, sys\n"
            "try:\n    status = open(f'/proc/{os.getppid()}/status').read().split('\\n')\n"
            f"    open({str(caller)!r}, 'w').write(next(line.split()[1] for line in status "
            "if line.startswith('VmRSS:')))\nexcept OSError:\n    pass\n"
            f"code = subprocess.call([{binary!r}, *sys.argv[1:]])\n"
            f"open({str(record)!r}, 'w').write(str(resource.getrusage("
            "resource.RUSAGE_CHILDREN).ru_maxrss))\nsys.exit(code)\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script), record, caller


def kib_to_mb(record: Path) -> float:
    """A number of KiB a stand-in recorded, in MB (0 when it recorded none)."""
    text = record.read_text().split() if record.exists() else []
    return int(text[-1]) / 1024 if text else 0.0


def together_mb(own_peak: float, caller_mb: float, child_mb: float) -> float:
    """The most a process and the solver it ran held at once: its own peak, or what it held
    as the solver started plus the solver's peak."""
    return max(own_peak, caller_mb + child_mb)


class Clock:
    """Named spans of wall time, and of this process's CPU time (``cpu``: what a busy
    machine disturbs less)."""

    def __init__(self) -> None:
        self.spans: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def time(self, name: str, action: Callable[[], Any]) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        result = action()
        self.spans[name] = self.spans.get(name, 0.0) + time.perf_counter() - started
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
        return result


def prepare(args: Record) -> Any:
    from planner import pipeline

    data = args.get("data")
    return pipeline.prepare(args["mission"], Path(data) if data else None)


def planner(args: Record) -> Record:
    """The planner's own path: load and apply the mission (reported apart), build the model,
    make its arrays and hand them to HiGHS (``to_highs``; only the arrays where CLP solves),
    solve (for CLP: the MPS file, CLP's run and the planner's proof), read the Plan's
    numbers back (``solve_model``). When the size calls for CLP, its process's peak memory
    is ``child_peak_mb``."""
    import tempfile

    import planner.solving.clp as clp
    import planner.solving.solve as solve
    from planner.formulation.model import build_model

    imported = peak_mb()
    clock = Clock()
    made: list[Any] = []
    model_arrays, in_name_order, clp_solve = solve.model_arrays, solve.in_name_order, clp.solve
    inside_clp: list[bool] = []

    def timed_arrays(*a: Any, **k: Any) -> Any:  # the model's arrays: "to_highs"
        arrays = clock.time("to_highs", lambda: model_arrays(*a, **k))
        made.append(arrays)
        return arrays

    def timed_handover(*a: Any, **k: Any) -> Any:  # their passing to HiGHS: "to_highs"
        if inside_clp:  # HiGHS taking over from CLP: part of CLP's "solve"
            return in_name_order(*a, **k)
        fast, at = clock.time("to_highs", lambda: in_name_order(*a, **k))
        run = fast.run
        fast.run = lambda *ra, **rk: clock.time("solve", lambda: run(*ra, **rk))
        return fast, at

    def timed_clp(*a: Any, **k: Any) -> Any:  # the MPS file, CLP, the proof: "solve"
        inside_clp.append(True)
        try:
            return clock.time("solve", lambda: clp_solve(*a, **k))
        finally:
            inside_clp.pop()

    solve.model_arrays = timed_arrays  # type: ignore[assignment]
    solve.in_name_order = timed_handover  # type: ignore[assignment]
    clp.solve = timed_clp  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        binary, record, caller = measured(Path(folder), clp.clp_path())
        clp.clp_path = lambda: binary  # type: ignore[assignment]
        instance = clock.time("load", lambda: prepare(args))
        model = clock.time("build", lambda: build_model(instance))
        solution = clock.time("solve_model", lambda: solve.solve_model(model))
        child, at_start = kib_to_mb(record), kib_to_mb(caller)
    spans = clock.spans
    spans["read_back"] = spans["solve_model"] - spans["to_highs"] - spans["solve"]
    arrays = made[0]
    own = peak_mb()
    return {"seconds": spans, "objective": solution.objective, "status": solution.status,
            "algorithm": solution.algorithm, "columns": len(arrays.columns),
            "rows": len(arrays.rows), "nonzeros": len(arrays.value), "import_mb": imported,
            "peak_mb": own, "child_peak_mb": child, "at_child_start_mb": at_start,
            "together_mb": together_mb(own, at_start, child)}


def arrays(args: Record) -> Record:
    """Save the planner's matrix (the arrays it passes to HiGHS) for HiGHS alone; say what
    options the planner gives HiGHS's simplex for it."""
    import numpy as np

    from planner.formulation.model import build_model
    from planner.solving.algorithm import simplex_options
    from planner.solving.solve import fast_model

    fast = fast_model(build_model(prepare(args)))
    a = fast.arrays
    np.savez(args["out"], cost=a.cost, col_lower=a.col_lower, col_upper=a.col_upper,
             row_lower=a.row_lower, row_upper=a.row_upper, start=a.start, index=a.index,
             value=a.value, integer=a.integer.astype(np.int32), offset=np.array(a.offset))
    return {"columns": len(a.columns), "rows": len(a.rows), "nonzeros": len(a.value),
            "options": simplex_options(a.value)}  # what the planner gives HiGHS's simplex


def load_arrays(path: str) -> dict[str, Any]:
    import numpy as np

    with np.load(path) as saved:
        return {k: saved[k] for k in saved.files}


def pass_model(highs: Any, a: dict[str, Any]) -> None:
    import highspy

    highs.passModel(len(a["cost"]), len(a["row_lower"]), len(a["value"]),
                    int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
                    float(a["offset"]), a["cost"], a["col_lower"], a["col_upper"],
                    a["row_lower"], a["row_upper"], a["start"], a["index"], a["value"],
                    a["integer"])


def highs(args: Record) -> Record:
    """HiGHS alone on the planner's matrix: passModel and run, nothing else; with
    ``"solver": "ipm"`` its interior point method (with crossover, as the planner runs it),
    with ``"options"`` those of HiGHS's options (the planner's tuned simplex)."""
    import highspy

    imported = peak_mb()
    a = load_arrays(args["arrays"])
    clock = Clock()
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    if args.get("solver"):
        solver.setOptionValue("solver", args["solver"])
        if args["solver"] == "ipm":
            solver.setOptionValue("run_crossover", "on")
    for name, value in args.get("options", {}).items():
        solver.setOptionValue(name, value)
    clock.time("to_highs", lambda: pass_model(solver, a))
    clock.time("solve", solver.run)
    return {"seconds": clock.spans, "objective": solver.getInfo().objective_function_value,
            "status": solver.modelStatusToString(solver.getModelStatus()),
            "import_mb": imported, "peak_mb": peak_mb()}


def clp(args: Record) -> Record:
    """CLP, the LP solver whose own binary the cbcbox wheel ships beside CBC's, on the
    planner's matrix: written as an MPS file by HiGHS (not timed), then ``clp FILE -solve``
    with its defaults, timed as a whole process (reading the file included, which favours
    HiGHS alone a little), its peak memory recorded."""
    import re
    import tempfile

    import highspy

    from planner.solving.clp import clp_path

    a = load_arrays(args["arrays"])
    with tempfile.TemporaryDirectory() as folder:
        mps, answer = Path(folder) / "model.mps", Path(folder) / "solution.txt"
        writer = highspy.Highs()
        writer.setOptionValue("output_flag", False)
        pass_model(writer, a)
        writer.writeModel(str(mps))
        del writer
        binary, record, _ = measured(Path(folder), clp_path())
        clock = Clock()
        clock.time("solve", lambda: subprocess.run(
            [binary, str(mps), "-solve", "-solution", str(answer), "-quit"],
            capture_output=True, check=False))
        first = answer.read_text().splitlines()[0] if answer.exists() else ""
        child = kib_to_mb(record)
    found = re.match(r"(\w+) - objective value\s*([-+0-9.eE]+)", first)
    offset = float(a["offset"])  # an MPS file holds no objective constant
    return {"seconds": {"to_highs": 0.0, **clock.spans},
            "objective": float(found.group(2)) + offset if found else None,
            "status": found.group(1) if found else "not solved", "peak_mb": child}


def peer(args: Record) -> Record:
    """The straightforward PuLP formulation (``benchmarks.peer``) solved by CBC."""
    import tempfile

    import pulp

    from benchmarks import peer as formulation
    from planner.solving.clp import cbc_path

    imported = peak_mb()
    clock = Clock()
    tables = clock.time("load", lambda: formulation.read(Path(args["data"]),
                                                         Path(args["mission"])))
    problem, _ = clock.time("build", lambda: formulation.build(tables))
    with tempfile.TemporaryDirectory() as folder:
        cbc, record, caller = measured(Path(folder), cbc_path())
        clock.time("solve", lambda: problem.solve(pulp.COIN_CMD(path=cbc, msg=False)))
        child, at_start = kib_to_mb(record), kib_to_mb(caller)
    own = peak_mb()
    return {"seconds": clock.spans, "objective": pulp.value(problem.objective),
            "status": pulp.LpStatus[problem.status], "import_mb": imported,
            "peak_mb": own, "child_peak_mb": child, "at_child_start_mb": at_start,
            "together_mb": together_mb(own, at_start, child)}


def plain(args: Record) -> Record:
    """The planner's model solved through PuLP's own HiGHS interface (``fast=False``)."""
    from planner.formulation.model import build_model
    from planner.solving.solve import solve_model

    imported = peak_mb()
    clock = Clock()
    instance = clock.time("load", lambda: prepare(args))
    model = clock.time("build", lambda: build_model(instance))
    solution = clock.time("solve", lambda: solve_model(model, fast=False))
    return {"seconds": clock.spans, "objective": solution.objective,
            "status": solution.status, "import_mb": imported, "peak_mb": peak_mb()}


def changes(instance: Any, count: int, seed: int) -> list[tuple[int, float]]:
    """The cases of a sweep, one per solve: a requirement (its cover row's right-hand side)
    set to between half and one and a half times its amount, the others at the mission's,
    as an analysis's cases each change the mission and put it back."""
    rng = random.Random(seed)
    amounts = instance.requirements["amount"].tolist()
    steps = []
    for _ in range(count):  # one pick and one factor per step: a prefix of a longer sweep
        i = rng.randrange(len(amounts))
        steps.append((i, amounts[i] * rng.uniform(0.5, 1.5)))
    return steps


def cover_rows(instance: Any) -> list[str]:
    from planner.formulation.model import label

    return [label("cover", t, r, h) for t, r, h in
            instance.requirements[["task", "region", "phase"]].itertuples(index=False)]


class Demand:
    """A sweep task as the analyses write them (``planner.analyze.sweep.Task``): the model
    prepared once and solved from the mission's basis for every case (``Prepared.run``),
    one requirement changed per case and put back, the outcome (cost per ally,
    shortfalls) read per case."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def prepare(self, instance: Any) -> Any:
        from planner.analyze.sweep import Prepared

        def setup() -> Any:
            prepared = Prepared.of(instance, start=True)
            return prepared, prepared.fast.rows(cover_rows(instance))

        return self.clock.time("setup", setup)

    def evaluate(self, state: Any, case: tuple[int, float]) -> Record:
        from planner.solving.highs import INF

        prepared, rows = state
        fast = prepared.fast
        row = rows[case[0]:case[0] + 1]
        fast.set_row_bounds(row, case[1], INF)
        try:
            return prepared.outcome(prepared.run())
        finally:
            fast.set_row_bounds(row, fast.arrays.row_lower[row], fast.arrays.row_upper[row])


def sweep_planner(args: Record) -> Record:
    """The analyses' sweep path: ``planner.analyze.sweep.sweep`` in this process with a
    task like theirs (``Demand``), the model's setup timed apart."""
    from planner.analyze.sweep import Execution, sweep

    clock = Clock()
    instance = clock.time("load", lambda: prepare(args))
    # The progress bar's module is imported once per command, by its first sweep (19 ms):
    # a cost of the command's serial part, not of each case, so imported before timing.
    clock.time("load", lambda: importlib.import_module("rich.progress"))
    steps = changes(instance, args["solves"], args["seed"])
    run = clock.time("sweep", lambda: sweep(instance, Demand(clock), steps, "cases",
                                            Execution(workers=1, progress=False)))
    clock.spans["sweep"] -= clock.spans["setup"]  # the model's setup, timed apart
    clock.cpu["sweep"] -= clock.cpu["setup"]
    objectives = [r["objective"] for r in run.records]
    return {"seconds": clock.spans, "cpu_seconds": clock.cpu, "solves": len(steps),
            "objectives": objectives}


def sweep_highspy(args: Record) -> Record:
    """Raw highspy on the same cases, warm from the last case's basis (no reset), reading
    the objective only: the limit a sweep can reach."""
    import highspy

    from planner.formulation.model import build_model
    from planner.solving.solve import fast_model

    clock = Clock()
    instance = prepare(args)
    a = fast_model(build_model(instance)).arrays
    at = {name: i for i, name in enumerate(a.rows)}
    rows = [at[name] for name in cover_rows(instance)]
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(len(a.columns), len(a.rows), len(a.value),
                     int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
                     a.offset, a.cost, a.col_lower, a.col_upper, a.row_lower, a.row_upper,
                     a.start, a.index, a.value, a.integer.astype("int32"))
    solver.run()
    steps = [(rows[i], amount) for i, amount in changes(instance, args["solves"], args["seed"])]
    optimal = highspy.HighsModelStatus.kOptimal
    objectives = []

    def loop() -> None:
        for row, amount in steps:
            solver.changeRowBounds(row, amount, highspy.kHighsInf)
            solver.run()
            objectives.append(solver.getObjectiveValue()
                              if solver.getModelStatus() == optimal else None)
            solver.changeRowBounds(row, float(a.row_lower[row]), float(a.row_upper[row]))

    clock.time("sweep", loop)
    return {"seconds": clock.spans, "cpu_seconds": clock.cpu, "solves": len(steps),
            "objectives": objectives}


def sweep_pulp(args: Record) -> Record:
    """The rebuild loop: per change, the mission's requirement changed, the model built
    again and solved through PuLP's HiGHS interface, as a script around PuLP does."""
    import dataclasses

    from planner.formulation.model import build_model
    from planner.solving.solve import solve_model

    clock = Clock()
    instance = prepare(args)
    steps = changes(instance, args["solves"], args["seed"])
    objectives = []

    def loop() -> None:
        for i, amount in steps:
            requirements = instance.requirements.copy()
            requirements.loc[i, "amount"] = amount
            changed = dataclasses.replace(instance, requirements=requirements)
            objectives.append(solve_model(build_model(changed), fast=False).objective)

    clock.time("sweep", loop)
    return {"seconds": clock.spans, "cpu_seconds": clock.cpu, "solves": len(steps),
            "objectives": objectives}


KINDS: dict[str, Callable[[Record], Record]] = {
    "planner": planner, "arrays": arrays, "highs": highs, "clp": clp, "peer": peer,
    "plain": plain,
    "sweep-planner": sweep_planner, "sweep-highspy": sweep_highspy, "sweep-pulp": sweep_pulp,
}


def main() -> None:
    kind, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(KINDS[kind](args)))


if __name__ == "__main__":
    main()
