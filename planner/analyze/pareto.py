"""Trade-off fronts by the epsilon-constraint method.

Cost against the US share of employment cost: each point caps the US share with the planner's
own ``share_cap`` policy (``of: cost``), so the front is made of plans the mission itself
could ask for. The ends are the two single-objective optima: the least-cost plan (its US
share is the largest worth asking for) and the least US share any plan can have (found by
Dinkelbach's method for a ratio objective), at the least cost that share allows.

Cost against persistence: the deviation from a previous agreed plan (a plan folder) is the
total of |units - agreed units| over every pool, task, region and phase, plus the agreed
units the mission no longer has a column for. Each point bounds it; the ends are the
least-cost plan and the plan closest to the agreed one.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pulp

from planner.analyze.results import Analysis, money, no_plan
from planner.analyze.sweep import Execution, Prepared, Record, sweep
from planner.errors import InputError, Problem, SolverError
from planner.formulation.families import UNITS, Family, declare
from planner.formulation.model import PlanningModel, build_model
from planner.reports import charts
from planner.results.saved import AgreedPlan
from planner.results.summary import record_share
from planner.scenario.instance import Instance
from planner.schema.policies import share_cap
from planner.solving.gap import WITH_PLAN
from planner.solving.highs import INF

CAP = "pareto_us_share"
MOVED_UP = declare("moved_up", "column", UNITS.keys,
                   "Units employed above the agreed plan, in a persistence re-plan.")
MOVED_DOWN = declare("moved_down", "column", UNITS.keys,
                     "Units employed below the agreed plan, in a persistence re-plan.")
MOVED = declare("moved", "row", UNITS.keys,
                "Units employed equal the agreed plan's, plus those moved up, less those "
                "moved down.")
DEVIATION = declare("deviation", "row", ("measure",),
                    "The units moved from the agreed plan, in total.")
PARETO = declare("pareto", "row", ("measure",),
                 "The plan's total cost, bounded by a Pareto sweep (at most the least cost).")


def us_share(record: Record, country: str = "USA") -> float:
    """The US share of employment cost in a solved record (0 when nothing is employed)."""
    return record_share(record, country)


def capped(instance: Instance, share: float, country: str) -> Instance:
    """The instance with one more policy: the country's share of cost at most ``share``."""
    cap = share_cap.ShareCap(name=CAP, kind="share_cap", country=country, of="cost",
                 value=min(max(share, 0.0), 1.0),
                 sentence=f"{country} bears at most {share:.2%} of the employment cost "
                 "(a point of the Pareto front).", source="analysis: Pareto front")
    return dataclasses.replace(instance, policies=(*instance.policies, cap))


@dataclass(frozen=True)
class ShareCap:
    """The sweep task for the US-share front: one capped mission per point."""

    country: str

    def prepare(self, instance: Instance) -> Instance:
        return instance

    def evaluate(self, instance: Instance, share: float) -> Record:
        prepared = Prepared.of(capped(instance, share, self.country))
        outcome = prepared.outcome(prepared.fast.run())
        return {"epsilon": share, **outcome}


def extreme_share(prepared: Prepared, country: str, start: float, most: bool = False
                  ) -> tuple[float | None, int, str]:
    """The least (or most) share of employment cost the country can have among the plans
    the model admits, by Dinkelbach's method from a share some plan has: optimise its cost -
    ratio x total cost, move the ratio to the plan's share, until no plan beats the ratio.
    Only the units' costs are set; the caller owns every other cost and puts them back.
    Returns the share (None when a solve has no plan), the solves and the last status."""
    fast = prepared.fast
    costs = prepared.unit_cost
    mine = np.where(prepared.summarizer.employed_by(country), costs, 0.0)
    sign = -1.0 if most else 1.0
    ratio, solves, status = start, 0, "optimal"
    for _ in range(50):
        fast.set_costs(prepared.units_at, sign * (mine - ratio * costs))
        result = fast.run()
        solves += 1
        status = result.status
        if status not in WITH_PLAN:
            return None, solves, status
        units = result.values[prepared.units_at]
        spent, total = float(units @ mine), float(units @ costs)
        if sign * (spent - ratio * total) > -1e-9 * max(1.0, total):
            break  # no plan beats the ratio: it is the optimum
        ratio = spent / total if total > 1e-12 else 0.0
    return ratio, solves, status


def least_share(prepared: Prepared, country: str, start: float) -> tuple[float, int]:
    """The least share of employment cost the country can have in any plan; every cost and
    bound is put back afterwards. Returns the share and the number of solves."""
    fast = prepared.fast
    others = np.setdiff1d(np.arange(len(fast.arrays.columns)), prepared.units_at)
    fast.set_costs(others.astype(np.int32), 0.0)
    try:
        ratio, solves, status = extreme_share(prepared, country, start)
    finally:
        fast.restore()
    if ratio is None:
        raise SolverError(f"the least {country} share of mission {prepared.instance.mission.name}"
                          f" could not be found (solver status {status})")
    return ratio, solves


