"""Re-solve a mission after a move, warm: the model sweeps use, changed in place.

A team's move changes a pool's quantity or readiness (the right-hand side of its ``pool``
rows) or a scenario flag (which policies and links hold: a different model). For each set
of flags the engine keeps one model inside HiGHS (``Prepared``, as the sweeps do); a pool
move sets the bounds of every pool row from the instance of the move and re-solves from the
remembered basis, so the same state gives the same plan whatever was played before it. A
pool that had no units when its model was built has no columns in it: bringing it in
rebuilds that model once. A multi-year mission's pool rows are bounded by the units fielded
each year, and its fleets by the table's quantity: its model is built afresh for each state.

The Plan of every state comes from ``make_plan`` on the instance with the moves applied as
mission overrides and ``--set`` flags: the same numbers ``planner solve`` would print for
that mission, so the page, the exported plan folder and the reports agree.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from planner.analyze.sweep import Prepared
from planner.checks.validate import Capabilities
from planner.formulation.model import pool_sentence
from planner.results.plan import Plan, make_plan
from planner.scenario.instance import Instance, apply_mission, apply_overrides, taking_part
from planner.schema.mission import Mission, Override
from planner.solving.highs import INF
from planner.solving.solve import read_solution

MODELS_KEPT = 8  # models kept warm, one per set of flags played


@dataclass
class Warm:
    """One set of flags' model in HiGHS, and where its pool rows are."""

    prepared: Prepared
    at: np.ndarray  # every column's position in HiGHS (units, shortfalls, then the others)
    pool_rows: np.ndarray  # HiGHS positions of the pool rows
    pool_names: list[str]  # their names, e.g. pool[JPN,aegis_ddg,conflict]
    pool_keys: list[tuple[str, str, str]]  # (country, pool, phase) of each
    built_with: frozenset[tuple[str, str]]  # pools that had units when it was built
    sizes: np.ndarray  # the bound of each pool row as its sentence says it


@dataclass(frozen=True)
class Solved:
    """A state's plan and how long its solve took."""

    plan: Plan
    solve_ms: float
    rebuilt: bool


def pool_overrides(pools: dict[tuple[str, str], dict[str, float]],
                   source: str) -> list[Override]:
    """The pool moves of a state as mission overrides (validated by the mission schema)."""
    return [Override(country=country, pool=pool, source=source, **values)  # type: ignore[arg-type]
            for (country, pool), values in pools.items()]


class Engine:
    """Plans of exercise states, from warm models kept per set of flags."""

    def __init__(self, capabilities: Capabilities, mission: Mission, mission_file: str,
                 data_dir: str) -> None:
        self.capabilities = capabilities
        self.mission = mission
        self.mission_file = mission_file
        self.data_dir = data_dir
        self.models: OrderedDict[tuple[tuple[str, str], ...], Warm] = OrderedDict()
        self.bases: dict[tuple[tuple[str, str], ...], Instance] = {}
        self.taking_part = taking_part(capabilities, mission.countries)
        countries = capabilities.countries
        self.names = dict(zip(countries["country"], countries["name"], strict=True))

    def instance(self, pools: dict[tuple[str, str], dict[str, float]],
                 flags: dict[str, str]) -> Instance:
        """The mission with the state's pool moves as overrides and its flags as --set:
        ``apply_mission`` in two steps, the flags' part (policies, links, requirements)
        kept per set of flags, the overrides applied per move."""
        key = tuple(sorted(flags.items()))
        base = self.bases.get(key)
        if base is None:
            base = self.bases[key] = apply_mission(self.capabilities, self.mission,
                                                   self.mission_file, dict(flags))
        if not pools:
            return base
        mission = self.mission.model_copy(update={"overrides": [
            *self.mission.overrides, *pool_overrides(pools, "exercise move")]})
        if mission.force is not None:  # its phases are expanded year by year: from the top
            return apply_mission(self.capabilities, mission, self.mission_file, dict(flags))
        present = set(self.taking_part.countries["country"])
        changed, overrides = apply_overrides(
            self.taking_part, [o for o in mission.overrides if o.country in present])
        return dataclasses.replace(base, capabilities=changed, mission=mission,
                                   overrides=overrides)

    def solve(self, pools: dict[tuple[str, str], dict[str, float]],
              flags: dict[str, str]) -> Solved:
        started = time.perf_counter()  # the moves applied to the mission, then the solve
        instance = self.instance(pools, flags)
        if instance.mission.force is not None:
            # A multi-year model bounds a pool's rows by the units it fields each year, and
            # its fleet rows by the table's quantity: built afresh for every state (tens of
            # milliseconds), not changed in place as a snapshot model's pool rows are.
            prepared, rebuilt = Prepared.of(instance), True
            result = prepared.run(full=True)
            at = np.concatenate([prepared.units_at, prepared.shortfalls_at, prepared.leads_at])
        else:
            available = available_by_pool(instance)
            warm, rebuilt = self.warm(instance, flags, available)
            prepared, at = warm.prepared, warm.at
            upper = np.array([available.get((c, p), 0.0) for c, p, _ in warm.pool_keys])
            prepared.fast.set_row_bounds(warm.pool_rows, -INF, upper)
            result = prepared.run(full=True)
            self.say_pool_sizes(warm, upper)
        model = prepared.model
        solution = read_solution(model, prepared.fast, at, result)
        solve_ms = 1000 * (time.perf_counter() - started)
        return Solved(make_plan(instance, model, solution, data_dir=self.data_dir),
                      solve_ms, rebuilt)

    def say_pool_sizes(self, warm: Warm, upper: np.ndarray) -> None:
        """Pool rows whose size changed say their new size (the plan lists the sentences)."""
        model = warm.prepared.model
        changed = np.flatnonzero(upper != warm.sizes)
        for i in changed.tolist():
            name, (c, p, h) = warm.pool_names[i], warm.pool_keys[i]
            model.rows[name] = model.rows[name]._replace(
                sentence=pool_sentence(self.names[c], p, h, upper[i]))
        warm.sizes = upper

    def warm(self, instance: Instance, flags: dict[str, str],
             available: dict[tuple[str, str], float]) -> tuple[Warm, bool]:
        """The model for these flags, built when there is none or when a pool brought in
        has no columns in it."""
        key = tuple(sorted(flags.items()))
        warm = self.models.get(key)
        present = {k for k, v in available.items() if v > 0}
        if warm is not None and present <= warm.built_with:
            self.models.move_to_end(key)
            return warm, False
        prepared = Prepared.of(instance, start=True)
        model = prepared.model
        pools = model.table("pool")
        keys = list(zip(pools["country"], pools["pool"], pools["phase"], strict=True))
        names = pools["name"].tolist()
        at = np.concatenate([prepared.units_at, prepared.shortfalls_at, prepared.leads_at])
        sizes = np.array([available.get((c, p), 0.0) for c, p, _ in keys])
        warm = Warm(prepared, at, prepared.fast.rows(names), names,
                    keys, frozenset(present), sizes)  # type: ignore[arg-type]
        self.models[key] = warm
        if len(self.models) > MODELS_KEPT:
            self.models.popitem(last=False)
        return warm, True


def available_by_pool(instance: Instance) -> dict[tuple[str, str], float]:
    """Units each pool can employ in a phase: quantity times readiness."""
    pools = instance.capabilities.pools
    available = (pools["quantity"] * pools["readiness"]).tolist()
    return dict(zip(zip(pools["country"], pools["pool"], strict=True), available,
                    strict=True))
