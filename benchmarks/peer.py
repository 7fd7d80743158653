"""The same LP written the way a PuLP user would write it, the peer the planner is timed
against: tables read with pandas, one variable per (country, pool, task, region, phase)
made in nested loops, rows summed with ``lpSum``, solved by CBC (the ``cbcbox`` binary, as
``planner --solver cbc`` runs it).

It covers what the synthetic theatres of ``benchmarks.generate`` use (the kinds of policy
a plain LP has: forbid, share_cap of delivered amounts, retain_at_home, budget_cap and
links), and the benchmark checks that its optimum equals the planner's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pulp
import yaml


@dataclass
class Tables:
    """What the user's script reads from the folder and the mission file."""

    name: str
    countries: list[str]
    homes: dict[str, str]
    tasks: list[str]
    regions: list[str]
    pools: dict[str, pd.DataFrame]
    phases: list[str]
    requirements: dict[tuple[str, str, str], tuple[float, float]]  # amount, penalty
    policies: list[dict[str, Any]]
    flags: dict[str, str]


def listed(value: Any) -> list[str] | None:
    return None if value is None else [value] if isinstance(value, str) else list(value)


def read(data: Path, mission_file: Path) -> Tables:
    countries = pd.read_csv(data / "countries.csv", keep_default_na=False)
    codes = list(countries["country"])
    mission = yaml.safe_load(mission_file.read_text(encoding="utf-8"))
    standing = yaml.safe_load((data / "policies.yaml").read_text(encoding="utf-8"))
    penalty = mission.get("objective", {}).get("shortfall_penalty", 1000.0)
    requirements = {}
    for req in mission["requirements"]:
        amounts = req["amount"] if isinstance(req["amount"], dict) else {
            req["phase"]: req["amount"]}
        for phase, amount in amounts.items():
            requirements[(req["task"], req["region"], phase)] = (
                float(amount), float(req.get("penalty", penalty)))
    flags = {name: flag["default"] for name, flag in standing.get("flags", {}).items()}
    flags.update(mission.get("flags", {}))
    return Tables(
        name=mission["name"], countries=codes,
        homes={c: h for c, h in zip(codes, countries["home_region"], strict=True) if h},
        tasks=list(pd.read_csv(data / "tasks.csv")["task"]),
        regions=list(pd.read_csv(data / "regions.csv")["region"]),
        pools={c: pd.read_csv(data / f"{c}.csv") for c in codes},
        phases=list(mission["phases"]), requirements=requirements,
        policies=standing.get("policies", []) + mission.get("policies", []), flags=flags)


def holds(condition: dict[str, Any], flags: dict[str, str]) -> bool:
    return all(flags.get(flag) in listed(value) for flag, value in condition.items())


def build(t: Tables) -> tuple[pulp.LpProblem, dict[tuple[str, ...], pulp.LpVariable]]:
    """The LP, built with loops and dictionaries as a PuLP user writes it."""
    prob = pulp.LpProblem(t.name, pulp.LpMinimize)
    x: dict[tuple[str, ...], pulp.LpVariable] = {}
    cost: dict[tuple[str, ...], float] = {}
    delivers: dict[tuple[str, ...], float] = {}
    available: dict[tuple[str, str], float] = {}
    for country, table in t.pools.items():
        for row in table.to_dict("records"):
            pool = row["pool"]
            available[(country, pool)] = row["quantity"] * row["readiness"]
            if available[(country, pool)] <= 0:
                continue
            regions = t.regions if row["regions"] == "*" else row["regions"].split(";")
            for task in t.tasks:
                amount = row.get(task)
                if amount is None or pd.isna(amount) or amount <= 0:
                    continue
                extra = row.get(f"{task}_cost")
                extra = 0.0 if extra is None or pd.isna(extra) else extra
                for region in regions:
                    for phase in t.phases:
                        if (task, region, phase) in t.requirements:
                            key = (country, pool, task, region, phase)
                            x[key] = prob.add_variable("x_" + "_".join(key), lowBound=0)
                            cost[key] = row["cost_per_unit"] + extra
                            delivers[key] = amount
    short = {k: prob.add_variable("short_" + "_".join(k), lowBound=0) for k in t.requirements}
    prob += (pulp.lpSum(cost[k] * v for k, v in x.items())
             + pulp.lpSum(t.requirements[k][1] * s for k, s in short.items()))

    by_pool = defaultdict(list)
    by_need = defaultdict(list)
    for key in x:
        by_pool[key[0], key[1], key[4]].append(key)
        by_need[key[2], key[3], key[4]].append(key)
    for (country, pool, phase), keys in by_pool.items():
        prob += pulp.lpSum(x[k] for k in keys) <= available[(country, pool)], (
            f"pool_{country}_{pool}_{phase}")
    for need, (amount, _) in t.requirements.items():
        prob += (pulp.lpSum(delivers[k] * x[k] for k in by_need[need]) + short[need]
                 >= amount), "cover_" + "_".join(need)

    for policy in t.policies:
        add_policy(prob, t, policy, x, cost, delivers)
    return prob, x


def add_policy(prob: pulp.LpProblem, t: Tables, policy: dict[str, Any],
               x: dict[tuple[str, ...], pulp.LpVariable], cost: dict[tuple[str, ...], float],
               delivers: dict[tuple[str, ...], float]) -> None:
    kind, name = policy["kind"], policy["name"]
    if kind == "link":
        if holds(policy.get("active_when", {}), t.flags):
            return
        one, other = policy["country"], policy["partner"]
        tasks = listed(policy.get("task"))
        joint = [v for (c, _, task, region, _), v in x.items()
                 if (tasks is None or task in tasks)
                 and ((c == one and region == t.homes.get(other))
                      or (c == other and region == t.homes.get(one)))]
        if joint:
            prob += pulp.lpSum(joint) <= 0, name
        return
    if not holds(policy.get("when", {}), t.flags):
        return
    country = policy["country"]
    tasks, regions = listed(policy.get("task")), listed(policy.get("region"))
    phases = listed(policy.get("phase"))

    def chosen(own: bool) -> list[tuple[str, ...]]:
        return [k for k in x if (not own or k[0] == country)
                and (tasks is None or k[2] in tasks) and (regions is None or k[3] in regions)
                and (phases is None or k[4] in phases)]

    if kind == "forbid":
        keys = chosen(True)
        if keys:
            prob += pulp.lpSum(x[k] for k in keys) <= 0, name
    elif kind == "budget_cap":
        prob += pulp.lpSum(cost[k] * x[k] for k in chosen(True)) <= policy["value"], name
    elif kind == "share_cap" and policy.get("of", "delivered") == "delivered":
        own = pulp.lpSum(delivers[k] * x[k] for k in chosen(True))
        every = pulp.lpSum(delivers[k] * x[k] for k in chosen(False))
        prob += own - policy["value"] * every <= 0, name
    elif kind == "retain_at_home":
        for phase in phases or t.phases:
            keys = [k for k in chosen(True) if k[4] == phase]
            prob += pulp.lpSum(delivers[k] * x[k] for k in keys) >= policy["value"], (
                f"{name}_{phase}")
    else:
        raise NotImplementedError(f"the peer formulation has no {kind} policy")