def share_front(instance: Instance, execution: Execution, points: int,
                country: str = "USA") -> Analysis:
    """Cost against the country's share of cost, from its least share to the least-cost
    plan's."""
    if country not in set(instance.capabilities.countries["country"]):
        raise InputError([Problem(instance.mission_file or instance.mission.name,
                                  f"{country} does not take part in mission "
                                  f"{instance.mission.name}, so it has no share to trade",
                                  column="countries",
                                  hint=f"add {country} to the mission's countries")])
    prepared = Prepared.of(instance, with_cost_row(build_model(instance)))
    cheapest = prepared.outcome(prepared.fast.run())
    if cheapest["objective"] is None:
        raise SolverError(no_plan(instance, cheapest["status"]))
    least_cost = cheapest["objective"]
    at_least_cost(prepared, least_cost)
    top, solves = least_share(prepared, country, us_share(cheapest, country))
    bottom, more = least_share(prepared, country, top)  # least_share put the bound back
    shares = [float(s) for s in np.linspace(bottom, top, max(points, 2))]
    run = sweep(instance, ShareCap(country), shares, "Pareto points", execution)
    records = run.records
    front = front_table(records, "us_share", [us_share(r, country) for r in records])
    findings = [
        f"Least-cost plan: {money(least_cost)}; the least {country} share among plans of that "
        f"cost is {top:.1%} of employment cost.",
        f"Least {country} share any plan can have: {bottom:.1%}; at that share the mission "
        f"costs {money(records[0]['objective'])} ({pct(records[0], cheapest)}).",
    ]
    findings += steps(front, "us_share", lambda v: f"{v:.1%}", "percentage point of share",
                      0.01)
    chart = charts.front_chart(front, "us_share", f"{country} share of employment cost",
                        percent=True)
    facts = {"solves": run.solves + 1 + solves + more, "seconds": round(run.seconds, 3),
             "ran_on": run.where, "points": len(front), "least_share": bottom,
             "least_cost_share": top, "least_cost": least_cost}
    return Analysis("pareto", instance.mission.name,
                    f"Cost against the {country} share: {instance.mission.name}", findings,
                    {"front": front}, facts, {"front": chart},
                    input_digest=instance.digest)


def with_cost_row(model: PlanningModel, family: Family = PARETO,
                  sentence: str = "Total cost, shortfall penalties included, at most the "
                  "least cost.", source: str = "analysis: Pareto front") -> PlanningModel:
    """The model with a row ``<family>[cost]`` holding the objective, free until a sweep
    bounds it by the least cost (to find, among the cheapest plans, the best on the
    other measure: the lexicographic end of a front) or by the least cost plus a slack."""
    model.add(family.row({"measure": "cost"}, sentence, source),
              model.problem.objective <= 1e30)
    return model


def at_least_cost(prepared: Prepared, least_cost: float) -> None:
    prepared.fast.set_row_bounds(prepared.fast.rows(["pareto[cost]"]), -INF,
                                 least_cost * (1 + 1e-9) + 1e-9)


