"""Fair shares from the model itself: coalition values, Shapley, nucleolus, core, and the
Olson-Zeckhauser view.

The cost game: c(S) is the least cost, shortfall penalties included, at which coalition S
alone meets the mission (the others' units at zero, policies naming them set aside, exactly
as a mission whose ``countries`` is S), with c(empty) = 0. It takes one solve per coalition,
2^n - 1 in all, each a warm re-solve of one model.

Share caps and floors (a member's share of what its coalition delivers or spends) are a
demand a country makes of its partners, so they need partners: an ally alone carries all of
its own effort, and a cap would forbid it to act at all (with a floor of its own, such as US
forces staying in Korea, no plan would exist). They are set aside for an ally alone, and for
a larger coalition whose members cannot meet them together with their other policies (the
partners there cannot take on what the cap sheds); the findings and the coalitions table
name every coalition where that happened. The whole alliance keeps them: its plan is the
mission's.

- Shapley cost share: each ally's average marginal cost c(S + i) - c(S) over the orders in
  which the alliance could have formed. Negative means the others should pay this ally: it
  saves them more than it costs.
- Core: cost splits x with x(N) = c(N) and x(S) <= c(S) for every S (no group pays more than
  it would alone). Least core: the smallest e with x(S) <= c(S) + e; e <= 0 means the core is
  not empty. Nucleolus: the split that makes the largest excess x(S) - c(S) as small as
  possible, then the next largest, and so on (sequential linear programs).
- The plan's actual split: each ally's employment cost in the grand coalition's plan, plus a
  share of its shortfall penalty in proportion to GDP (nobody pays a penalty; it stands for
  the risk all carry).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
import pandas as pd
import pulp

from planner.analyze.results import Analysis, money
from planner.analyze.sweep import Execution, Prepared, Record, sweep
from planner.errors import SolverError
from planner.results.summary import Economy
from planner.results.summary import shares as shares_of
from planner.scenario.instance import Instance
from planner.solving.highs import HighsModel

Coalition = tuple[str, ...]
TOLERANCE = 1e-6


@dataclass(frozen=True)
class StandAlone:
    """The sweep task: the cost of the mission to one coalition acting alone."""

    def prepare(self, instance: Instance) -> Prepared:
        return Prepared.of(instance, start=True)

    def evaluate(self, prepared: Prepared, coalition: Coalition) -> Record:
        absent = set(prepared.countries) - set(coalition)
        shares = share_policies(prepared.instance, coalition)
        aside = shares if len(coalition) == 1 else []
        with prepared.without(absent, aside):
            outcome = prepared.outcome(prepared.run())
        if outcome["objective"] is None and shares and not aside and absent:
            with prepared.without(absent, shares):
                relaxed = prepared.outcome(prepared.run())
            if relaxed["objective"] is not None:
                outcome, aside = relaxed, shares
        return {"coalition": list(coalition), "shares_set_aside": aside, **outcome}


def share_policies(instance: Instance, coalition: Coalition) -> list[str]:
    """The share caps and floors in force on members of a coalition."""
    return [p.name for p in instance.policies if p.is_share
            and set(p.countries) <= set(coalition)]


def coalitions(allies: list[str]) -> list[Coalition]:
    """Every non-empty coalition, smallest first, each in the allies' order."""
    return [c for size in range(1, len(allies) + 1) for c in combinations(allies, size)]


def shapley(allies: list[str], value: dict[frozenset[str], float]) -> dict[str, float]:
    """Shapley values of a game given on every coalition (the empty one may be left out:
    it is worth 0)."""
    n = len(allies)
    worth = {frozenset(): 0.0, **value}
    result = {}
    for ally in allies:
        others = [a for a in allies if a != ally]
        total = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for group in combinations(others, size):
                s = frozenset(group)
                total += weight * (worth[s | {ally}] - worth[s])
        result[ally] = total
    return result


