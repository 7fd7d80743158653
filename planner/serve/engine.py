"""Re-solve a mission after a move, warm: the model sweeps use, changed in place.

A team's move changes a pool's quantity or readiness (the right-hand side of its ``pool``
rows) or a scenario flag (which policies and links hold: a different model). For each set
of flags the engine keeps one model inside HiGHS (``Prepared``, as the sweeps do); a pool
move sets the bounds of every pool row from the instance of the move and re-solves from the
remembered basis, so the same state gives the same plan whatever was played before it. A
pool that had no units when its model was built has no columns in it: bringing it in
rebuilds that model once.

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
from planner.highs import INF
from planner.mission import Mission, Override
from planner.model import label, pool_sentence
from planner.plan import Plan, make_plan
from planner.scenario import Instance, apply_mission
from planner.solve import read_solution
from planner.validate import Capabilities

MODELS_KEPT = 8  # models kept warm, one per set of flags played


@dataclass
class Warm:
    """One set of flags' model in HiGHS, and where its pool rows are."""

    prepared: Prepared
    at: np.ndarray  # every column's position in HiGHS (units, shortfalls, leads)
    pool_rows: np.ndarray  # HiGHS positions of the pool rows
    pool_names: list[str]  # their names, e.g. pool[JPN,aegis_ddg,conflict]
    pool_keys: list[tuple[str, str, str]]  # (country, pool, phase) of each
    built_with: frozenset[tuple[str, str]]  # pools that had units when it was built


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

    def instance(self, pools: dict[tuple[str, str], dict[str, float]],
                 flags: dict[str, str]) -> Instance:
        """The mission with the state's pool moves as overrides and its flags as --set."""
        mission = self.mission
        if pools:
            mission = mission.model_copy(update={"overrides": [
                *mission.overrides, *pool_overrides(pools, "exercise move")]})
        return apply_mission(self.capabilities, mission, self.mission_file, dict(flags))

    def solve(self, pools: dict[tuple[str, str], dict[str, float]],
              flags: dict[str, str]) -> Solved:
        instance = self.instance(pools, flags)
        started = time.perf_counter()
        warm, rebuilt = self.warm(instance, flags)
        prepared = warm.prepared
        available = available_by_pool(instance)
        upper = np.array([available.get((c, p), 0.0) for c, p, _ in warm.pool_keys])
        prepared.fast.set_row_bounds(warm.pool_rows, -INF, upper)
        result = prepared.run()
        model = prepared.model
        solution = read_solution(model, prepared.fast, warm.at, result)
        solve_ms = 1000 * (time.perf_counter() - started)
        names = dict(zip(instance.capabilities.countries["country"],
                         instance.capabilities.countries["name"], strict=True))
        for name, (c, p, h), cap in zip(warm.pool_names, warm.pool_keys, upper.tolist(),
                                        strict=True):
            row = model.rows[name]
            model.rows[name] = dataclasses.replace(row, sentence=pool_sentence(names[c], p, h,
                                                                               cap))
        return Solved(make_plan(instance, model, solution, data_dir=self.data_dir),
                      solve_ms, rebuilt)

    def warm(self, instance: Instance, flags: dict[str, str]) -> tuple[Warm, bool]:
        """The model for these flags, built when there is none or when a pool brought in
        has no columns in it."""
        key = tuple(sorted(flags.items()))
        warm = self.models.get(key)
        present = {k for k, v in available_by_pool(instance).items() if v > 0}
        if warm is not None and present <= warm.built_with:
            self.models.move_to_end(key)
            return warm, False
        prepared = Prepared.of(instance, start=True)
        model = prepared.model
        keys = list(dict.fromkeys(zip(model.units["country"], model.units["pool"],
                                      model.units["phase"], strict=True)))
        names = [label("pool", *k) for k in keys]
        at = np.concatenate([prepared.units_at, prepared.shortfalls_at, prepared.leads_at])
        warm = Warm(prepared, at, prepared.fast.rows(names), names,
                    keys, frozenset(present))  # type: ignore[arg-type]
        self.models[key] = warm
        if len(self.models) > MODELS_KEPT:
            self.models.popitem(last=False)
        return warm, True


def available_by_pool(instance: Instance) -> dict[tuple[str, str], float]:
    """Units each pool can employ in a phase: quantity times readiness."""
    pools = instance.capabilities.pools
    return {(c, p): q * r for c, p, q, r in pools[["country", "pool", "quantity",
                                                    "readiness"]].itertuples(index=False)}
