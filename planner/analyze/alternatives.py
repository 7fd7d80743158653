"""Room to negotiate: the near-optimal plans and how far each ally's part can move in them.

Modelling to generate alternatives, as PyPSA's ``optimize_mga`` and Calliope's SPORES do for
energy systems: the mission's total cost (employment plus shortfall penalties) is held
within ``slack`` of its least value by one more row, ``alternatives[cost]``, and each
measure is then minimised and maximised over every plan that row admits:

- for each ally, task and region: what the ally delivers there, over the mission's phases,
  as an amount in the task's unit and as a share of what the mission requires there;
- for each ally: its share of the employment cost (a ratio of two linear costs, found by
  Dinkelbach's method, as the Pareto front does).

A share of a requirement is capped at all of it: a plan within the slack may deliver more
than the mission requires (the amounts show it), but the excess covers nothing.

An (ally, task, region) that delivers something in every near-optimal plan is *essential*:
no plan within the slack does without it. One whose least is nothing but whose most is
something is *negotiable*. The least and most of a measure are unique numbers, whatever
plan the solver lands on, so the ranges do not depend on the order, chunking or worker of
the solves. A range is about one measure at a time: two ranges need not be reachable in
the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.analyze.pareto import extreme_share, with_cost_row
from planner.analyze.results import Analysis, money, no_plan
from planner.analyze.sweep import Execution, Prepared, Record, sweep
from planner.errors import InputError, Problem, SolverError
from planner.formulation.families import declare
from planner.formulation.model import PlanningModel, build_model
from planner.reports import charts
from planner.results.summary import record_share
from planner.scenario.instance import Instance
from planner.solving.gap import WITH_PLAN
from planner.solving.highs import INF, Result

TOLERANCE = 1e-6  # a delivery below this is none
MAX_SLACK = 10.0  # 1,000% over the least cost: beyond it "near-optimal" means nothing
NEAR_OPTIMAL = declare("alternatives", "row", ("measure",),
                       "The plan's total cost, at most the least cost plus the slack of a "
                       "near-optimal search.")


@dataclass(frozen=True)
class Measure:
    """One quantity to minimise and maximise: what ``country`` delivers of ``task`` in
    ``region`` (``task`` None: its share of the employment cost)."""

    country: str
    task: str | None = None
    region: str | None = None
    most: bool = False


@dataclass(frozen=True)
class NearOptimal:
    """The sweep task: the model bounded to within the slack, one measure per case."""

    slack: float
    least_cost: float
    shares: tuple[tuple[str, float], ...] = ()  # each ally's cost share in the least-cost plan

    def prepare(self, instance: Instance) -> Prepared:
        prepared = Prepared.of(instance, with_cost_row(
            build_model(instance), NEAR_OPTIMAL, "Total cost, shortfall penalties included, "
            "at most the least cost plus the slack.", "analysis: near-optimal alternatives"))
        bound = self.least_cost * (1 + self.slack) + 1e-9 * max(1.0, abs(self.least_cost))
        prepared.fast.set_row_bounds(prepared.fast.rows(["alternatives[cost]"]), -INF, bound)
        every = np.arange(len(prepared.fast.arrays.columns), dtype=np.int32)
        prepared.fast.set_costs(every, 0.0)  # each case sets the costs of its measure
        return prepared

    def evaluate(self, prepared: Prepared, measure: Measure) -> Record:
        if measure.task is None:
            return cost_share(prepared, measure, dict(self.shares).get(measure.country, 0.0))
        units = prepared.model.units
        mine = ((units["country"] == measure.country) & (units["task"] == measure.task)
                & (units["region"] == measure.region)).to_numpy()
        columns = prepared.units_at[mine].astype(np.int32)
        delivers = units["delivers"].to_numpy(float)[mine]
        fast = prepared.fast
        fast.set_costs(columns, -delivers if measure.most else delivers)
        try:
            result = fast.run()
        finally:
            fast.set_costs(columns, 0.0)
        if result.status not in WITH_PLAN:
            return {"status": result.status, "value": None}
        value = float(result.values[columns] @ delivers)
        return {"status": result.status, "value": value}


def cost_share(prepared: Prepared, measure: Measure, start: float) -> Record:
    """The least (or most) share of employment cost the country can have within the slack,
    from the least-cost plan's share (a plan within the slack)."""
    try:
        ratio, solves, status = extreme_share(prepared, measure.country, start, measure.most)
    finally:
        prepared.fast.set_costs(prepared.units_at, 0.0)
    return {"status": status, "value": ratio, "solves": solves}


def measures(model: PlanningModel) -> list[Measure]:
    """Every (ally, task, region) with a column, then each ally's cost share; least first."""
    keys = model.units[["country", "task", "region"]].drop_duplicates()
    keys = keys.sort_values(["task", "region", "country"], kind="stable")
    found = [Measure(c, t, r, most) for c, t, r in keys.itertuples(index=False)
             for most in (False, True)]
    countries = list(dict.fromkeys(model.units["country"]))
    return found + [Measure(c, None, None, most) for c in countries for most in (False, True)]


