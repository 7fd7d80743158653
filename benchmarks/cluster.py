"""How a Monte Carlo scales with workers: this process, local processes and a local Dask
cluster with 1 and 2 workers (more where the machine has the CPUs).

    python -m benchmarks.cluster                         # 20,000 draws: a few minutes
    python -m benchmarks.cluster --draws 2000 --repeats 1 --folder /tmp/b   # a quick look

For each way of running, the sweep of ``planner analyze montecarlo readiness-uncertainty``
(the draws and the model exactly as the command makes them, and each finished chunk written
to an analysis folder as the command writes it unless --no-save) is timed as the median of
``--repeats`` runs, interleaved (one run of every way of a kind, then the next round), and
reports what a user's command pays: each run is a new Python process that does what the
command does (local worker processes started while the tables load, then the sweep, which
pays whatever of their start is left; a Dask client connected to the scheduler's address),
so no run inherits a started fork server, a pool or a client from another. A Dask
cluster runs only while it is measured (an idle one's scheduler, nannies and heartbeats
take CPU from whatever is measured beside it): each round starts it, readies its workers
with a short unmeasured run (the planner imported and the model prepared on each, as after
a user's first command on a cluster they keep), measures, and closes it. Dask is measured
twice: with its workers started as docs/cluster.md starts them (Dask's statistical profiler
off), and with Dask's defaults. The report gives:

- the sweep's wall time, the speed-up over one worker of the same kind and the parallel
  efficiency (speed-up / workers: 1.0 means each added worker adds a worker's worth);
- the CPU a case costs on the workers (their own clocks, preparing the model excluded)
  against the CPU it costs in this process;
- how busy the workers were: the share of the time the cases were out on them that each
  spent preparing the model or in chunks (the rest went to scheduling, to waiting for a
  first chunk, between chunks, for the last);
- the serial part of the command: loading the tables, drawing, and assembling and writing
  the outcome (the whole analysis minus its sweep), and the time to prepare the model.

It writes ``results.json`` to ``--folder`` (default: a folder in the system's temporary
directory). Every run must give the same records, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_FOLDER = Path(tempfile.gettempdir()) / "planner-benchmarks"
WARM_DRAWS = 200  # the unmeasured run that readies a new Dask cluster's workers
# Dask clusters measured: workers started as docs/cluster.md starts them, with Dask's
# statistical profiler off (it samples each worker's threads every 10 ms, which the
# planner's chunks do not need), and with Dask's defaults.
DASK_SETUPS: dict[str, dict[str, Any]] = {
    "dask": {"distributed.worker.profile.enabled": False},
    "dask, Dask's defaults": {},
}
Record = dict[str, Any]


def ways(cpus: int) -> list[tuple[str, int]]:
    counts = sorted({1, 2, *([cpus] if cpus > 2 else [])})
    return [("this process", 1)] + [(kind, n) for kind in ("local processes", "dask")
                                     for n in counts]


def montecarlo_sweep(instance: Any, draws: int, seed: int, where: str, workers: int,
                     scheduler: Any) -> tuple[Any, float]:
    """The Monte Carlo's sweep as ``planner.analyze.montecarlo`` runs it in a command that
    saves its analysis (the default): each finished chunk is written to the analysis
    folder as it arrives (``planner.analyze.keep``), by the process that feeds the workers.
    CPU seconds from the clock of each worker's thread (in this process, less the time
    spent writing chunks); the seconds it took to set up the cases."""
    import numpy as np

    from planner.analyze import montecarlo as mc
    from planner.analyze import sweep as sweeping
    from planner.analyze.keep import Keeper, fingerprint, round_trip

    begun = time.perf_counter()
    spreads, _ = mc.resolve_spreads(instance)
    drawn = mc.draw_readiness(spreads, draws, seed)
    tables = np.array([s.readiness for s in spreads], dtype=float)
    task = mc.Redraw(tuple((s.country, s.pool) for s in spreads), tuple(tables))
    cases = [(0, tables), *((i + 1, drawn[i]) for i in range(draws))]
    widened = mc.widened(instance, spreads)
    set_up = time.perf_counter() - begun
    records: list[Any] = [None] * len(cases)
    folder = tempfile.TemporaryDirectory()
    keeper = Keeper.start(Path(folder.name) / "mc", {"kind": "montecarlo"}, False, False)
    writing = [0.0]  # CPU seconds of this thread spent keeping chunks

    def place(positions: list[int], found: list[Any], text: str | None = None) -> None:
        begun = time.thread_time()
        if text is None:  # as sweeping.sweep keeps them
            found, text = round_trip(found)
        keeper.add(key, positions, found, text)
        for i, record in zip(positions, found, strict=True):
            records[i] = record
        writing[0] += time.thread_time() - begun

    started, command_cpu = time.perf_counter(), time.process_time()
    key = fingerprint([type(task).__name__, "Monte Carlo draws", cases])  # as sweep does
    if where == "this process":
        state = task.prepare(widened)
        prepared = time.perf_counter() - started
        cpu = time.thread_time()
        sweeping.in_process(state, task, cases, list(range(len(cases))), place, keeper)
        work = time.perf_counter() - started - prepared
        timing = {"work_seconds": work, "feed_seconds": work + prepared,
                  "prepare_seconds": prepared, "chunks": 1,
                  "cpu_seconds": time.thread_time() - cpu - writing[0]}
    elif where == "local processes":
        _, timing = sweeping.on_pool(widened, task, cases, list(range(len(cases))), place,
                                     workers, sweeping.Execution(progress=False))
    else:
        _, timing = sweeping.on_dask(widened, task, cases, list(range(len(cases))), place,
                                     sweeping.Execution(scheduler=scheduler, progress=False))
    seconds = time.perf_counter() - started
    command_cpu = time.process_time() - command_cpu
    folder.cleanup()
    for record in records:
        record.pop("solves", None)
    return {"records": records, "seconds": seconds, "keeping_cpu_seconds": writing[0],
            "command_cpu_seconds": command_cpu, **timing}, set_up


def one_run(where: str, workers: int, draws: int, seed: int, scheduler: str | None
            ) -> Record:
    """One way, in this (new) process, as the command runs it: local workers started
    before the planner's libraries are imported and the tables loaded, then the sweep
    timed. The records come back as a digest."""
    import hashlib

    from planner.analyze.distribute import local_workers

    least = 1 if where == "local processes" else 2  # a pool of one exists only here
    count = workers if where == "local processes" else None
    with local_workers(count, least=least):  # as the command: before its imports
        from planner import pipeline

        instance = pipeline.prepare("readiness-uncertainty", None)
        measured, set_up = montecarlo_sweep(instance, draws, seed, where, workers, scheduler)
    records = measured.pop("records")
    text = json.dumps(records, sort_keys=True, default=repr)
    return {**measured, "set_up": set_up,
            "records_sha256": hashlib.sha256(text.encode()).hexdigest()}


def run_apart(where: str, workers: int, draws: int, seed: int,
              scheduler: str | None = None) -> Record:
    """``one_run`` in a new Python process."""
    import subprocess

    command = [sys.executable, "-m", "benchmarks.cluster", "--one", where, str(workers),
               "--draws", str(draws), "--seed", str(seed)]
    if scheduler:
        command += ["--scheduler", scheduler]
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def whole_command(draws: int, seed: int) -> float:
    """The whole command in this process (load, draw, sweep, assemble, write), for the
    serial part."""
    import subprocess

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "planner", "analyze", "montecarlo",
                               "readiness-uncertainty", "--draws", str(draws), "--seed",
                               str(seed), "--workers", "1", "--out", "mc"], cwd=folder,
                              capture_output=True, text=True, check=False)
        took = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        facts = json.loads((Path(folder) / "mc" / "analysis.json").read_text())["facts"]
    return {"wall": took, "analysis": facts["wall_seconds"], "sweep": facts["seconds"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER,
                        help=f"where results.json is written (default: {DEFAULT_FOLDER})")
    parser.add_argument("--one", nargs=2, metavar=("WAY", "WORKERS"), help=argparse.SUPPRESS)
    parser.add_argument("--scheduler", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # one run, in a process of its own (run_apart)
        print(json.dumps(one_run(args.one[0], int(args.one[1]), args.draws, args.seed,
                                 args.scheduler)))
        return

    cpus = os.cpu_count() or 1
    plan = ways(cpus)
    runs: dict[str, list[Record]] = {}  # by way and workers, in the order measured
    reference: list[str] = []

    def measure(round_: int, kind: str, n: int, scheduler: str | None = None,
                label: str | None = None) -> None:
        measured = run_apart(kind, n, args.draws, args.seed, scheduler)
        digest = measured.pop("records_sha256")
        reference.append(reference[0] if reference else digest)
        label = label or kind
        if digest != reference[0]:
            raise SystemExit(f"{label} x{n} gave other records than this process")
        runs.setdefault(f"{label} x{n}", []).append({**measured, "load": os.getloadavg()[0]})
        print(f"round {round_ + 1}: {label} x{n}: {measured['seconds']:.2f} s "
              f"(load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)

    for round_ in range(args.repeats):
        for kind, n in plan:
            if kind != "dask":
                measure(round_, kind, n)
    dask_counts = [n for kind, n in plan if kind == "dask"]
    if dask_counts:
        import dask
        import distributed

        for round_ in range(args.repeats):
            for label, config in DASK_SETUPS.items():
                for n in dask_counts:  # one cluster at a time: an idle one takes CPU too
                    with dask.config.set(config), distributed.LocalCluster(
                            n_workers=n, threads_per_worker=1, processes=True,
                            dashboard_address=":0") as cluster:
                        # as after a user's first command: the planner imported and the
                        # model prepared on every worker
                        run_apart("dask", n, WARM_DRAWS, args.seed, cluster.scheduler_address)
                        measure(round_, "dask", n, cluster.scheduler_address, label)
    command = [whole_command(args.draws, args.seed) for _ in range(args.repeats)]

    cases = args.draws + 1
    median = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
              for name, rs in runs.items()}
    here = median["this process x1"]
    here_cpu = here["cpu_seconds"] / cases
    rows = []
    for name, m in median.items():
        kind, n = name.rsplit(" x", 1)
        one = median[f"{kind} x1"]
        speedup = one["seconds"] / m["seconds"]
        rows.append({"way": kind, "workers": int(n), "seconds": m["seconds"],
                     "speed_up": speedup, "efficiency": speedup / int(n),
                     "speed_up_over_this_process": here["seconds"] / m["seconds"],
                     "cpu_per_case_ms": 1000 * m["cpu_seconds"] / cases,
                     "cpu_per_case_vs_this_process": m["cpu_seconds"] / cases / here_cpu,
                     "prepare_seconds": m["prepare_seconds"], "chunks": m["chunks"],
                     # the share of the time the cases were out on the workers that each
                     # worker spent preparing the model or in chunks (the rest: scheduling,
                     # waiting for a first chunk, between chunks, for the last one)
                     "busy": (m["work_seconds"] + m["prepare_seconds"])
                     / (m["feed_seconds"] * int(n)),
                     "load_average": m["load"]})
    whole = {k: statistics.median(c[k] for c in command) for k in command[0]}
    report = {"draws": args.draws, "cpus": cpus, "repeats": args.repeats, "ways": rows,
              "command": {"wall_seconds": whole["wall"],
                          "analysis_seconds": whole["analysis"],
                          "sweep_seconds": whole["sweep"],
                          "serial_seconds": whole["wall"] - whole["sweep"]},
              "load_average": os.getloadavg()}
    print(f"Monte Carlo, {args.draws:,} draws (readiness-uncertainty), median of "
          f"{args.repeats}; {cpus} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'way':24}{'workers':>8}{'sweep s':>9}{'speed-up':>9}{'effic.':>8}"
          f"{'ms/case':>9}{'CPU x':>7}{'chunks':>8}{'busy':>6}{'load':>6}")
    for r in rows:
        print(f"{r['way']:24}{r['workers']:>8}{r['seconds']:>9.2f}{r['speed_up']:>9.2f}"
              f"{r['efficiency']:>8.2f}{r['cpu_per_case_ms']:>9.3f}"
              f"{r['cpu_per_case_vs_this_process']:>7.2f}{r['chunks']:>8.0f}{r['busy']:>6.2f}"
              f"{r['load_average']:>6.2f}")
    c = report["command"]
    print(f"The whole command here: {c['wall_seconds']:.2f} s, of which the sweep "
          f"{c['sweep_seconds']:.2f} s; serial part (start, load, draw, assemble, write) "
          f"{c['serial_seconds']:.2f} s.")
    print("speed-up and efficiency: against one worker of the same way; CPU x: a case's CPU "
          "on the workers over its CPU in this process (goal <= 1.1); busy: the share of the "
          "time the cases were out that each worker spent in chunks (the rest is scheduling "
          "and waiting); goal: efficiency >= 0.8 per added worker; dask: workers as "
          "docs/cluster.md starts them (Dask's profiler off); load: the machine's 1-minute "
          "load average after the runs (median).")
    args.folder.mkdir(parents=True, exist_ok=True)
    out = args.folder / "cluster.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
