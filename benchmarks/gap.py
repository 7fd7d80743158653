"""Generalised assignment through the planner's lead nations, against the same instances
written directly for HiGHS.

A generalised assignment instance has agents with capacities and jobs, each job to be done
by exactly one agent; job j uses ``weight[i][j]`` of agent i's capacity and costs
``cost[i][j]`` there. Written in the planner's own files (``write_instance``):

- each agent is a country with one pool, ``capacity``, of ``quantity`` = its capacity,
  readiness 1, serving the one region ``theatre``;
- each job is a task ``job_NNN`` required in ``theatre`` with amount 1 (one phase); agent
  i's pool delivers ``1 / weight[i][j]`` of it per unit, so doing the job takes
  ``weight[i][j]`` units, and its ``job_NNN_cost`` is ``cost[i][j] / weight[i][j]`` per unit;
- one ``lead_nation`` policy over every job: exactly one agent leads each job and only the
  lead delivers it. The shortfall penalty (``PENALTY``) is above any job's cost, so a plan
  that leaves a job short is never cheaper than one that does it.

The same instance written directly (``direct_arrays``) has a binary ``x[i][j]`` per agent
and job, ``sum_i x[i][j] = 1`` and ``sum_j weight[i][j] x[i][j] <= capacity[i]``. Both are
solved by HiGHS with the same MIP gap options; the planner is timed from reading its files
to the solution, the direct model from building its arrays to the solution.

    python -m benchmarks.gap                       # the family of issue 14, ~1 minute
    python -m benchmarks.gap --agents 3 --jobs 8   # one small instance
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import yaml

from benchmarks.generate import ASSUMPTION, country_codes, write_csv

SEED = 20261203
PENALTY = 10_000.0  # per job left undone; above any job's cost (at most 50)
FAMILY = [(5, 20), (5, 30), (8, 40), (10, 50)]  # (agents, jobs)


@dataclass(frozen=True)
class Instance:
    """A generalised assignment instance (Chu and Beasley's type C: weights 5-25, costs
    10-50, each capacity 80% of the agent's share of the total weight)."""

    weight: list[list[int]]  # [agent][job]
    cost: list[list[int]]
    capacity: list[int]

    @property
    def agents(self) -> int:
        return len(self.capacity)

    @property
    def jobs(self) -> int:
        return len(self.weight[0])


def instance(agents: int, jobs: int, seed: int = SEED) -> Instance:
    rng = random.Random(f"{seed}-{agents}-{jobs}")
    weight = [[rng.randint(5, 25) for _ in range(jobs)] for _ in range(agents)]
    cost = [[rng.randint(10, 50) for _ in range(jobs)] for _ in range(agents)]
    capacity = [int(0.8 * sum(row) / agents) for row in weight]
    return Instance(weight, cost, capacity)


def write_instance(gap: Instance, out: Path) -> Path:
    """The instance as capability tables and a mission; returns the mission's path."""
    data = out / "capabilities"
    data.mkdir(parents=True, exist_ok=True)
    codes = country_codes(gap.agents)
    jobs = [f"job_{j:03d}" for j in range(gap.jobs)]
    write_csv(data / "countries.csv",
              ["country", "name", "gdp_usd_bn", "defense_budget_usd_bn", "home_region",
               "source"],
              [[c, f"Agent {c}", 1000, 10, "", ASSUMPTION] for c in codes])
    write_csv(data / "tasks.csv", ["task", "unit", "per", "description", "source"],
              [[t, "jobs done", "level", f"Job {t}", ASSUMPTION] for t in jobs])
    write_csv(data / "regions.csv", ["region", "description", "source"],
              [["theatre", "Where every job is done", ASSUMPTION]])
    write_csv(data / "phases.csv", ["phase", "description", "source"],
              [["once", "The one period", ASSUMPTION]])
    header = ["pool", "description", "quantity", "readiness", "cost_per_unit", "regions"]
    header += [c for t in jobs for c in (t, f"{t}_cost")] + ["source"]
    for i, code in enumerate(codes):
        cells = []
        for j in range(gap.jobs):
            cells += [repr(1 / gap.weight[i][j]), repr(gap.cost[i][j] / gap.weight[i][j])]
        write_csv(data / f"{code}.csv", header,
                  [["capacity", f"Capacity of agent {code}", gap.capacity[i], 1, 0,
                    "theatre", *cells, ASSUMPTION]])
    (data / "policies.yaml").write_text("flags: {}\npolicies: []\n", encoding="utf-8")
    mission = {
        "name": "gap",
        "description": f"Generalised assignment: {gap.agents} agents, {gap.jobs} jobs.",
        "phases": ["once"],
        "objective": {"shortfall_penalty": PENALTY},
        "requirements": [{"task": t, "region": "theatre", "phase": "once", "amount": 1}
                         for t in jobs],
        "policies": [{
            "name": "one_agent_per_job", "kind": "lead_nation", "task": jobs,
            "region": "theatre", "delivered_by": "lead",
            "sentence": "Exactly one agent does each job.", "source": ASSUMPTION}],
    }
    path = out / "mission.yaml"
    path.write_text(yaml.safe_dump(mission, sort_keys=False, width=100), encoding="utf-8")
    return path


def direct_model(gap: Instance, options: dict[str, Any]) -> highspy.Highs:
    """The textbook formulation handed to HiGHS as arrays (columns x[i][j], agent-major)."""
    m, n = gap.agents, gap.jobs
    cost = np.array(gap.cost, dtype=float).ravel()
    starts, index, value = [0], [], []
    for j in range(n):  # each job to exactly one agent
        index += [i * n + j for i in range(m)]
        value += [1.0] * m
        starts.append(len(index))
    for i in range(m):  # each agent within its capacity
        index += [i * n + j for j in range(n)]
        value += [float(w) for w in gap.weight[i]]
        starts.append(len(index))
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    for key, setting in options.items():
        highs.setOptionValue(key, setting)
    row_lower = np.array([1.0] * n + [-highspy.kHighsInf] * m)
    row_upper = np.array([1.0] * n + [float(c) for c in gap.capacity])
    highs.passModel(m * n, n + m, len(value), int(highspy.MatrixFormat.kRowwise),
                    int(highspy.ObjSense.kMinimize), 0.0, cost, np.zeros(m * n),
                    np.ones(m * n), row_lower, row_upper, np.array(starts, dtype=np.int32),
                    np.array(index, dtype=np.int32), np.array(value),
                    np.ones(m * n, dtype=np.int32))
    return highs


def gap_options() -> dict[str, Any]:
    """The MIP gap options the planner gives HiGHS by default, so both sides stop at the
    same proof (HiGHS's own defaults where the planner sets none)."""
    try:
        from planner.solving.gap import MipGap
    except ImportError:
        return {}
    default = MipGap()
    return {"mip_rel_gap": default.relative, "mip_abs_gap": default.absolute}


def time_direct(gap: Instance) -> tuple[float, float, float]:
    """Wall and CPU seconds (CPU: the machine may be shared), and the optimum."""
    start, cpu = time.perf_counter(), time.process_time()
    highs = direct_model(gap, gap_options())
    with _quiet():
        highs.run()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"direct model: {highs.modelStatusToString(highs.getModelStatus())}")
    return elapsed, cpu, float(highs.getInfo().objective_function_value)


