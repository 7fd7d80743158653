"""Force development: the rows and columns that tie a multi-year mission's years together.

The snapshot model (``planner.model``) is built on the expanded mission, one copy of the
phases per operating year o. This module then adds, for each country c, pool p, line l and
year y of the horizon:

Columns:
- ``acquire[c,p,l,y] >= 0``: units of pool p ordered by c in year y, built on line l (a
  line in another country is co-production: c pays, the line's country builds); in service
  from y + lead time, and for the service life after that; whole numbers with
  ``whole_orders`` (a MIP);
- ``fielded[c,p,o] >= 0``: units of p that c fields (crews and operates) in operating year o.

Rows:
- ``fleet[c,p,o]``: fielded <= the units owned in o: the table's quantity, less the known
  retirements up to o, plus the units delivered by o and still within their service life;
- ``pool[c,p,h_o]`` (the snapshot's own row, with a term and a sentence of its own, made by
  the build: ``pool_sentences``): units employed in phase h of year o
  <= readiness * fielded[c,p,o];
- ``personnel[c,o]``: sum over p of crew per unit * fielded[c,p,o] <= the year's limit;
- ``line[l,y]``: units delivered in year y by line l <= its deliveries per year;
- ``budget[c,y]``: unit cost * units ordered in y (for c, wherever built) + c's employment
  cost in the snapshot that stands for y <= c's pledge for y;
- ``budget_floor[c,y]``: the same spending >= c's floor for y, where its budget has one.

Objective: sum over years of (1 + r)^-(y - first) * acquisition cost, less the
end-of-horizon credit of each order (the straight-line share of its service life left after
the last year, times its cost, discounted from the year after the last; ``end_of_horizon``),
plus each snapshot's employment cost and shortfall penalty weighted by the discount factors of
the years it stands for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from planner.formulation.core import Entries, Groups
from planner.formulation.families import Row, declare
from planner.formulation.policy_rows import pulp_bound
from planner.scenario.instance import Instance
from planner.schema.force import ForceDevelopment, phase_label

ACQUIRE_KEYS = ["country", "pool", "line", "builder", "year", "in_service", "until",
                "unit_cost", "credit"]

ACQUIRE = declare("acquire", "column", ("country", "pool", "line", "year"),
                  "Units of a pool a country orders on a production line or yard in a year.")
FIELDED = declare("fielded", "column", ("country", "pool", "year"),
                  "Units of a pool a country fields in a snapshot year.")
FLEET = declare("fleet", "row", ("country", "pool", "year"),
                "A country fields at most what it owns: its table, less retirements, plus "
                "deliveries by then.")
PERSONNEL = declare("personnel", "row", ("country", "year"),
                    "A country crews at most its personnel limit's worth of fielded units.")
LINE = declare("line", "row", ("line", "year"),
               "A production line or yard delivers at most its capacity in a year.")
BUDGET = declare("budget", "row", ("country", "year"),
                 "A country spends at most its pledge in a year, on orders and operations.")
BUDGET_FLOOR = declare("budget_floor", "row", ("country", "year"),
                       "A country spends at least its floor in a year, where its budget has "
                       "one.")


@dataclass
class ForceModel:
    """The force-development columns and rows of a model, with the numbers results need."""

    acquire: pd.DataFrame  # ACQUIRE_KEYS, one row per order column
    fielded: pd.DataFrame  # country, pool, year, table, owned_before (table - retired),
    # readiness: one row per fielded column
    first_order: int = 0  # the orders' columns in the core, then the fielded units'
    pledges: dict[tuple[str, int], float] = field(default_factory=dict)
    capacities: dict[tuple[str, int], float] = field(default_factory=dict)
    limits: dict[tuple[str, int], float] = field(default_factory=dict)
    floors: dict[tuple[str, int], float] = field(default_factory=dict)
    snapshot_of_phase: dict[str, int] = field(default_factory=dict)
    integer: bool = False  # orders in whole units (a MIP)


def snapshot_phases(force: ForceDevelopment) -> dict[str, int]:
    """Each expanded phase's operating year."""
    assert force.mission_phases is not None
    return {phase_label(p, y): y for y in force.snapshots for p in force.mission_phases}


def acquisition_table(force: ForceDevelopment) -> list[tuple[Any, ...]]:
    """One row per possible order: option, line and year of order, with the share of its
    price credited for the service left after the last year (deliveries after the last
    year are left out: they serve no year of the plan)."""
    builders = {line.name: line.country for line in force.lines}
    open_to = {line.name: line.buyers for line in force.lines}
    rows = []
    for option in force.acquisitions:
        start = max(force.first_year, option.first_order or force.first_year)
        for line in option.lines:
            if option.country not in open_to[line]:
                continue
            for year in range(start, force.last_year - option.lead_time + 1):
                service = year + option.lead_time
                until = service + option.service_life if option.service_life else 10**4
                rows.append((option.country, option.pool, line, builders[line], year,
                             service, until, float(option.unit_cost),
                             force.end_credit(service, option.service_life)))
    return rows  # as ACQUIRE_KEYS name them