def excess_lp(allies: list[str], value: dict[frozenset[str], float],
              fixed: dict[frozenset[str], float], free: list[frozenset[str]],
              epsilon: float | None = None, target: frozenset[str] | None = None
              ) -> tuple[float, np.ndarray] | None:
    """min e s.t. x(S) - c(S) <= e for free S, = fixed[S] for fixed S, x(N) = c(N).
    With ``epsilon`` and ``target``: e is held at ``epsilon`` and x(target) is minimised
    instead (to learn whether target's excess must be e on every optimal split)."""
    problem = pulp.LpProblem("least_core", pulp.LpMinimize)
    x = {a: problem.add_variable(f"x[{a}]") for a in allies}
    e = problem.add_variable("excess")
    grand = frozenset(allies)
    rows: dict[str, pulp.LpConstraint] = {
        "grand": pulp.lpSum(x.values()) == value[grand]}
    for s in free:
        rows[f"free[{','.join(sorted(s))}]"] = pulp.lpSum(x[a] for a in s) - e <= value[s]
    for s, level in fixed.items():
        rows[f"fixed[{','.join(sorted(s))}]"] = pulp.lpSum(x[a] for a in s) == value[s] + level
    if epsilon is None:
        problem.setObjective(pulp.LpAffineExpression([(e, 1.0)]))
    else:
        rows["level"] = pulp.LpAffineExpression([(e, 1.0)]) == epsilon
        assert target is not None
        problem.setObjective(pulp.lpSum(x[a] for a in target))
    for name, row in rows.items():
        problem.addConstraint(row, name)
    fast = HighsModel.of(problem, [*x.values(), e], rows)
    result = fast.run()
    if not result.optimal:
        return None
    return float(result.objective or 0.0), result.values[:len(allies)]


def nucleolus(allies: list[str], value: dict[frozenset[str], float]
              ) -> tuple[dict[str, float], float]:
    """The nucleolus of a cost game and its least-core excess (the first e found)."""
    proper = [frozenset(c) for c in coalitions(allies) if len(c) < len(allies)]
    fixed: dict[frozenset[str], float] = {}
    free = list(proper)
    least: float | None = None
    x = np.zeros(len(allies))
    index = {a: i for i, a in enumerate(allies)}

    def rank(groups: list[frozenset[str]]) -> int:
        rows = [np.ones(len(allies))] + [
            np.array([1.0 if a in g else 0.0 for a in allies]) for g in groups]
        return int(np.linalg.matrix_rank(np.array(rows)))

    while free and rank(list(fixed)) < len(allies):
        found = excess_lp(allies, value, fixed, free)
        if found is None:
            break
        level, x = found
        least = level if least is None else least
        newly = []
        for s in free:
            low = excess_lp(allies, value, fixed, free, level, s)
            if low is not None and low[0] - value[s] >= level - TOLERANCE:
                newly.append(s)
        if not newly:  # numerical safety: fix the coalitions tight at this optimum
            newly = [s for s in free if x[[index[a] for a in s]].sum() - value[s]
                     >= level - TOLERANCE]
        for s in newly:
            fixed[s] = level
        free = [s for s in free if s not in fixed]
    if least is None:  # a one-ally alliance: it pays everything
        least = 0.0
        x = np.array([value[frozenset(allies)]])
    return {a: float(x[index[a]]) for a in allies}, least


def core_violations(split: dict[str, float], value: dict[frozenset[str], float]
                    ) -> list[tuple[frozenset[str], float]]:
    """Coalitions paying more in ``split`` than they would alone, with by how much."""
    found = []
    for s, worth in value.items():
        paid = sum(split[a] for a in s)
        if len(s) < len(split) and paid > worth + TOLERANCE * max(1.0, abs(worth)):
            found.append((s, paid - worth))
    return sorted(found, key=lambda item: -item[1])


