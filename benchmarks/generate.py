"""Synthetic theatres in the planner's own format, scaled to a chosen model size.

The benchmark must time what a user runs, so it feeds the planner capability folders and
missions exactly like the shipped ones (countries, one pool table per country, tasks,
regions, phases, standing policies and a mission YAML), only larger. Every pool does
``tasks_per_pool`` tasks in ``regions_per_pool`` regions and the mission requires every
task in every region and phase, so the model has exactly
``countries x pools x tasks_per_pool x regions_per_pool x phases`` units columns.

    python -m benchmarks.generate medium /tmp/bench-medium
    planner validate --data /tmp/bench-medium/capabilities /tmp/bench-medium/mission.yaml
"""

from __future__ import annotations

import argparse
import csv
import random
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SEED = 20240607
ASSUMPTION = "assumption: synthetic benchmark data"


@dataclass(frozen=True)
class Size:
    """How big a synthetic theatre is; ``variables`` is the units columns it yields."""

    countries: int
    pools: int  # per country
    tasks: int
    regions: int
    phases: int
    tasks_per_pool: int = 3
    regions_per_pool: int = 4

    @property
    def variables(self) -> int:
        return (self.countries * self.pools * self.tasks_per_pool * self.regions_per_pool
                * self.phases)


SIZES = {
    "small": Size(countries=4, pools=70, tasks=16, regions=12, phases=3),  # 10,080 units
    "medium": Size(countries=6, pools=230, tasks=24, regions=16, phases=6),  # 99,360
    "large": Size(countries=8, pools=650, tasks=24, regions=16, phases=12),  # 748,800
}


def country_codes(n: int) -> list[str]:
    """Three capital letters each (the ISO pattern the schema asks for), none a real code
    the reader might mistake: X followed by two letters."""
    letters = string.ascii_uppercase
    return [f"X{letters[i // 26]}{letters[i % 26]}" for i in range(n)]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def number(value: float) -> str:
    return f"{value:.4g}"


def generate(size: Size, out: Path, name: str = "bench", seed: int = SEED) -> Path:
    """Write ``out/capabilities/`` and ``out/mission.yaml``; return the mission's path."""
    rng = random.Random(seed)
    data = out / "capabilities"
    data.mkdir(parents=True, exist_ok=True)
    codes = country_codes(size.countries)
    tasks = [f"task_{i:02d}" for i in range(size.tasks)]
    regions = [f"region_{i:02d}" for i in range(size.regions)]
    phases = [f"phase_{i:02d}" for i in range(size.phases)]
    homes = {c: regions[i] for i, c in enumerate(codes) if i < len(regions)}

    write_csv(data / "countries.csv",
              ["country", "name", "gdp_usd_bn", "defense_budget_usd_bn", "home_region",
               "source"],
              [[c, f"Country {c}", number(rng.uniform(200, 20000)),
                number(rng.uniform(5, 500)), homes.get(c, ""), ASSUMPTION] for c in codes])
    write_csv(data / "tasks.csv", ["task", "unit", "per", "description", "source"],
              [[t, "units on station", "level", f"Synthetic task {t}", ASSUMPTION]
               for t in tasks])
    write_csv(data / "regions.csv", ["region", "description", "source"],
              [[r, f"Synthetic region {r}", ASSUMPTION] for r in regions])
    write_csv(data / "phases.csv", ["phase", "description", "source"],
              [[h, f"Synthetic phase {h}", ASSUMPTION] for h in phases])

    # capacity[(country, task, region)]: what a country could deliver there if every pool
    # spread evenly over its tasks and regions; requirements and policies are sized by it
    capacity: dict[tuple[str, str, str], float] = {}
    spend = {c: 0.0 for c in codes}  # cost of every available unit employed in every phase
    header = ["pool", "description", "quantity", "readiness", "cost_per_unit", "regions"]
    header += [c for t in tasks for c in (t, f"{t}_cost")] + ["source"]
    for country in codes:
        rows = []
        for p in range(size.pools):
            quantity = rng.randint(2, 40)
            readiness = round(rng.uniform(0.5, 0.95), 2)
            served = sorted(rng.sample(regions, size.regions_per_pool))
            does = set(rng.sample(tasks, size.tasks_per_pool))
            cells = []
            for task in tasks:
                if task in does:
                    delivers = rng.choice((0.25, 0.5, 1.0, 1.0, 2.0))
                    cells += [number(delivers),
                              number(rng.uniform(0, 5)) if rng.random() < 0.3 else ""]
                    share = quantity * readiness * delivers / (
                        size.tasks_per_pool * size.regions_per_pool)
                    for region in served:
                        key = (country, task, region)
                        capacity[key] = capacity.get(key, 0.0) + share
                else:
                    cells += ["", ""]
            cost = rng.uniform(1, 30)
            spend[country] += quantity * readiness * cost * size.phases
            rows.append([f"pool_{p:03d}", f"Synthetic pool {p} of {country}", quantity,
                         readiness, number(cost), ";".join(served), *cells, ASSUMPTION])
        write_csv(data / f"{country}.csv", header, rows)

    total = {(t, r): sum(capacity.get((c, t, r), 0.0) for c in codes)
             for t in tasks for r in regions}
    write_policies(data / "policies.yaml", codes, tasks, regions, homes, capacity,
                   round(0.25 * spend[codes[2]], -1))
    requirements = []
    for (task, region), cap in total.items():
        # 30-90% of what the pools serving (task, region) give when spread evenly over their
        # tasks and regions: about 40% of pool rows bind, as in the shipped missions
        level = rng.uniform(0.3, 0.9)
        amount = {h: round(cap * level * (0.8 + 0.4 * i / max(1, size.phases - 1)), 2)
                  for i, h in enumerate(phases)}
        requirement: dict[str, Any] = {"task": task, "region": region, "amount": amount}
        if rng.random() < 0.2:
            requirement["penalty"] = rng.choice((200, 500, 2000))
        requirements.append(requirement)
    mission = {
        "name": name,
        "description": f"Synthetic benchmark theatre: {size.countries} countries, "
                       f"{size.pools} pools each, {size.tasks} tasks, {size.regions} regions, "
                       f"{size.phases} phases (about {size.variables:,} units columns).",
        "phases": phases,
        "objective": {"shortfall_penalty": 1000},
        "requirements": requirements,
    }
    path = out / "mission.yaml"
    path.write_text(yaml.safe_dump(mission, sort_keys=False, width=100), encoding="utf-8")
    return path


