"""Cohesion and asset specificity of a plan, the measures the alliance literature proposes:

- the share of the plan carried by common or co-produced platforms (``platforms.csv``:
  Aegis, P-8, PAC-3, F-35): of the employment cost, and of each task's delivery;
- the links in force (intelligence sharing, forces working in each other's home region) and
  whether the plan relies on them: the work it assigns that an inactive link would forbid;
- each ally's dependence on another's yards and munitions: the cost it bears for work
  another's pools provide (``cost_bearers.csv``), and the stocks shipped to it by another
  (a mission with stocks).

Pure: computed from the plan's allocations and the tables, after the solve; nothing here
changes what the LP minimises.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from planner.checks.bearers import borne


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskShare(Record):
    """What a platform delivers of one task, and its share of the plan's delivery of it."""

    task: str
    delivered: float  # in the task's unit, summed over regions and phases
    share: float


class PlatformShare(Record):
    """One common or co-produced platform in the plan."""

    platform: str
    allies: list[str]  # the countries whose pools field or build it (in the tables)
    production: str  # common, co-produced, or both ("common; co-produced")
    used_by: list[str]  # the allies whose pools of it the plan employs
    cost: float
    cost_share: float
    tasks: list[TaskShare]


class LinkUse(Record):
    """A link between two allies: in force or not, and the work the plan gives it."""

    link: str
    countries: list[str]
    tasks: str  # the tasks it carries ("every task" when the link names none)
    in_force: bool
    relies: bool  # the plan assigns work that only this link allows
    cost: float  # the cost of that work
    allocations: int


class Dependence(Record):
    """Cost one ally bears for work another's pool provides (its yards, its munitions)."""

    payer: str
    provider: str
    pool: str
    task: str
    cost: float


class Shipment(Record):
    """Stock one ally ships to another over the plan."""

    supplier: str
    recipient: str
    stock: str
    amount: float


class Cohesion(Record):
    """The plan's cohesion and asset specificity measures (see the module)."""

    platform_cost_share: float  # all marked pools together
    platforms: list[PlatformShare]
    links: list[LinkUse]
    dependence: list[Dependence]
    shipments: list[Shipment]

    def sentences(self) -> list[str]:
        """What an analyst reads: one line per measure."""
        found = []
        if self.platforms:
            parts = ", ".join(f"{p.platform} {p.cost_share:.1%}" for p in self.platforms)
            found.append(f"Common or co-produced platforms carry {self.platform_cost_share:.1%} "
                         f"of the employment cost ({parts}).")
        else:
            found.append("No pool of the plan is marked as a common or co-produced platform "
                         "(platforms.csv).")
        relied = [u.link for u in self.links if u.relies]
        idle = [u.link for u in self.links if u.in_force and not u.relies]
        off = [u.link for u in self.links if not u.in_force]
        if self.links:
            found.append("Links the plan relies on: " + (", ".join(relied) or "none")
                         + ("; in force but unused: " + ", ".join(idle) if idle else "")
                         + ("; not in force: " + ", ".join(off) if off else "") + ".")
        if self.dependence:
            by = pd.DataFrame([d.model_dump() for d in self.dependence]).groupby(
                ["payer", "provider"], sort=False)["cost"].sum()
            found.append("Dependence on another's yards and munitions (cost borne for work "
                         "another provides): " + "; ".join(
                             f"{payer} on {provider} {cost:,.1f} USD m"
                             for (payer, provider), cost in by.items()) + ".")
        else:
            found.append("No ally pays for work another's pools provide (cost_bearers.csv).")
        if self.shipments:
            found.append("Stocks shipped between allies: " + "; ".join(
                f"{s.supplier} to {s.recipient} {s.amount:,.1f} {s.stock}"
                for s in self.shipments) + ".")
        return found


