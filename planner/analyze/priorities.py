"""Each ally's priorities: how acceptable a plan is to each ally, and the joint plan.

The allies rank their threats differently (the peninsula, the East China Sea, Taiwan); a
mission's ``priorities`` give each ally weights over regions and tasks. For an ally c and a
requirement i, s_c(i) is its weight divided by the ally's largest weight (so in [0, 1]).

- **Covered share**: the part of the ally's priorities the plan covers,
  sum_i w_c(i) v(i) delivered(i) / sum_i w_c(i) v(i) required(i), with v(i) the
  requirement's value per unit (the shortfall penalty), so that tasks in different units add.
- **Loss**: what the plan costs the ally by its own lights: the cost it bears (its pools'
  work less what others pay for, plus what it pays others for) plus
  sum_i s_c(i) v(i) shortfall(i), the value of its priorities left uncovered.
- **Alone**: the least loss the ally could reach with its own pools only, every requirement
  priced at s_c(i) v(i) (share caps and floors set aside: alone, an ally carries all of its
  own effort). Individual rationality asks loss <= alone.
- **Acceptability** = 1 - loss / alone: 1 when the plan costs the ally nothing, 0 when it
  does no better than going alone, below 0 when the ally would reject the plan (it would do
  better alone by its own priorities).

The **joint plan** maximises the least acceptability over the allies with priorities
(max-min; ``--joint-plan max-min``, the default), or a stated weighting of their
acceptabilities (``--joint-plan USA=1,KOR=2``: the largest sum of weight x acceptability),
then, with that held, the alliance's ordinary objective; it is shown beside the least-cost
plan. Max-min protects the least satisfied ally; a weighting says whose satisfaction counts
for how much, and may leave an ally worse off than alone (the findings say so).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pulp

from planner.analyze.results import Analysis
from planner.checks.bearers import payers
from planner.errors import InputError, Problem, SolverError
from planner.formulation.model import PlanningModel, build_model
from planner.scenario.instance import Instance, taking_part
from planner.solving.solve import solve_model

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Standing:
    """One ally's view of one plan."""

    ally: str
    covered_share: float
    borne: float
    uncovered_value: float  # sum s_c v shortfall
    loss: float
    alone: float
    acceptability: float | None  # None when alone is 0 (nothing to gain or lose)

    @property
    def rejects(self) -> bool:
        return self.acceptability is not None and self.acceptability < -TOLERANCE


def weights(instance: Instance, ally: str) -> np.ndarray:
    """w_c(i) for every requirement row of the instance."""
    given = instance.mission.priorities[ally]
    return np.array([given.weight(t, r) for t, r in
                     instance.requirements[["task", "region"]].itertuples(index=False)],
                    dtype=float)


def scaled(instance: Instance, ally: str) -> np.ndarray:
    """s_c(i) = w_c(i) / max w_c: the ally's weights in [0, 1]."""
    w = weights(instance, ally)
    top = float(w.max(initial=0.0))
    return w / top if top > 0 else w


def borne_expression(instance: Instance, model: PlanningModel, ally: str
                     ) -> pulp.LpAffineExpression:
    """The cost the ally bears, as a linear expression in the model's units."""
    shares = payers(model.units, instance.capabilities.cost_bearers)
    mine = shares[shares["payer"] == ally]
    cost = model.units["unit_cost"].to_numpy(dtype=float)
    columns = model.unit_vars().tolist()
    return pulp.LpAffineExpression([(columns[p], cost[p] * s) for p, s in
                                    zip(mine["position"], mine["share"], strict=True)])


def alone(instance: Instance, ally: str, solver: str = "highs") -> float:
    """The least loss the ally reaches with its own pools, by its own priorities."""
    capabilities = taking_part(instance.capabilities, [ally])
    mission = instance.mission
    requirements = instance.requirements  # the mission's values, as the whole prices them
    requirements = requirements.assign(penalty=requirements["penalty"] * scaled(instance, ally))
    own = dataclasses.replace(
        instance, capabilities=capabilities, requirements=requirements,
        policies=tuple(p for p in instance.policies if ally_only(p, ally)
                       and p.kind not in ("share_cap", "share_floor")),
        links=())
    model = build_model(own)
    solution = solve_model(model, solver, duals_wanted=False)
    if solution.objective is None:
        raise SolverError(f"{ally} alone has no plan ({solution.status}) in mission "
                          f"{mission.name}")
    return float(solution.objective)


def ally_only(policy: object, ally: str) -> bool:
    """A policy about the ally alone (others' policies and links do not bind it alone)."""
    named = getattr(policy, "countries", [])
    return bool(named) and all(c == ally for c in named) and getattr(policy, "kind", "") != "link"