def spearman(x: pd.Series, y: pd.Series) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None when a side is constant."""
    rx, ry = x.rank().to_numpy(float), y.rank().to_numpy(float)
    if len(rx) < 2 or rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def fairness(instance: Instance, execution: Execution) -> Analysis:
    """Every coalition's stand-alone cost, and the shares that follow from them."""
    allies = list(instance.capabilities.countries["country"])
    # the whole alliance first: solved from no basis, its plan is the one planner solve gives
    everyone, *smaller = reversed(coalitions(allies))
    run = sweep(instance, StandAlone(), [everyone, *reversed(smaller)], "coalition solves",
                execution)
    run.records = [*run.records[1:], run.records[0]]  # smallest coalitions first
    value = {}
    for record in run.records:
        if record["objective"] is None:
            raise SolverError(f"in mission {instance.mission.name}, the coalition "
                              f"{'+'.join(record['coalition'])} has no plan "
                              f"({record['status']}): a policy of its members cannot hold "
                              "without the others, so fair shares are not defined")
        value[frozenset(record["coalition"])] = round(record["objective"], 6)  # no solver noise
    grand = run.records[-1]
    economy = Economy.of(instance.capabilities.countries)  # the allies, in their order
    gdp = pd.Series(economy.gdp, index=allies)
    gdp_share = pd.Series(economy.gdp_share, index=allies)
    employment = pd.Series(grand["borne"]).loc[allies]  # what each pays (cost_bearers.csv)
    actual = employment + gdp_share * grand["penalty"]
    phi = shapley(allies, value)
    nucl, least = nucleolus(allies, value)
    violations = core_violations(actual.to_dict(), value)
    total = value[frozenset(allies)]
    cost_share = pd.Series(shares_of(employment.to_numpy(dtype=float)), index=allies)
    shares = pd.DataFrame({
        "ally": allies,
        "stand_alone_cost": [round(value[frozenset([a])], 6) for a in allies],
        "plan_cost": actual.round(6).to_numpy(),
        "shapley": [round(phi[a], 6) for a in allies],
        "nucleolus": [round(nucl[a], 6) for a in allies],
        "plan_minus_shapley": [round(actual[a] - phi[a], 6) for a in allies],
        "cost_share": cost_share.round(6).to_numpy(),
        "gdp_share": gdp_share.round(6).to_numpy(),
        "budget_share": economy.budget_share.round(6),
        "burden_index": (cost_share / gdp_share).round(6).to_numpy(),
    })
    games = pd.DataFrame({
        "coalition": ["+".join(r["coalition"]) for r in run.records],
        "allies": [len(r["coalition"]) for r in run.records],
        "cost": [round(r["objective"], 6) for r in run.records],
        "employment_cost": [round(r["employment_cost"], 6) for r in run.records],
        "penalty": [round(r["penalty"], 6) for r in run.records],
        "plan_pays": [round(sum(actual[a] for a in r["coalition"]), 6) for r in run.records],
        "set_aside": [", ".join(r["shares_set_aside"]) for r in run.records],
    })
    rho_shares = spearman(gdp_share, cost_share)
    rho_burden = spearman(gdp, cost_share / gdp_share)
    findings = [
        f"The whole alliance meets the mission for {money(total)} (employment "
        f"{money(grand['employment_cost'])} + penalty {money(grand['penalty'])}); "
        f"{len(value)} coalitions solved.",
    ]
    for a in allies:
        owed = (" (negative: the others would owe it this; it saves them more than it "
                "costs)") if phi[a] < 0 else ""
        findings.append(
            f"{a}: alone {money(value[frozenset([a])])}; Shapley share {money(phi[a])}{owed}, "
            f"nucleolus {money(nucl[a])}; in the plan it pays {money(actual[a])} "
            f"({signed_words(actual[a] - phi[a])} its Shapley share).")
    findings += set_aside_findings(run.records)
    if least <= TOLERANCE:
        findings.append(f"The core is not empty (least-core excess {least:,.1f}).")
    else:
        findings.append(f"The core is empty: some group always pays at least {least:,.1f} "
                        "more than it would alone (least-core excess).")
    if violations:
        worst = "; ".join(f"{'+'.join(sorted(s, key=allies.index))} by {money(over)}"
                          for s, over in violations[:3])
        findings.append(f"The plan's split is not in the core: {len(violations)} group(s) "
                        f"pay more than alone ({worst}).")
    else:
        findings.append("The plan's split lies in the core: no group of allies pays more "
                        "than it would to meet the mission alone.")
    findings.append(olson_zeckhauser(rho_shares, rho_burden))
    facts: dict[str, Any] = {
        "solves": run.solves, "seconds": round(run.seconds, 3), "ran_on": run.where,
        "coalitions": len(value), "grand_coalition_cost": total,
        "least_core_excess": round(least, 6), "plan_in_core": not violations,
        "shapley_in_core": not core_violations(phi, value),
        "spearman_gdp_share_cost_share": rho_shares,
        "spearman_gdp_burden_index": rho_burden,
    }
    shown = {"shares": ["ally", "stand_alone_cost", "plan_cost", "shapley", "nucleolus",
                        "cost_share", "gdp_share", "burden_index"]}
    if not games["set_aside"].any():  # saved always; printed where something was set aside
        shown["coalitions"] = [c for c in games.columns if c != "set_aside"]
    return Analysis("fairness", instance.mission.name,
                    f"Fair shares of {instance.mission.name}", findings,
                    {"shares": shares, "coalitions": games}, facts, shown=shown,
                    input_digest=instance.digest)