def pool_sentences(instance: Instance, names: dict[str, str], country: list[str],
                   pool: list[str], phase: list[str]) -> list[str]:
    """What the pool rows of a multi-year model say, in place of ``model.pool_sentence``:
    ``add_force`` makes each employ at most readiness times the units fielded in the
    phase's year. The build makes them once, as it makes the rows."""
    force = instance.mission.force
    assert force is not None
    year_of = snapshot_phases(force)
    # each sentence is a pool's words and a phase's, made once each
    said = {(c, p): f"{names[c]} can employ at most {float(r):g} of the {p} it fields in "
            for c, p, r in zip(*listed(instance.capabilities.pools, "country", "pool",
                                       "readiness"), strict=True)}
    when = {h: f"{year} in {h}, shared among its tasks and regions."
            for h, year in year_of.items()}
    return [said[(c, p)] + when[h] for c, p, h in zip(country, pool, phase, strict=True)]


def add_force(model: Any, instance: Instance,
              pool_first: np.ndarray) -> ForceModel:
    """Add the force-development columns and rows to a snapshot model (the
    ``PlanningModel`` that ``model.build`` made on an expanded mission; not imported here,
    as model.py calls this) in place, and return them. ``pool_first``: a units column of
    each of the core's pool rows, in order (its country, pool and phase are the row's)."""
    force = instance.mission.force
    assert force is not None and force.mission_phases is not None
    caps = instance.capabilities
    names = dict(zip(caps.countries["country"], caps.countries["name"], strict=True))
    year_of = snapshot_phases(force)

    ordered = acquisition_table(force)
    acquire = pd.DataFrame(ordered, columns=ACQUIRE_KEYS)

    growable = {(a.country, a.pool) for a in force.acquisitions}
    retiring: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for r in force.retirements:
        retiring[(r.country, r.pool)].append((r.year, r.quantity))
    fleet_rows = []
    for c, p, quantity, readiness in zip(*listed(caps.pools, "country", "pool", "quantity",
                                                 "readiness"), strict=True):
        if quantity <= 0 and (c, p) not in growable:
            continue
        for year in force.snapshots:
            fleet_rows.append((c, p, year, float(quantity),
                               float(quantity) - float(sum(
                                   q for y, q in retiring.get((c, p), []) if y <= year)),
                               float(readiness)))
    fielded = pd.DataFrame(fleet_rows, columns=["country", "pool", "year", "table",
                                                "owned_before", "readiness"])
    # the tables' columns as lists, from the tuples they were made of (reading a table's
    # columns back costs more than the loops over them)
    order_keys = dict(zip(ACQUIRE_KEYS, columns_of(ordered, len(ACQUIRE_KEYS)), strict=True))
    fleet = dict(zip(["country", "pool", "year", "table", "owned_before", "readiness"],
                     columns_of(fleet_rows, 6), strict=True))

    # Objective: discount the snapshots, add the orders. The core's costs and rows stay
    # arrays (``PlanningModel.scale_core_costs``, ``add_to_core_rows``): no PuLP object is
    # made for a units column here, nor for an order or fielded column, which join the
    # core's columns (``PlanningModel.add_core_columns``).
    of_year = {year: force.weight(year) for year in force.snapshots}
    weight = {phase: of_year[year] for phase, year in year_of.items()}
    phase_codes, phases = model.unit_keys["phase"]
    model.scale_core_costs(np.concatenate([
        np.array([weight.get(h, np.nan) for h in phases] + [np.nan])[phase_codes],
        np.array([weight.get(h, np.nan) for h in model.shortfalls["phase"].tolist()],
                 dtype=float)]))
    discount = {year: force.discount(year) for year in force.years}
    after = force.discount(force.last_year + 1)
    priced = [discount[year] * cost - after * credit * cost for year, cost, credit in zip(
        order_keys["year"], order_keys["unit_cost"], order_keys["credit"], strict=True)]
    first_order = model.add_core_columns(
        [*ACQUIRE.labels(acquire), *FIELDED.labels(fielded)],
        np.concatenate([np.array(priced, dtype=float), np.zeros(len(fielded))]) + 0.0,
        np.concatenate([np.full(len(acquire), int(force.whole_orders)),
                        np.zeros(len(fielded), dtype=int)]))
    first_fielded = first_order + len(acquire)
    force_model = ForceModel(acquire, fielded, first_order=first_order,
                             snapshot_of_phase=year_of,
                             integer=force.whole_orders and bool(len(acquire)))
    model.force = force_model

    fleet_keys = [fleet["country"], fleet["pool"], fleet["year"]]
    # Plain lookups, built once: a table filter per row costs a millisecond.
    # Columns by position (as ``PlanningModel.every_column`` lists them): the fleet, crew,
    # line and budget rows are arrays over them, not PuLP expressions.
    orders_of: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    by_order_year: dict[tuple[str, int], list[tuple[int, float]]] = defaultdict(list)
    by_delivery: dict[tuple[str, int], list[int]] = defaultdict(list)
    for k, (c, p, line, year, service, until, cost) in enumerate(zip(*(
            order_keys[key] for key in ("country", "pool", "line", "year", "in_service",
                                        "until", "unit_cost")), strict=True)):
        orders_of[(c, p)].append((service, until, first_order + k))
        by_order_year[(c, year)].append((first_order + k, cost))
        by_delivery[(line, service)].append(first_order + k)

    # fleet[c,p,o]: fielded <= owned.
    # The fleet, crew, line and budget rows come after every other row, as arrays
    # (``PlanningModel.add_rows_last``): each a list of rows, bounds and entries.
    force_rows: list[Row] = []
    lower: list[float] = []
    upper: list[float] = []
    entries = Entries()
    sources = fleet_sources(force)
    sentences, cited = [], []
    for at, (c, p, year, table, owned_before) in enumerate(zip(
            *fleet_keys, fleet["table"], fleet["owned_before"], strict=True),
            start=first_fielded):
        delivered = [k for service, until, k in orders_of.get((c, p), [])
                     if service <= year < until]
        retired = table - owned_before
        sentences.append(
            f"{names[c]} fields at most the {p} it owns in {year}: {table:g} in the table"
            + (f", less {retired:g} retired" if retired else "")
            + (", plus those delivered by then" if delivered else "") + ".")
        cited.append("; ".join([f"capabilities/{c}.csv ({p})", *sources.get((c, p), [])]))
        entries.add([at, *delivered], [1.0, *repeat(-1.0, len(delivered))])
        lower.append(-np.inf)
        upper.append(pulp_bound(owned_before))
    force_rows += FLEET.rows(dict(zip(FLEET.keys, fleet_keys, strict=True)), sentences, cited)

    # pool[c,p,h_o]: employ at most readiness x fielded (the build said so: pool_sentences).
    # Read from the units' codes: the fielded columns are laid out pool by pool, a year
    # each, so a row's column is its pool's first plus its year's place.
    (country, countries), (pool, pools), (phase, phases) = (
        model.unit_keys[k] for k in ("country", "pool", "phase"))
    slot = np.full((len(countries), len(pools)), -1, dtype=np.int64)
    ready = np.zeros((len(countries), len(pools)))
    country_at = {c: i for i, c in enumerate(countries.tolist())}
    pool_at = {p: i for i, p in enumerate(pools.tolist())}
    years = force.snapshots
    for k, (c, p, r) in enumerate(zip(*(fleet[key][::max(len(years), 1)]
                                        for key in ("country", "pool", "readiness")),
                                      strict=True)):
        if c in country_at and p in pool_at:
            slot[country_at[c], pool_at[p]] = first_fielded + k * len(years)
            ready[country_at[c], pool_at[p]] = r
    year_place = year_places(phases, year_of, years)
    c, p, h = country[pool_first], pool[pool_first], phase[pool_first]
    if (slot[c, p] < 0).any() or (year_place[h] < 0).any():
        raise ValueError("a pool row's pool or phase has no fielded units column")
    model.add_to_core_rows(np.arange(len(pool_first)),  # the core's rows begin with its pools'
                           slot[c, p] + year_place[h], -ready[c, p], 0.0)

    # personnel[c,o]
    crews = {(crew.country, crew.pool): crew.per_unit for crew in force.crews}
    crewed: dict[tuple[str, int], list[tuple[int, float]]] = defaultdict(list)
    for at, (c, p, y) in enumerate(zip(*fleet_keys, strict=True), start=first_fielded):
        if crews.get((c, p)):
            crewed[(c, y)].append((at, crews[(c, p)]))
    for entry in force.personnel:
        for year in force.snapshots:
            terms = crewed.get((entry.country, year), [])
            limit = float(on_limit(entry.limit, year))
            force_model.limits[(entry.country, year)] = limit
            force_rows.append(PERSONNEL.row(
                {"country": entry.country, "year": year},
                f"{names[entry.country]} can crew at most {limit:,.0f} persons' worth of "
                f"fielded units in {year}.", entry.source))
            entries.add([at for at, _ in terms], [float(per) for _, per in terms])
            lower.append(-np.inf)
            upper.append(pulp_bound(limit))

    # line[l,y]
    for line in force.lines:
        for year in force.years:
            delivered = by_delivery.get((line.name, year), [])
            if not delivered:
                continue
            capacity = line.capacity(year)
            force_model.capacities[(line.name, year)] = capacity
            force_rows.append(LINE.row(
                {"line": line.name, "year": year},
                f"{line.name} ({names.get(line.country, line.country)}) can deliver at "
                f"most {capacity:g} units in {year}.", line.source))
            entries.add(delivered, [1.0] * len(delivered))
            lower.append(-np.inf)
            upper.append(pulp_bound(capacity))

    # budget[c,y]: each holds every units column of a country in a snapshot year (as PuLP
    # expressions they would make each a PuLP object)
    gdp = dict(zip(caps.countries["country"], caps.countries["gdp_usd_bn"], strict=True))
    running = units_by_country_and_snapshot(model, year_of)
    unit_cost = model.units["unit_cost"].to_numpy(dtype=float)
    for budget in force.budgets:
        for year in force.years:
            snapshot = force.snapshot_of(year)
            pledge = budget.pledge(year, force.first_year, float(gdp[budget.country]))
            force_model.pledges[(budget.country, year)] = pledge
            placed = by_order_year.get((budget.country, year), [])
            units = running.get((budget.country, snapshot), np.zeros(0, dtype=np.int64))
            spending = ([k for k, _ in placed] + units.tolist(),
                        [float(cost) for _, cost in placed] + unit_cost[units].tolist())
            force_rows.append(BUDGET.row(
                {"country": budget.country, "year": year},
                f"{names[budget.country]} spends at most its pledge of {pledge:,.1f} USD m "
                f"in {year} on orders placed that year and on operating its forces.",
                budget.source))
            lower.append(-np.inf)
            upper.append(pledge)
            entries.add(*spending)
            floor = budget.floor(year, pledge)
            if floor is None:
                continue
            force_model.floors[(budget.country, year)] = floor
            force_rows.append(BUDGET_FLOOR.row(
                {"country": budget.country, "year": year},
                f"{names[budget.country]} spends at least {floor:,.1f} USD m in {year} "
                "on orders placed that year and on operating its forces.", budget.source))
            lower.append(floor)
            upper.append(np.inf)
            entries.add(*spending)
    model.add_rows_last(force_rows, entries.block([row.name for row in force_rows], lower,
                                                  upper))
    return force_model