def front_table(records: list[Record], measure: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({
        "point": range(1, len(records) + 1),
        "epsilon": [round(r["epsilon"], 9) for r in records],
        measure: [round(v, 6) for v in values],
        "objective": [round(r["objective"], 6) for r in records],
        "employment_cost": [round(r["employment_cost"], 6) for r in records],
        "penalty": [round(r["penalty"], 6) for r in records],
    })


def pct(record: Record, base: Record) -> str:
    extra = record["objective"] - base["objective"]
    share = extra / base["objective"] if base["objective"] else 0.0
    return f"{'+' if extra >= 0 else '-'}{money(abs(extra))}, {share:+.1%}"


def steps(front: pd.DataFrame, measure: str, show: Any, per: str,
          scale: float = 1.0) -> list[str]:
    """One sentence per segment of the front: what moving along it costs, per ``scale``
    of the measure (a percentage point of share is 0.01)."""
    lines = []
    rows = list(front.itertuples(index=False))
    for before, after in itertools.pairwise(rows):
        change = getattr(after, measure) - getattr(before, measure)
        if abs(change) < 1e-12:
            continue
        slope = (before.objective - after.objective) / change * scale
        lines.append(f"From {show(getattr(before, measure))} to {show(getattr(after, measure))}"
                     f": cost {money(before.objective)} -> {money(after.objective)}"
                     f" ({money(abs(slope))} per {per}).")
    return lines



def persistence_model(instance: Instance, agreed: pd.DataFrame
                      ) -> tuple[PlanningModel, np.ndarray, float]:
    """The mission's model with the deviation from the agreed plan measured: for each
    units column, ``units - agreed = up - down`` with both parts non-negative, and one row
    ``deviation[total]`` bounding the sum of the parts (so the plans within a bound are
    those moving at most that many units). Returns the model, the agreed units per units
    column, and the agreed units with no column here (moved whatever the plan)."""
    model = build_model(instance)
    problem, moved = model.problem, []  # PuLP's whole model: its units columns get rows here
    keys = ["country", "pool", "task", "region", "phase"]
    units = model.units.merge(agreed, on=keys, how="left")
    agreed_here = units["units"].fillna(0.0).to_numpy(float)
    merged = agreed.merge(model.units[keys], on=keys, how="left", indicator=True)
    unmatched = float(merged.loc[merged["_merge"] == "left_only", "units"].sum())
    for key, var, target in zip(units[keys].itertuples(index=False), units["var"],
                                agreed_here, strict=True):
        cell = key._asdict()
        up = problem.add_variable(MOVED_UP.label(cell), lowBound=0)
        down = problem.add_variable(MOVED_DOWN.label(cell), lowBound=0)
        moved += [(up, 1.0), (down, 1.0)]
        model.add(MOVED.row(cell,
                      f"Units of {key.pool} of {key.country} on {key.task} in {key.region} in "
                      f"{key.phase}, against the agreed {target:g}.", "analysis: persistence"),
                  pulp.LpAffineExpression([(var, 1.0), (up, -1.0), (down, 1.0)])
                  == float(target))
    model.add(DEVIATION.row({"measure": "total"}, "Total units moved from the agreed "
                            "plan.", "analysis: persistence"),
              pulp.LpAffineExpression(moved) <= 1e30)
    return model, agreed_here, unmatched


@dataclass(frozen=True)
class Deviation:
    """The sweep task for the persistence front: one bound on the deviation per point."""

    agreed: pd.DataFrame

    def prepare(self, instance: Instance) -> tuple[Prepared, np.ndarray, float]:
        model, agreed_here, unmatched = persistence_model(instance, self.agreed)
        return Prepared.of(instance, with_cost_row(model), start=True), agreed_here, unmatched

    def evaluate(self, state: tuple[Prepared, np.ndarray, float], bound: float) -> Record:
        prepared, agreed_here, _ = state
        fast = prepared.fast
        row = fast.rows(["deviation[total]"])
        fast.set_row_bounds(row, -INF, bound)
        try:
            result = prepared.run()
        finally:
            fast.set_row_bounds(row, -INF, INF)
        outcome = prepared.outcome(result)
        if outcome["objective"] is None:
            return {"epsilon": bound, **outcome, "deviation": None}
        units = result.values[prepared.units_at]
        return {"epsilon": bound, **outcome,
                "deviation": float(np.abs(units - agreed_here).sum())}


def persistence_front(instance: Instance, execution: Execution, points: int,
                      agreed: AgreedPlan) -> Analysis:
    """Cost against the units moved from an agreed plan (read by
    ``planner.results.saved.load_agreed``)."""
    folder = agreed.folder
    task = Deviation(agreed.units)
    state = task.prepare(instance)
    fast = state[0].fast
    cheapest = task.evaluate(state, INF)
    if cheapest["objective"] is None:
        raise SolverError(no_plan(instance, cheapest["status"]))
    moved = np.flatnonzero([n.startswith("moved_") for n in fast.arrays.columns])

    def least_deviation(cost_bound: float | None) -> float:
        if cost_bound is not None:
            at_least_cost(state[0], cost_bound)
        fast.set_costs(np.arange(len(fast.arrays.columns), dtype=np.int32), 0.0)
        fast.set_costs(moved.astype(np.int32), 1.0)
        found = fast.run()
        fast.restore()
        if not found.optimal:
            raise SolverError(f"the plan of mission {instance.mission.name} closest to the "
                              f"agreed one could not be found ({found.status})")
        return float(found.objective or 0.0)

    high = least_deviation(cheapest["objective"])  # the least moved among cheapest plans
    low = least_deviation(None)
    high = max(high, low)  # equal up to solver noise when the agreed plan is still cheapest
    bounds = [float(b) for b in np.linspace(low, high, max(points, 2))]
    bounds[0] = low * (1 + 1e-9) + 1e-9  # the least deviation, with room for rounding
    run = sweep(instance, task, bounds, "Pareto points", execution)
    records = run.records
    unmatched = state[2]
    front = front_table(records, "units_moved", [r["deviation"] + unmatched for r in records])
    findings = [
        f"Least-cost plan: {money(cheapest['objective'])}, moving "
        f"{high + unmatched:,.1f} units from the agreed plan in {folder}.",
        f"Closest plan: {low + unmatched:,.1f} units moved"
        + (f" ({unmatched:,.1f} of them on pools or tasks the mission no longer has)"
           if unmatched else "")
        + f", at {money(records[0]['objective'])} ({pct(records[0], cheapest)}).",
    ]
    findings += steps(front, "units_moved", lambda v: f"{v:,.1f} units moved", "unit moved")
    chart = charts.front_chart(front, "units_moved", "units moved from the agreed plan")
    facts = {"solves": run.solves + 3, "seconds": round(run.seconds, 3),
             "ran_on": run.where, "points": len(front), "agreed_plan": str(folder),
             "least_deviation": low + unmatched, "least_cost": cheapest["objective"],
             "least_cost_deviation": high + unmatched}
    return Analysis("pareto", instance.mission.name,
                    f"Cost against persistence: {instance.mission.name}", findings,
                    {"front": front}, facts, {"front": chart},
                    input_digest=instance.digest)