def set_aside_findings(records: list[Record]) -> list[str]:
    """Where share caps or floors were set aside to define a coalition's value, and why."""
    found = []
    for r in records:
        if not r["shares_set_aside"]:
            continue
        members = r["coalition"]
        why = ("alone, an ally carries all of its own effort" if len(members) == 1 else
               "its members cannot meet them together with their other policies")
        found.append(f"{'+'.join(members)}: {', '.join(r['shares_set_aside'])} set aside "
                     f"for its value ({why}).")
    return found


def signed_words(difference: float) -> str:
    if abs(difference) < 0.05:
        return "equal to"
    return f"{money(abs(difference))} {'above' if difference > 0 else 'below'}"


def olson_zeckhauser(rho_shares: float | None, rho_burden: float | None) -> str:
    """The two rank correlations, each with what its sign says: the number alone (-1.00
    next to 'positive: ...') read as a contradiction."""
    return ("Olson-Zeckhauser (do the larger allies carry more relative to their size?): "
            f"Spearman rank correlation of GDP share and cost share {fmt(rho_shares)}"
            f"{ranked(rho_shares, 'share of the cost')}; of GDP and burden index (cost share "
            f"/ GDP share) {fmt(rho_burden)}{ranked(rho_burden, 'burden index')}"
            f"{verdict(rho_burden)}.")


def ranked(rho: float | None, burden: str) -> str:
    """What a rank correlation between size and a burden says, in words."""
    if rho is None:
        return ""
    if abs(rho) < TOLERANCE:
        return ", so size and its " + burden + " are not ranked together"
    way = "higher" if rho > 0 else "lower"
    if abs(rho) > 1 - TOLERANCE:
        return f": the larger the ally, the {way} its {burden}"
    return f": the larger allies tend to have a {way} {burden}"


def verdict(rho_burden: float | None) -> str:
    """Whether the burden ranking bears the hypothesis out or runs against it."""
    if rho_burden is None or abs(rho_burden) < TOLERANCE:
        return ""
    return (", as Olson and Zeckhauser predict" if rho_burden > 0
            else ", the opposite of what Olson and Zeckhauser predict (the smaller allies "
            "carry more relative to their size)")


def fmt(value: float | None) -> str:
    return "undefined (a constant side)" if value is None else f"{value:+.2f}"