def on_limit(limit: dict[int, float], year: int) -> float:
    from planner.schema.force import on_year

    return on_year(limit, year)


def fleet_sources(force: ForceDevelopment) -> dict[tuple[str, str], list[str]]:
    """The sources of the retirements of each pool, once each (a fleet row cites them after
    the table's)."""
    sources: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    for r in force.retirements:
        sources[(r.country, r.pool)][r.source] = None
    return {key: list(found) for key, found in sources.items()}


def units_by_country_and_snapshot(model: Any, year_of: dict[str, int]
                                  ) -> dict[tuple[str, int], np.ndarray]:
    """The positions of the units columns of each country in each snapshot year, in table
    order: the budget rows' operating costs (grouped on the build's codes, ``Groups``, not
    by pandas' groupby of the texts)."""
    country, countries = model.unit_keys["country"]
    phase, phases = model.unit_keys["phase"]
    years = sorted(set(year_of.values()))
    year = year_places(phases, year_of, years)[phase]
    groups = Groups.of({"country": (country, countries), "year": (year, years)},
                       ["country", "year"])
    return {(countries[country[f]], years[year[f]]): groups.order[a:b]
            for f, a, b in zip(groups.first.tolist(), groups.start[:-1].tolist(),
                               groups.start[1:].tolist(), strict=True)
            if country[f] >= 0 and year[f] >= 0}


def year_places(phases: Any, year_of: dict[str, int], years: list[int]) -> np.ndarray:
    """Each phase's operating year as its place in ``years`` (-1 for a phase outside the
    snapshots), and a last -1 where a code of -1 lands: read by the units' phase codes."""
    return np.array([years.index(year_of[h]) if h in year_of else -1 for h in phases]
                    + [-1], dtype=np.int64)


def listed(frame: pd.DataFrame, *columns: str) -> list[list[Any]]:
    """Columns of a table as plain Python lists (numbers as int and float), to loop over:
    iterating a text column of pandas costs a microsecond an item."""
    return [frame[column].to_numpy(dtype=object).tolist()
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])
            else frame[column].tolist() for column in columns]


def columns_of(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Tuples of ``width`` fields as one list per field."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [
        [] for _ in range(width)]

