"""N-1 of allies: what the mission loses when one ally, pool or link is not there.

Each case takes one thing out and re-solves: an ally withholds (its units at zero, its
policies set aside, exactly as a mission whose ``countries`` leaves it out), a pool is lost,
or a link is cut (its partners may no longer work in each other's home regions). The rise in
cost and in shortfall penalty is the criticality of what was taken out.

The robust plan (``--robust``) borrows the security-constrained N-1 idea from power systems:
one plan, fixed in advance, that still covers every requirement when any single ally
withholds its units, as far as the others' capacity allows. Its premium is the extra
employment cost over the ordinary plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pulp

from planner.analyze.results import Analysis, money, no_plan, requirement_names
from planner.analyze.sweep import Execution, Prepared, Record, sweep
from planner.errors import SolverError
from planner.formulation.families import declare
from planner.formulation.model import PlanningModel, build_model
from planner.results.summary import record_shortfall
from planner.scenario.instance import Instance
from planner.solving.solve import in_name_order

SHORTFALL_IF_WITHHELD = declare(
    "shortfall_if_withheld", "column", ("ally", "task", "region", "phase"),
    "In the robust plan: a requirement's shortfall if the ally withholds its units.")
COVER_IF_WITHHELD = declare(
    "cover_if_withheld", "row", ("ally", "task", "region", "phase"),
    "In the robust plan: the others' units must still cover the requirement if the ally "
    "withholds its own.")

Case = tuple[str, str]  # (what: base | ally | pool | link, name)


@dataclass(frozen=True)
class Withhold:
    """The sweep task: take one ally, pool or link out, re-solve, put it back."""

    def prepare(self, instance: Instance) -> Prepared:
        return Prepared.of(instance, start=True)

    def evaluate(self, prepared: Prepared, case: Case) -> Record:
        what, name = case
        fast = prepared.fast
        if what == "ally":
            with prepared.without({name}):
                outcome = prepared.outcome(prepared.run())
        elif what == "pool":
            country, pool = name.split("/")
            units = prepared.model.units
            mine = ((units["country"] == country) & (units["pool"] == pool)).to_numpy()
            columns = prepared.units_at[mine]
            fast.set_column_bounds(columns, 0.0, 0.0)
            try:
                outcome = prepared.outcome(prepared.run())
            finally:
                fast.set_column_bounds(columns, fast.arrays.col_lower[columns],
                                       fast.arrays.col_upper[columns])
        elif what == "link":
            outcome = solve_without_link(prepared.instance, name)
        else:
            outcome = prepared.outcome(prepared.run())
        return {"what": what, "name": name, **outcome}


def without_link(instance: Instance, name: str) -> Instance:
    """The instance with one active link cut: its rows (an inactive link's) come in, and
    the policies that depend on it are set aside."""
    return instance.with_links({p.name for p in instance.links} - {name})


def solve_without_link(instance: Instance, name: str) -> Record:
    prepared = Prepared.of(without_link(instance, name))
    return prepared.outcome(prepared.fast.run())


def cases(instance: Instance, pools: bool, links: bool) -> list[Case]:
    """The base case, then each ally, and each pool and active link when asked for."""
    found: list[Case] = [("base", "")]
    found += [("ally", c) for c in instance.capabilities.countries["country"]]
    if pools:
        table = instance.capabilities.pools
        found += [("pool", f"{c}/{p}") for c, p in table[["country", "pool"]].itertuples(
            index=False)]
    if links:
        found += [("link", p.name) for p in instance.links]
    return found


def resilience(instance: Instance, execution: Execution, pools: bool = False,
               links: bool = False, robust: bool = False) -> Analysis:
    """Criticality of each ally (and pool, link): the N-1 sweep, and the robust plan."""
    run = sweep(instance, Withhold(), cases(instance, pools, links), "N-1 re-solves",
                execution)
    base, rest = run.records[0], run.records[1:]
    if base["objective"] is None:
        raise SolverError(no_plan(instance, base["status"]))
    requirements = requirement_names(instance)
    penalty = instance.requirements["penalty"].to_numpy(float)
    rows = []
    for record in rest:
        rows.append(criticality_row(record, base, requirements, penalty))
    table = pd.DataFrame(rows).sort_values(["criticality", "what", "name"],
                                           ascending=[False, True, True], kind="stable")
    for count in ("requirements_newly_short", "requirements_short_total"):
        table[count] = table[count].astype("Int64")  # whole numbers beside a blank (no plan)
    findings = [f"Base plan: {money(base['objective'])} (employment "
                f"{money(base['employment_cost'])} + shortfall penalty {money(base['penalty'])})."]
    for row in table.itertuples(index=False):
        findings.append(sentence(row))
    facts: dict[str, Any] = {"solves": run.solves, "seconds": round(run.seconds, 3),
                             "ran_on": run.where, "base_objective": base["objective"]}
    tables = {"criticality": table.reset_index(drop=True)}
    if robust:
        replanned = {r["name"]: r["penalty"] for r in rest
                     if r["what"] == "ally" and r["objective"] is not None}
        premium, contingencies = robust_plan(instance, base, replanned)
        facts |= premium
        solves_note = " (two more solves: the ordinary and the robust plan)"
        facts["solves"] += 2
        tables["robust"] = contingencies
        findings.append(
            f"Robust plan{solves_note}: employment {money(premium['robust_employment_cost'])}, "
            f"a premium of {money(premium['premium'])} "
            f"({premium['premium_percent']:.1f}%) over the ordinary plan's "
            f"{money(base['employment_cost'])}.")
        for row in contingencies.itertuples(index=False):
            findings.append(
                f"  If {row.ally} withholds: the ordinary plan as it stands leaves "
                f"{money(row.ordinary_plan_penalty)} of penalty uncovered, the robust plan "
                f"{money(row.robust_plan_penalty)}; re-planning without {row.ally} costs "
                f"{money(row.replanned_penalty)} of penalty.")
    shown = {"criticality": ["what", "name", "objective", "criticality", "extra_employment",
                             "extra_penalty", "requirements_newly_short",
                             "requirements_short_total"]}
    return Analysis("resilience", instance.mission.name,
                    f"Resilience (N-1) of {instance.mission.name}", findings, tables, facts,
                    shown=shown, input_digest=instance.digest)


def criticality_row(record: Record, base: Record, requirements: list[str],
                    penalty: np.ndarray) -> dict[str, Any]:
    """One line of the criticality table. Two counts, named by what they count:
    ``requirements_newly_short`` (shorter than in the mission's own plan: the ones the
    case costs, listed in ``newly_short_detail`` with the dearest first, by the penalty of
    what is newly uncovered) and ``requirements_short_total`` (short at all in the case,
    including those already short in the mission's own plan)."""
    if record["objective"] is None:
        return {"what": record["what"], "name": record["name"], "status": record["status"],
                "objective": None, "criticality": float("inf"), "extra_employment": None,
                "extra_penalty": None, "requirements_newly_short": None,
                "requirements_short_total": None, "newly_short_detail": ""}
    before = record_shortfall(base, len(requirements))
    after = record_shortfall(record, len(requirements))
    more = after - before
    criticality = record["objective"] - base["objective"]
    # with no rise in cost, a shortfall that moved is a tie between requirements, not a loss
    worse = sorted(np.flatnonzero(more > 1e-6), key=lambda i: -more[i] * penalty[i]) if (
        criticality > 1e-6) else []
    newly = [f"{requirements[i]}: {more[i]:.3g} short" for i in worse]
    return {"what": record["what"], "name": record["name"], "status": record["status"],
            "objective": tidy(record["objective"]),
            "criticality": tidy(criticality),
            "extra_employment": tidy(record["employment_cost"] - base["employment_cost"]),
            "extra_penalty": tidy(record["penalty"] - base["penalty"]),
            "requirements_newly_short": len(newly),
            "requirements_short_total": int((after > 1e-6).sum()),
            "newly_short_detail": "; ".join(newly)}


def tidy(value: float) -> float:
    """Rounded to solver precision, without a negative zero."""
    return round(value, 6) + 0.0


WHAT = {"ally": "Without {}", "pool": "Without the pool {}", "link": "With the link {} cut"}


def sentence(row: Any, listed: int = 4) -> str:
    if pd.isna(row.objective):
        return (f"{WHAT[row.what].format(row.name)} the mission cannot be solved "
                f"({row.status}): a policy cannot hold without it.")
    text = (f"{WHAT[row.what].format(row.name)} the mission costs {money(row.criticality)} "
            f"more: employment {signed(row.extra_employment)}, shortfall penalty "
            f"{signed(row.extra_penalty)}")
    if row.newly_short_detail:
        short = row.newly_short_detail.split("; ")
        more = f" and {len(short) - listed} more" if len(short) > listed else ""
        text += (f"; {row.requirements_newly_short} requirement(s) newly short "
                 f"({row.requirements_short_total} short in all): "
                 f"{'; '.join(short[:listed])}{more}")
    return text + "."


def signed(value: float) -> str:
    return ("+" if value >= 0 else "-") + money(abs(value))


def robust_plan(instance: Instance, base: Record, replanned: dict[str, float]
                ) -> tuple[dict[str, float], pd.DataFrame]:
    """The preventive N-1 plan: units fixed in advance so that, for each ally withholding
    in turn, the others' units already employed still cover each requirement (what they
    cannot cover is priced like any shortfall). Returns its premium and, per ally, the
    penalty the ordinary plan, the robust plan and a re-plan leave when that ally withholds.
    """
    ordinary = Prepared.of(instance)
    plain = ordinary.fast.run()
    ordinary_units = plain.values[ordinary.units_at]
    model = build_model(instance)
    problem = model.problem
    countries = list(instance.capabilities.countries["country"])
    units = model.units
    extra = []
    for ally in countries:
        others = units[units["country"] != ally]
        delivered = {key: list(zip(g["var"], g["delivers"], strict=True))
                     for key, g in others.groupby(["task", "region", "phase"], sort=False)}
        for req in model.shortfalls.itertuples(index=False):
            keys = {"ally": ally, "task": req.task, "region": req.region, "phase": req.phase}
            short = problem.add_variable(SHORTFALL_IF_WITHHELD.label(keys), lowBound=0)
            extra.append((short, float(req.penalty)))
            terms = [*delivered.get((req.task, req.region, req.phase), []), (short, 1.0)]
            model.add(COVER_IF_WITHHELD.row(
                          keys, f"If {ally} withholds its units, the others' units in the "
                          f"plan must still deliver {req.amount:g} of {req.task} in "
                          f"{req.region} in {req.phase}.", "analysis: robust N-1 plan"),
                      pulp.LpAffineExpression(terms) >= float(req.amount))
    problem.setObjective(problem.objective + pulp.LpAffineExpression(extra))
    fast, at = in_name_order(model)
    result = fast.run()
    if not result.optimal:
        raise SolverError(f"the robust plan of mission {instance.mission.name} could not be "
                          f"solved ({result.status})")
    values = result.values[at[:len(units)]]
    robust_cost = float(values @ units["unit_cost"].to_numpy(float))
    penalty = model.shortfalls["penalty"].to_numpy(float)
    rows = []
    for ally in countries:
        keep = (units["country"] != ally).to_numpy()
        rows.append({
            "ally": ally,
            "ordinary_plan_penalty": round(
                float(left_short(model, keep, ordinary_units) @ penalty), 6),
            "robust_plan_penalty": round(float(left_short(model, keep, values) @ penalty), 6),
            "replanned_penalty": replanned.get(ally),
        })
    premium = robust_cost - base["employment_cost"]
    return ({"robust_employment_cost": round(robust_cost, 6), "premium": round(premium, 6),
             "premium_percent": round(100 * premium / base["employment_cost"], 3)
             if base["employment_cost"] else 0.0}, pd.DataFrame(rows))


def left_short(model: PlanningModel, keep: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per requirement, what a fixed plan leaves uncovered when only ``keep`` units serve."""
    units = model.units
    delivered = pd.Series(np.where(keep, values, 0.0) * units["delivers"].to_numpy(float))
    by_key = delivered.groupby([units["task"], units["region"], units["phase"]]).sum()
    short = model.shortfalls
    got = [by_key.get((t, r, h), 0.0) for t, r, h in short[["task", "region", "phase"]]
           .itertuples(index=False)]
    return np.maximum(short["amount"].to_numpy(float) - np.array(got), 0.0)