def standings(instance: Instance, model: PlanningModel, units: list[float],
              shortfalls: list[float], alone_losses: dict[str, float]) -> list[Standing]:
    """Each ally's covered share, loss and acceptability of a plan (its units and
    shortfalls, in the model's order)."""
    req = instance.requirements
    value = req["penalty"].to_numpy(dtype=float)
    amount = req["amount"].to_numpy(dtype=float)
    short = np.asarray(shortfalls, dtype=float)
    model_units = units_frame(model, units)
    found = []
    for ally in instance.mission.priorities:
        w, s = weights(instance, ally), scaled(instance, ally)
        whole = float(w @ (value * amount))
        covered = float(w @ (value * (amount - short))) / whole if whole > 0 else 1.0
        shares = payers(model_units, instance.capabilities.cost_bearers)
        mine = shares[shares["payer"] == ally]
        cost = model_units["cost"].to_numpy(dtype=float)
        borne = float(sum(cost[p] * sh for p, sh in zip(mine["position"], mine["share"],
                                                        strict=True)))
        uncovered = float(s @ (value * short))
        loss = borne + uncovered
        base = alone_losses[ally]
        found.append(Standing(ally, covered, borne, uncovered, loss, base,
                              1 - loss / base if base > TOLERANCE else None))
    return found


def units_frame(model: PlanningModel, units: list[float]) -> pd.DataFrame:
    """The model's units table with each column's cost in the plan."""
    frame = model.units.drop(columns="var", errors="ignore")
    return frame.assign(cost=frame["unit_cost"].to_numpy(dtype=float)
                        * np.asarray(units, dtype=float))


def joint_plan(instance: Instance, alone_losses: dict[str, float], solver: str = "highs",
               weighting: dict[str, float] | None = None
               ) -> tuple[float, list[float], list[float], float]:
    """The joint plan: with no ``weighting``, the largest t with every ally's
    acceptability at least t (max-min); with one, the largest sum of weight x
    acceptability. Then the least alliance objective holding that. Returns t (or the
    weighted sum), units, shortfalls, objective."""
    model = build_model(instance)
    problem = model.problem
    objective = problem.objective
    value = instance.requirements["penalty"].to_numpy(dtype=float)
    shorts = model.shortfalls["var"].tolist()
    if weighting is None:
        least = problem.add_variable("least_acceptability", lowBound=None, upBound=1)
    aim = pulp.LpAffineExpression()
    for ally, base in alone_losses.items():
        if base <= TOLERANCE:
            continue
        s = scaled(instance, ally)
        loss = borne_expression(instance, model, ally) + pulp.LpAffineExpression(
            [(v, float(si * vi)) for v, si, vi in zip(shorts, s, value, strict=True) if si])
        if weighting is None:
            problem += (loss + base * least <= base, f"acceptability_{ally}")
        elif weighting.get(ally, 0.0) > 0:
            # acceptability = 1 - loss / base, linear in the plan: weighted and summed
            aim += (1.0 - loss / base) * weighting[ally]
    if weighting is None:
        aim = pulp.LpAffineExpression(least)
    problem.setObjective(-1.0 * aim)
    first = solve_model(model, solver, duals_wanted=False, fast=False)
    if first.objective is None:
        raise SolverError(f"no joint plan for mission {instance.mission.name} "
                          f"({first.status})")
    best = float(pulp.value(aim))
    problem += (aim >= best - 1e-9 * max(1.0, abs(best)), "hold_joint_aim")
    problem.setObjective(objective)
    second = solve_model(model, solver, duals_wanted=False, fast=False)
    if second.objective is None:
        raise SolverError(f"no joint plan for mission {instance.mission.name} "
                          f"({second.status})")
    return best, second.units, second.shortfalls, float(second.objective)