def write_policies(path: Path, codes: list[str], tasks: list[str], regions: list[str],
                   homes: dict[str, str], capacity: dict[tuple[str, str, str], float],
                   budget: float) -> None:
    """One standing policy of each kind a plain LP has (lead nations would make it a MIP),
    sized so that none makes the mission infeasible: a forbid, a share cap, a
    retain-at-home floor, a budget cap, and a link that is off by default."""
    first, second = codes[0], codes[1]
    home_task = max(tasks, key=lambda t: capacity.get((first, t, homes[first]), 0.0))
    retained = 0.3 * capacity.get((first, home_task, homes[first]), 0.0)
    document = {
        "flags": {"topology": {
            "values": ["network", "hub_and_spokes"], "default": "hub_and_spokes",
            "description": "network: the first two countries work in each other's home "
                           "region; hub_and_spokes: they do not.",
            "source": ASSUMPTION}},
        "policies": [
            {"name": "no_first_tasks", "kind": "forbid", "country": second,
             "task": tasks[:3], "region": regions[:2], "sentence":
             f"{second} does none of the first three tasks in the first two regions.",
             "source": ASSUMPTION},
            {"name": "share_cap_task_01", "kind": "share_cap", "country": first,
             "task": tasks[1], "value": 0.4,
             "sentence": f"{first} delivers at most 40% of {tasks[1]}.",
             "source": ASSUMPTION},
            {"name": "hold_home", "kind": "retain_at_home", "country": first,
             "task": home_task, "region": homes[first], "value": round(retained, 2),
             "sentence": f"{first} keeps {retained:.2f} of {home_task} at home.",
             "source": ASSUMPTION},
            {"name": "budget_third", "kind": "budget_cap", "country": codes[2],
             "value": budget, "sentence": f"{codes[2]} spends at most {budget:,.0f}.",
             "source": ASSUMPTION},
            {"name": "first_second_link", "kind": "link", "country": first,
             "partner": second, "active_when": {"topology": "network"},
             "sentence": f"{first} and {second} work in each other's home region only in a "
                         "networked alliance.", "source": ASSUMPTION},
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=100), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("out", type=Path, help="folder to write capabilities/ and mission.yaml")
    args = parser.parse_args(argv)
    mission = generate(SIZES[args.size], args.out, f"bench_{args.size}")
    print(f"{mission} ({SIZES[args.size].variables:,} units columns); validate with:\n"
          f"  planner validate --data {args.out / 'capabilities'} {mission}")


if __name__ == "__main__":
    main()