def alternatives(instance: Instance, execution: Execution, slack: float = 0.05) -> Analysis:
    """Ranges of every ally's part over the plans within ``slack`` of the least cost."""
    if not 0 <= slack <= MAX_SLACK:
        raise InputError([Problem("--slack", f"{slack:.0%} is not a slack between 0% and "
                                  f"{MAX_SLACK:.0%} of the least cost",
                                  hint="e.g. --slack 5%")])
    prepared = Prepared.of(instance)
    solved = prepared.fast.run()
    cheapest = prepared.outcome(solved)
    if cheapest["objective"] is None:
        raise SolverError(no_plan(instance, cheapest["status"]))
    least = cheapest["objective"]
    at_least = least_cost_deliveries(prepared, solved)
    cases = measures(prepared.model)
    start = tuple((c, record_share(cheapest, c)) for c in prepared.countries)
    run = sweep(instance, NearOptimal(slack, least, start), cases, "Near-optimal ranges",
                execution)
    failed = [r for r in run.records if r["value"] is None]
    if failed:
        raise SolverError(f"a near-optimal range of mission {instance.mission.name} could not "
                          f"be found (solver status {failed[0]['status']})")
    values = {(m.country, m.task, m.region, m.most): r["value"]
              for m, r in zip(cases, run.records, strict=True)}
    ranges = range_table(instance, prepared.model, values, at_least)
    shares = share_table(instance, values, cheapest)
    findings = summary(instance, slack, least, ranges, shares)
    facts = {"solves": run.solves + 1, "seconds": round(run.seconds, 3), "ran_on": run.where,
             "slack": slack, "least_cost": least, "cost_bound": least * (1 + slack),
             "essential": int((ranges["status"] == "essential").sum()),
             "negotiable": int((ranges["status"] == "negotiable").sum())}
    return Analysis("alternatives", instance.mission.name,
                    f"Room to negotiate within {slack:.0%} of the least cost: "
                    f"{instance.mission.name}", findings, {"ranges": ranges, "shares": shares},
                    facts, {"ranges": charts.range_chart(shares, ranges)},
                    shown={"ranges": ["country", "task", "region", "least", "most",
                                      "status"]}, input_digest=instance.digest)


def least_cost_deliveries(prepared: Prepared, result: Result
                          ) -> dict[tuple[str, str, str], float]:
    """What each ally delivers of each task in each region in the least-cost plan."""
    units = prepared.model.units.assign(
        delivered=result.values[prepared.units_at] * prepared.model.units["delivers"])
    grouped = units.groupby(["country", "task", "region"], sort=False)["delivered"].sum()
    return {key: float(v) for key, v in grouped.items()}


def range_table(instance: Instance, model: PlanningModel,
                values: dict[tuple[Any, ...], float],
                at_least: dict[tuple[str, str, str], float]) -> pd.DataFrame:
    """One row per ally, task and region: least and most delivered, as amounts and as shares
    of the requirement, and whether the part is essential, negotiable or never taken."""
    required = instance.requirements.groupby(["task", "region"])["amount"].sum()
    rows = []
    for country, task, region in model.units[["country", "task", "region"]] \
            .drop_duplicates().itertuples(index=False):
        low = max(values[country, task, region, False], 0.0)
        high = max(values[country, task, region, True], 0.0)
        need = float(required.get((task, region), 0.0))
        status = ("essential" if low > TOLERANCE else "negotiable" if high > TOLERANCE
                  else "never")
        rows.append({"country": country, "task": task, "region": region, "required": need,
                     "least": round(low, 6), "least_cost_plan":
                     round(at_least.get((country, task, region), 0.0), 6),
                     "most": round(high, 6),
                     "least_share": round(min(low / need, 1.0), 6) if need else None,
                     "most_share": round(min(high / need, 1.0), 6) if need else None,
                     "status": status})
    table = pd.DataFrame(rows)
    order = {"essential": 0, "negotiable": 1, "never": 2}
    return table.sort_values(["task", "region", "country"], key=lambda s: s.map(order)
                             if s.name == "status" else s, kind="stable").reset_index(drop=True)


def share_table(instance: Instance, values: dict[tuple[Any, ...], float],
                cheapest: Record) -> pd.DataFrame:
    rows = [{"country": c,
             "least_cost_share": round(values[c, None, None, False], 6),
             "least_cost_plan_share": round(record_share(cheapest, c), 6),
             "most_cost_share": round(values[c, None, None, True], 6)}
            for c in instance.capabilities.countries["country"]
            if (c, None, None, False) in values]
    return pd.DataFrame(rows, columns=["country", "least_cost_share",
                                       "least_cost_plan_share", "most_cost_share"])


def summary(instance: Instance, slack: float, least: float, ranges: pd.DataFrame,
            shares: pd.DataFrame) -> list[str]:
    taken = ranges[ranges["status"] != "never"]
    essential = taken[taken["status"] == "essential"]
    negotiable = taken[taken["status"] == "negotiable"]
    found = [f"Least cost {money(least)}; plans within {slack:.0%} cost at most "
             f"{money(least * (1 + slack))}. Each range below is the least and most of one "
             "measure over those plans (two ranges need not be reachable together)."]
    for row in shares.itertuples(index=False):
        found.append(f"{row.country} bears between {row.least_cost_share:.1%} and "
                     f"{row.most_cost_share:.1%} of the employment cost "
                     f"({row.least_cost_plan_share:.1%} in the least-cost plan).")
    found.append(f"{len(essential)} of {len(taken)} ally-task-region parts are essential "
                 f"(in every plan within the slack); {len(negotiable)} are negotiable.")
    wide = taken.assign(width=(taken["most_share"] - taken["least_share"]).fillna(0))
    for row in wide.sort_values("width", ascending=False, kind="stable").head(3) \
            .itertuples(index=False):
        if row.width > TOLERANCE:
            found.append(f"{row.country} can deliver from {row.least:,.3g} to {row.most:,.3g} "
                         f"of {row.task} in {row.region} ({row.least_share:.0%} to "
                         f"{row.most_share:.0%} of what the mission requires there).")
    return found