def platform_shares(allocations: pd.DataFrame, platforms: pd.DataFrame
                    ) -> tuple[float, list[PlatformShare]]:
    """Each marked platform's share of the employment cost and of each task's delivery."""
    total = float(allocations["cost"].sum()) if len(allocations) else 0.0
    delivered = allocations.groupby("task")["delivered"].sum() if len(allocations) else {}
    marked = allocations.merge(platforms[["country", "pool", "platform"]],
                               on=["country", "pool"]) if len(allocations) else allocations
    found = []
    for platform, rows in platforms.groupby("platform", sort=True):
        mine = marked[marked["platform"] == platform] if len(marked) else marked
        cost = float(mine["cost"].sum()) if len(mine) else 0.0
        tasks = [TaskShare(task=task, delivered=round(float(amount), 6),
                           share=round(float(amount) / float(delivered[task]), 6)
                           if delivered[task] else 0.0)
                 for task, amount in (mine.groupby("task")["delivered"].sum().items()
                                      if len(mine) else [])]
        found.append(PlatformShare(
            platform=str(platform), allies=sorted(set(rows["country"])),
            production="; ".join(sorted(set(rows["production"]))),
            used_by=sorted(set(mine["country"])) if len(mine) else [],
            cost=round(cost, 6), cost_share=round(cost / total, 6) if total else 0.0,
            tasks=tasks))
    whole = float(marked["cost"].sum()) if len(marked) else 0.0
    return (round(whole / total, 6) if total else 0.0), found


def link_uses(allocations: pd.DataFrame, links: Iterable[Any], in_force: set[str],
              homes: dict[str, str]) -> list[LinkUse]:
    """For each link policy: whether it is in force and the work of the plan that needs it
    (one ally delivering a task the link carries in the other's home region)."""
    found = []
    for link in links:
        a, b = link.country, link.partner
        needs = pd.Series(False, index=allocations.index)
        if len(allocations):
            for one, other in ((a, b), (b, a)):
                home = homes.get(other, "")
                if home:
                    needs |= (allocations["country"] == one) & (allocations["region"] == home)
            needs &= allocations["task"].map(link.carries).astype(bool)
        work = allocations[needs] if len(allocations) else allocations
        tasks = link.task if link.task is not None else "every task"
        found.append(LinkUse(
            link=link.name, countries=[a, b],
            tasks=tasks if isinstance(tasks, str) else ", ".join(tasks),
            in_force=link.name in in_force, relies=bool(len(work)),
            cost=round(float(work["cost"].sum()), 6) if len(work) else 0.0,
            allocations=len(work)))
    return found


def dependences(allocations: pd.DataFrame, bearers: pd.DataFrame) -> list[Dependence]:
    """Cost each ally bears for work of another's pools, per pool and task."""
    if not len(allocations):
        return []
    paid = borne(allocations.reset_index(drop=True), bearers)
    keys = allocations.reset_index(drop=True)[["country", "pool", "task"]]
    paid = paid.join(keys, on="position")
    other = paid[paid["payer"] != paid["country"]]
    rows = other.groupby(["payer", "country", "pool", "task"], sort=True)["cost"].sum()
    return [Dependence(payer=payer, provider=provider, pool=pool, task=task,
                       cost=round(float(cost), 6))
            for (payer, provider, pool, task), cost in rows.items() if cost > 1e-9]


def shipments(transfers: Sequence[Any]) -> list[Shipment]:
    """Stock shipped from one ally to another, summed over periods and routes."""
    total: dict[tuple[str, str, str], float] = {}
    for t in transfers:
        if t.supplier != t.recipient and t.amount > 1e-9:
            key = (t.supplier, t.recipient, t.stock)
            total[key] = total.get(key, 0.0) + float(t.amount)
    return [Shipment(supplier=s, recipient=r, stock=k, amount=round(a, 6))
            for (s, r, k), a in sorted(total.items())]


def cohesion(allocations: pd.DataFrame, platforms: pd.DataFrame, links: Iterable[Any],
             in_force: set[str], homes: dict[str, str], bearers: pd.DataFrame,
             transfers: Sequence[Any] = ()) -> Cohesion:
    """The cohesion measures of a plan (allocations: country, pool, task, region, phase,
    delivered, cost; the tables' platforms, link policies, home regions and cost bearers)."""
    share, found = platform_shares(allocations, platforms)
    return Cohesion(platform_cost_share=share, platforms=found,
                    links=link_uses(allocations, links, in_force, homes),
                    dependence=dependences(allocations, bearers),
                    shipments=shipments(transfers))