def priorities(instance: Instance, solver: str = "highs",
               weighting: dict[str, float] | None = None) -> Analysis:
    """Each ally's acceptability of the least-cost plan and of the joint plan (max-min, or
    the ``weighting`` of the allies' acceptabilities)."""
    allies = list(instance.mission.priorities)
    present = set(instance.capabilities.countries["country"])
    missing = [a for a in allies if a not in present]
    if not allies or missing:
        raise InputError([Problem(
            f"mission {instance.mission.name}",
            "the mission gives no ally's priorities" if not allies else
            f"priorities of {', '.join(missing)}, which take no part in the mission",
            hint="add priorities: {KOR: {regions: {korean_peninsula: 3, japan: 1}}, ...} to "
            "the mission, for allies that take part")])
    check_weighting(instance, weighting)
    started = time.perf_counter()
    base = {ally: alone(instance, ally, solver) for ally in allies}
    model = build_model(instance)
    cheapest = solve_model(model, solver, duals_wanted=False)
    if cheapest.objective is None:
        raise SolverError(f"mission {instance.mission.name} has no plan ({cheapest.status})")
    least_cost = standings(instance, model, cheapest.units, cheapest.shortfalls, base)
    best, units, shorts, objective = joint_plan(instance, base, solver, weighting)
    joint = standings(instance, model, units, shorts, base)
    rows = []
    for plan, found, total in (("least cost", least_cost, float(cheapest.objective)),
                               ("joint", joint, objective)):
        for st in found:
            rows.append({"plan": plan, "objective": round(total, 6), "ally": st.ally,
                         "covered_share": round(st.covered_share, 6),
                         "borne": round(st.borne, 6),
                         "uncovered_value": round(st.uncovered_value, 6),
                         "loss": round(st.loss, 6), "alone": round(st.alone, 6),
                         "acceptability": None if st.acceptability is None
                         else round(st.acceptability, 6), "rejects": st.rejects})
    table = pd.DataFrame(rows)
    findings = sentences(instance, least_cost, joint, float(cheapest.objective), objective,
                         best, weighting)
    facts = {"solves": len(allies) + 3, "seconds": round(time.perf_counter() - started, 3),
             "ran_on": "this process", "least_cost_objective": float(cheapest.objective),
             "joint_objective": objective,
             "joint_plan": "max-min" if weighting is None else {
                 "weighting": weighting, "weighted_acceptability": best},
             "least_acceptability": best if weighting is None else min(
                 (st.acceptability for st in joint if st.acceptability is not None),
                 default=None),
             "sources": {a: instance.mission.priorities[a].source for a in allies}}
    return Analysis("priorities", instance.mission.name,
                    f"Each ally's priorities: {instance.mission.name}", findings,
                    {"acceptability": table}, facts, input_digest=instance.digest,
                    shown={"acceptability": ["plan", "ally", "covered_share", "borne",
                                             "uncovered_value", "loss", "alone",
                                             "acceptability", "rejects"]})


def check_weighting(instance: Instance, weighting: dict[str, float] | None) -> None:
    """A weighting names allies with priorities, with weights >= 0, not all 0."""
    if weighting is None:
        return
    allies = list(instance.mission.priorities)
    problems = [Problem("--joint-plan", f"{ally} has no priorities in mission "
                        f"{instance.mission.name}", hint=f"weigh {', '.join(allies)}")
                for ally in weighting if ally not in allies]
    problems += [Problem("--joint-plan", f"{ally}'s weight {w:g} is negative",
                         hint="give weights of 0 or more") for ally, w in weighting.items()
                 if w < 0]
    if not problems and not any(w > 0 for w in weighting.values()):
        problems.append(Problem("--joint-plan", "every weight is 0",
                                hint="give at least one ally a weight above 0"))
    if problems:
        raise InputError(problems)


def sentences(instance: Instance, least_cost: list[Standing], joint: list[Standing],
              cheapest: float, objective: float, best: float,
              weighting: dict[str, float] | None = None) -> list[str]:
    found = []
    for name, plan in (("least-cost", least_cost), ("joint", joint)):
        rejecting = [st for st in plan if st.rejects]
        for st in rejecting:
            found.append(
                f"{st.ally} would reject the {name} plan: it bears {st.borne:,.1f} and "
                f"{st.uncovered_value:,.1f} of its priorities' value is left uncovered (a loss "
                f"of {st.loss:,.1f} by its own priorities), against {st.alone:,.1f} alone; "
                f"the plan covers {st.covered_share:.0%} of its priorities.")
        if not rejecting:
            found.append(f"No ally would reject the {name} plan (each does at least as well "
                         "by its own priorities as it would alone).")
    lowest = min((st.acceptability for st in least_cost if st.acceptability is not None),
                 default=0.0)
    if weighting is None:
        found.append(f"The joint plan raises the least acceptability to {best:.3f} "
                     f"(least-cost plan: {lowest:.3f}); it costs the alliance "
                     f"{objective:,.1f} against {cheapest:,.1f} ({objective - cheapest:+,.1f}).")
    else:
        stated = ", ".join(f"{ally} {w:g}" for ally, w in weighting.items())
        found.append(f"The joint plan maximises the stated weighting of the allies' "
                     f"acceptabilities ({stated}): weighted sum {best:.3f}; it costs the "
                     f"alliance {objective:,.1f} against {cheapest:,.1f} "
                     f"({objective - cheapest:+,.1f}). A weighting, unlike max-min, may "
                     "leave an ally worse off than alone.")
    found.append("Acceptability = 1 - loss / loss alone; loss = cost borne + the value of the "
                 "ally's priorities left uncovered (weights scaled to 1 at its top priority); "
                 "values per unit are the requirements' (planner explain lists their basis).")
    return found