def time_planner(mission: Path) -> tuple[float, float, float]:
    """As ``time_direct``, for the planner from its files to its plan."""
    from planner import pipeline

    start, cpu = time.perf_counter(), time.process_time()
    plan = pipeline.solve(mission, data=mission.parent / "capabilities")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if plan.status != "optimal" or plan.objective is None:
        raise RuntimeError(f"planner: status {plan.status}")
    return elapsed, cpu, float(plan.objective)


def _quiet() -> Any:
    from planner.solving.quiet import solver_output
    return solver_output()


def measure(agents: int, jobs: int, repeats: int, work: Path) -> dict[str, Any]:
    """Median times of both sides on one instance, and their objectives (which must agree:
    the planner's plan does every job, so its cost is the assignment's)."""
    gap = instance(agents, jobs)
    mission = write_instance(gap, work / f"gap-{agents}x{jobs}")
    planner, direct = [], []
    for _ in range(repeats):
        *seconds, planned = time_planner(mission)
        planner.append(seconds)
        *seconds, solved = time_direct(gap)
        direct.append(seconds)
    if abs(planned - solved) > 1e-6 * max(1.0, abs(solved)):
        raise RuntimeError(f"{agents}x{jobs}: planner {planned} but direct {solved}")
    p = [statistics.median(t) for t in zip(*planner, strict=True)]
    d = [statistics.median(t) for t in zip(*direct, strict=True)]
    return {"agents": agents, "jobs": jobs, "objective": solved,
            "planner_s": round(p[0], 4), "direct_s": round(d[0], 4),
            "planner_cpu_s": round(p[1], 4), "direct_cpu_s": round(d[1], 4),
            "ratio": round(p[1] / d[1], 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, help="one instance: this many agents")
    parser.add_argument("--jobs", type=int, help="one instance: this many jobs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    family = [(args.agents, args.jobs)] if args.agents and args.jobs else FAMILY
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for agents, jobs in family:
            rows.append(measure(agents, jobs, args.repeats, Path(work)))
            r = rows[-1]
            print(f"{agents:>3} agents x {jobs:>3} jobs  objective {r['objective']:>8g}  "
                  f"CPU s planner {r['planner_cpu_s']:7.2f} direct {r['direct_cpu_s']:7.2f}  "
                  f"ratio {r['ratio']:6.2f}  (wall s {r['planner_s']:.2f} / "
                  f"{r['direct_s']:.2f})", flush=True)
    print(f"goal: planner / direct CPU time <= 2; worst {max(r['ratio'] for r in rows):.2f}")
    if args.out:
        args.out.write_text(json.dumps({"gap": rows, "options": gap_options()}, indent=1)
                            + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
