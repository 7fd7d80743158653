"""The same LP written the way a PuLP user would write it, the peer the planner is timed
against: tables read with pandas, one variable per (country, pool, task, region, phase)
made in nested loops, rows summed with ``lpSum``, solved by CBC (the ``cbcbox`` binary, as
``planner --solver cbc`` runs it).

Its policies are the planner's kinds (``planner/schema/policies/``): each kind's ``rows``
is handed a context made of this script's dictionaries and loops (``Loops``) instead of the
planner's tables, so a policy means the same in both and a new kind needs no code here. It
covers the kinds a plain LP has (all but lead_nation), and the benchmark checks that its
optimum equals the planner's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pulp
import yaml

from planner.schema.policies.base import Names, Policy
from planner.schema.policies.registry import make_policy


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
    policies: list[Policy]
    flags: dict[str, str]
    based: set[tuple[str, str, str]]  # (country, pool, host) of basing.csv


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
    basing = (pd.read_csv(data / "basing.csv", keep_default_na=False)
              if (data / "basing.csv").is_file() else pd.DataFrame(
                  columns=["country", "pool", "host"]))
    return Tables(
        name=mission["name"], countries=codes,
        homes={c: h for c, h in zip(codes, countries["home_region"], strict=True) if h},
        tasks=list(pd.read_csv(data / "tasks.csv")["task"]),
        regions=list(pd.read_csv(data / "regions.csv")["region"]),
        pools={c: pd.read_csv(data / f"{c}.csv") for c in codes},
        phases=list(mission["phases"]), requirements=requirements,
        policies=[make_policy(**p) for p in standing.get("policies", [])
                  + mission.get("policies", [])], flags=flags,
        based=set(zip(basing["country"], basing["pool"], basing["host"], strict=True)))


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

    loops = Loops(t, x, cost, delivers)
    active = {p.name for p in t.policies if p.active(t.flags)}
    for policy in t.policies:
        if policy.applies(t.flags, active):
            for row in policy.rows(loops):
                prob += row.constraint, "_".join((policy.name, *row.keys.values()))
    return prob, x


@dataclass
class Loops:
    """What a policy kind builds its rows with (``planner.schema.policies.base.RowContext``),
    over this script's dictionaries: a selection is a list of keys, a total an ``lpSum``."""

    t: Tables
    x: dict[tuple[str, ...], pulp.LpVariable]
    cost: dict[tuple[str, ...], float]
    delivers: dict[tuple[str, ...], float]

    @property
    def phases(self) -> list[str]:
        return self.t.phases

    @property
    def homes(self) -> dict[str, str]:
        return self.t.homes

    def select(self, country: Names = None, task: Names = None, region: Names = None,
               phase: Names = None) -> Keys:
        wanted = [listed(v) for v in (country, None, task, region, phase)]
        return Keys([k for k in self.x if all(w is None or part in w
                                              for part, w in zip(k, wanted, strict=True))])

    def nothing(self) -> Keys:
        return Keys([])

    def based_in(self, host: str) -> Keys:
        return Keys([k for k in self.x if (k[0], k[1], host) in self.t.based])

    def total(self, chosen: Keys, weight: str | None = None, times: float = 1.0
              ) -> pulp.LpAffineExpression:
        factor = {"unit_cost": self.cost, "delivers": self.delivers}.get(weight or "")
        return pulp.lpSum((factor[k] if factor else 1.0) * times * self.x[k]
                          for k in chosen.keys)

    def lead(self, country: str, task: str, region: str) -> Any:
        raise NotImplementedError("the peer formulation has no lead_nation policy")


@dataclass
class Keys:
    """Keys of ``x`` a policy speaks about, in the order of ``x``."""

    keys: list[tuple[str, ...]]

    def __and__(self, other: Keys) -> Keys:
        kept = set(other.keys)
        return Keys([k for k in self.keys if k in kept])

    def __or__(self, other: Keys) -> Keys:
        return Keys(self.keys + [k for k in other.keys if k not in set(self.keys)])

    def any(self) -> bool:
        return bool(self.keys)
