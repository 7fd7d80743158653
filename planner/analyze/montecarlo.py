"""Monte Carlo over readiness: how often each requirement is fully covered, and what the
mission costs, when the pools' readiness is uncertain.

A table gives each pool one readiness; the mission's ``uncertainty: readiness:`` spreads say
how far it may vary (uniform, triangular or beta). Each draw gives every spread pool one
readiness, shared by all the phases of the mission; pools are drawn independently of each
other (a common cause, such as a fleet-wide maintenance backlog, is not modelled). Draws are
made here, up front and seeded, each pool from its own stream (the seed and the pool's name),
so a draw does not depend on the worker count, on how cases are chunked, or on which other
pools are spread.

Each case sets the right-hand side of the pool's rows ``pool[c,p,h]`` to quantity x drawn
readiness and re-solves, always from the basis of the plan at the tables' readiness: every
draw starts from the same point, so its result does not depend on which draws the worker
solved before. That matters where requirements at the same penalty compete for one pool:
which of them is left short is a tie, broken the same way in every run (give them different
penalties to say which comes first). A pool the tables leave at readiness 0 has no columns in
the plan's model; the sweep's model is built with it at readiness 1, and each draw's row
bound holds it to its draw.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.analyze.results import Analysis, money
from planner.analyze.sweep import Execution, Prepared, Record, sweep
from planner.errors import InputError, Problem, refusal
from planner.formulation.force import FIELDED
from planner.inputs.load import Where
from planner.reports import charts
from planner.results.plan import SHORTFALL_TOLERANCE
from planner.results.summary import record_shortfall
from planner.scenario.instance import Instance
from planner.schema.mission import Spread
from planner.solving.highs import INF, Result

EXAMPLE = ('uncertainty: {readiness: [{pool: JPN/aegis_ddg, distribution: triangular, '
           'low: 0.5, high: 0.8, source: "assumption: rule of thirds on average"}]}')
LISTED = 5  # requirements named in the findings

# What only this analysis refuses: the loader accepts a mission without spreads, and the
# defaults of a spread depend on the pools it covers.
NO_SPREADS = refusal(
    "Mission", "A mission without `uncertainty`.",
    "the mission gives no readiness spreads to draw from (key 'uncertainty')", {},
    command="planner analyze montecarlo")
MODE_DEFAULT_OUTSIDE = refusal(
    "Spread", "A `triangular` spread without a `mode` over a pool whose readiness in the "
    "tables lies outside [`low`, `high`].",
    "the tables' readiness of {pool} ({readiness:g}), the mode by default, lies outside "
    "[low, high] = [{low:g}, {high:g}]",
    {"pool": "JPN/aegis_ddg", "distribution": "triangular", "low": 0.1, "high": 0.2},
    command="planner analyze montecarlo")
MEAN_DEFAULT_OUTSIDE = refusal(
    "Spread", "A `beta` spread without a `mean` over a pool whose readiness in the tables is "
    "0 or 1.",
    "the tables' readiness of {pool} ({readiness:g}), the mean by default, must lie strictly "
    "between 0 and 1 for a beta spread",
    {"pool": "USA/carrier_strike_group", "distribution": "beta", "concentration": 10},
    command="planner analyze montecarlo")


@dataclass(frozen=True)
class PoolSpread:
    """One pool's readiness spread, resolved against the tables (defaults filled in)."""

    country: str
    pool: str
    quantity: float
    readiness: float  # the tables', after the mission's overrides
    spread: Spread
    at: int  # position of the spread in uncertainty.readiness

    @property
    def name(self) -> str:
        return f"{self.country}/{self.pool}"

    @property
    def parameters(self) -> dict[str, float]:
        """The distribution's parameters, the tables' readiness standing in where the spread
        leaves mode or mean out."""
        s = self.spread
        if s.distribution == "uniform":
            return {"low": float(s.low or 0.0), "high": float(s.high or 0.0)}
        if s.distribution == "triangular":
            return {"low": float(s.low or 0.0),
                    "mode": self.readiness if s.mode is None else s.mode,
                    "high": float(s.high or 0.0)}
        return {"mean": self.readiness if s.mean is None else s.mean,
                "concentration": float(s.concentration or 0.0)}

    def sample(self, seed: int, draws: int) -> np.ndarray:
        """``draws`` readiness values from this pool's own stream, clipped to [0, 1]."""
        words = np.frombuffer(hashlib.sha256(self.name.encode()).digest()[:16], np.uint32)
        rng = np.random.default_rng([seed, *(int(w) for w in words)])
        p = self.parameters
        if self.spread.distribution == "beta":
            values = rng.beta(p["mean"] * p["concentration"],
                              (1 - p["mean"]) * p["concentration"], draws)
        elif p["low"] == p["high"]:
            values = np.full(draws, p["low"])
        elif self.spread.distribution == "triangular":
            values = rng.triangular(p["low"], p["mode"], p["high"], draws)
        else:
            values = rng.uniform(p["low"], p["high"], draws)
        return np.clip(values, 0.0, 1.0)


def resolve_spreads(instance: Instance) -> tuple[list[PoolSpread], list[str]]:
    """Each pool taking part that a spread covers, with the last spread covering it, and
    notes on spreads that decide no pool's readiness. A spread whose default (the tables'
    readiness) does not fit it is an input error."""
    uncertainty = instance.mission.uncertainty
    if uncertainty is None:
        raise InputError([Problem(
            instance.mission_file or instance.mission.name,
            NO_SPREADS.text(),
            hint=f"add e.g. {EXAMPLE}")])
    spreads = uncertainty.readiness
    found, problems = [], []
    deciding: set[int] = set()
    pools = instance.capabilities.pools
    for country, pool, quantity, readiness in pools[
            ["country", "pool", "quantity", "readiness"]].itertuples(index=False):
        at = max((i for i, s in enumerate(spreads) if s.applies_to(country, pool)),
                 default=None)
        if at is None:
            continue
        deciding.add(at)
        one = PoolSpread(country, pool, float(quantity), float(readiness), spreads[at], at)
        problems += default_problems(one)
        found.append(one)
    if problems:
        raise InputError(located(instance, problems))
    notes = []
    for i, spread in enumerate(spreads):
        if i in deciding:
            continue
        covered = [f"{c}/{p}" for c, p in pools[["country", "pool"]].itertuples(index=False)
                   if spread.applies_to(c, p)]
        why = ("later spreads replace it for every pool it covers" if covered else
               "no pool it covers takes part in the mission")
        notes.append(f"The spread uncertainty.readiness[{i}] ({spread.covers}) decides no "
                     f"pool's readiness: {why}.")
    return found, notes


Found = tuple[tuple[Any, ...], str, str]  # key path, message, hint


def default_problems(one: PoolSpread) -> list[Found]:
    """A mode or mean left to the tables' readiness must fit the spread."""
    s, path = one.spread, ("uncertainty", "readiness", one.at)
    if s.distribution == "triangular" and s.mode is None and not (
            (s.low or 0.0) <= one.readiness <= (s.high or 0.0)):
        return [(path, MODE_DEFAULT_OUTSIDE.text(pool=one.name, readiness=one.readiness,
                                                 low=s.low, high=s.high),
                 "give a mode, or spread that pool on its own")]
    if s.distribution == "beta" and s.mean is None and not 0 < one.readiness < 1:
        return [(path, MEAN_DEFAULT_OUTSIDE.text(pool=one.name, readiness=one.readiness),
                 "give a mean, or spread that pool on its own")]
    return []


def located(instance: Instance, found: list[Found]) -> list[Problem]:
    """Problems at key paths of the mission, with the file and line each was written at when
    the mission was read from a file (a mission that extends another names the parent)."""
    where = instance.where or Where(instance.mission_file or instance.mission.name)
    return [where.problem(path, message, hint) for path, message, hint in found]


def draw_readiness(spreads: list[PoolSpread], draws: int, seed: int) -> np.ndarray:
    """Draws x pools: one readiness per spread pool per draw."""
    if not spreads:
        return np.zeros((draws, 0))
    return np.column_stack([s.sample(seed, draws) for s in spreads])


def widened(instance: Instance, spreads: list[PoolSpread]) -> Instance:
    """The instance with spread pools that the tables leave at readiness 0 set to readiness 1,
    so that its model has their columns and rows (each draw then bounds them)."""
    idle = {(s.country, s.pool) for s in spreads if s.readiness == 0 and s.quantity > 0}
    if not idle:
        return instance
    pools = instance.capabilities.pools.copy()
    at = [(c, p) in idle for c, p in zip(pools["country"], pools["pool"], strict=True)]
    pools.loc[at, "readiness"] = 1.0
    return dataclasses.replace(instance, capabilities=dataclasses.replace(
        instance.capabilities, pools=pools))


Case = tuple[int, np.ndarray]  # (draw: 0 for the tables' readiness, readiness per pool)


@dataclass
class Drawn:
    """A worker's model, the rows each draw changes, and the basis every draw starts from."""

    prepared: Prepared
    rows: np.ndarray  # positions of the spread pools' pool[c,p,h] rows
    owner: np.ndarray  # for each row, the position of its pool among the spread pools
    quantity: np.ndarray  # for each row, its pool's quantity
    unreported: int = field(default=0)  # solves made in preparing, not yet in a record
    # a multi-year model's: each row's fielded-units column, whose coefficient (-readiness)
    # a draw changes instead of the row's bound (the fleet rows hold the quantity)
    fielded: np.ndarray | None = None
    coefficient: np.ndarray | None = None  # and its coefficient as built


@dataclass(frozen=True)
class Redraw:
    """The sweep task: bound each spread pool by quantity x its drawn readiness, re-solve
    from the tables' plan, put the bounds back."""

    pools: tuple[tuple[str, str], ...]
    readiness: tuple[float, ...]  # the tables', for the starting basis

    def prepare(self, instance: Instance) -> Drawn:
        prepared = Prepared.of(instance)
        fast = prepared.fast
        quantity = {(c, p): float(q) for c, p, q in instance.capabilities.pools[
            ["country", "pool", "quantity"]].itertuples(index=False)}
        spread = {pool: k for k, pool in enumerate(self.pools)}
        phase_at = {phase: n for n, phase in enumerate(instance.phases)}
        rows = prepared.model.table("pool")  # the spread pools' rows, joined on their keys
        pairs = list(zip(rows["country"], rows["pool"], strict=True))
        rows = rows.assign(owner=[spread.get(pair, -1) for pair in pairs],
                           quantity=[quantity.get(pair, 0.0) for pair in pairs],
                           order=rows["phase"].map(phase_at))
        rows = rows[rows["owner"] >= 0].sort_values(["owner", "order"], kind="stable")
        state = Drawn(prepared, fast.rows(rows["name"].tolist()).astype(np.int32),
                      rows["owner"].to_numpy(dtype=int), rows["quantity"].to_numpy(dtype=float))
        force = prepared.model.force
        if force is not None:
            year = rows["phase"].map(force.snapshot_of_phase)
            state.fielded = fast.columns(FIELDED.labels(pd.DataFrame(
                {"country": rows["country"], "pool": rows["pool"], "year": year})))
            state.coefficient = fast.coefficients(state.rows, state.fielded)
        prepared.remember_start(self.solve(state, np.array(self.readiness, dtype=float)))
        state.unreported = 1
        return state

    def solve(self, state: Drawn, readiness: np.ndarray) -> Result:
        """One solve at this readiness, from the tables' plan (cold where there is no basis:
        a MIP, or no optimum at the tables' readiness); the rows are put back after."""
        prepared, rows = state.prepared, state.rows
        fast = prepared.fast
        if state.fielded is not None:
            fast.set_coefficients(rows, state.fielded, -readiness[state.owner])
            try:
                return prepared.run()
            finally:
                fast.set_coefficients(rows, state.fielded, state.coefficient)
        fast.set_row_bounds(rows, -INF, state.quantity * readiness[state.owner])
        try:
            return prepared.run()
        finally:
            fast.set_row_bounds(rows, fast.arrays.row_lower[rows], fast.arrays.row_upper[rows])

    def evaluate(self, state: Drawn, case: Case) -> Record:
        draw, readiness = case
        outcome = state.prepared.outcome(self.solve(state, np.asarray(readiness, float)))
        outcome.pop("cost", None)
        solves, state.unreported = 1 + state.unreported, 0
        return {"draw": draw, **outcome, "solves": solves}


def montecarlo(instance: Instance, execution: Execution, draws: int = 200,
               seed: int = 0) -> Analysis:
    """Coverage probability of each requirement and the cost distribution over readiness
    draws from the mission's spreads."""
    spreads, notes = resolve_spreads(instance)
    drawn = draw_readiness(spreads, draws, seed)
    tables = np.array([s.readiness for s in spreads], dtype=float)
    task = Redraw(tuple((s.country, s.pool) for s in spreads), tuple(tables))
    cases: list[Case] = [(0, tables), *((i + 1, drawn[i]) for i in range(draws))]
    run = sweep(widened(instance, spreads), task, cases, "Monte Carlo draws", execution)
    base, records = run.records[0], run.records[1:]
    solved = [r for r in records if r["objective"] is not None]
    coverage = coverage_table(instance, base, solved)
    costs = cost_table(records, spreads, drawn)
    readiness = readiness_table(spreads, drawn)
    objective = np.array([r["objective"] for r in solved], dtype=float)
    summary = cost_summary(objective)
    facts: dict[str, Any] = {
        "solves": run.solves, "seconds": round(run.seconds, 3), "ran_on": run.where,
        "seed": seed, "draws": draws, "solved_draws": len(solved), "pools_spread": len(spreads),
        "base_objective": base["objective"], **{f"cost_{k}": v for k, v in summary.items()}}
    findings = [reproduce(instance, draws, seed, len(spreads))]
    findings += cost_findings(summary, solved, base)
    findings += coverage_findings(coverage, len(solved))
    unsolved = [r["status"] for r in records if r["objective"] is None]
    if unsolved:
        findings.append(f"{len(unsolved)} draw(s) could not be solved "
                        f"({', '.join(sorted(set(unsolved)))}); the figures above leave "
                        "them out.")
    findings += notes
    findings.append("Each draw gives every spread pool one readiness for all phases; pools "
                    "are drawn independently. The costs table (costs.csv when saved) holds "
                    "each draw's cost and readiness.")
    drawn = ({"cost_histogram": charts.cost_histogram(objective, base["objective"], seed)}
             if len(objective) else {})
    shown = {"coverage": ["task", "region", "phase", "required", "probability_covered",
                          "mean_shortfall", "p95_shortfall"],
             "readiness": ["country", "pool", "tables_readiness", "distribution",
                           "drawn_mean", "drawn_p5", "drawn_p95"],
             "costs": []}  # one row per draw: saved, not printed
    return Analysis("montecarlo", instance.mission.name,
                    f"Monte Carlo over readiness of {instance.mission.name}", findings,
                    {"coverage": coverage, "costs": costs, "readiness": readiness}, facts,
                    drawn, shown, input_digest=instance.digest)


def coverage_table(instance: Instance, base: Record, solved: list[Record]) -> pd.DataFrame:
    """Per requirement: how often it is fully covered, and its shortfall over the draws; the
    least likely to be covered first."""
    requirements = instance.requirements
    short = np.array([record_shortfall(r, len(requirements)) for r in solved],
                     dtype=float).reshape(len(solved), len(requirements))
    empty = not len(solved)
    table = pd.DataFrame({
        "task": requirements["task"], "region": requirements["region"],
        "phase": requirements["phase"], "required": requirements["amount"].astype(float),
        "probability_covered": np.nan if empty else (short <= SHORTFALL_TOLERANCE).mean(0),
        "mean_shortfall": np.nan if empty else np.round(short.mean(0), 6),
        "p95_shortfall": np.nan if empty else np.round(np.percentile(short, 95, axis=0), 6),
        "base_shortfall": (np.round(record_shortfall(base, len(requirements)), 6)
                           if base["objective"] is not None
                           else np.nan),
    })
    return table.sort_values("probability_covered", kind="stable").reset_index(drop=True)


def cost_table(records: list[Record], spreads: list[PoolSpread],
               drawn: np.ndarray) -> pd.DataFrame:
    """One row per draw: its status and cost, and the readiness drawn for each pool."""
    table = pd.DataFrame({
        "draw": [r["draw"] for r in records], "status": [r["status"] for r in records],
        "objective": [r["objective"] for r in records],
        "employment_cost": [r.get("employment_cost") for r in records],
        "penalty": [r.get("penalty") for r in records]})
    for k, spread in enumerate(spreads):
        table[spread.name] = drawn[:, k]
    return table


def readiness_table(spreads: list[PoolSpread], drawn: np.ndarray) -> pd.DataFrame:
    """One row per spread pool: the tables' readiness, the spread, what was drawn."""
    rows = []
    for k, s in enumerate(spreads):
        values = drawn[:, k]
        rows.append({
            "country": s.country, "pool": s.pool, "quantity": s.quantity,
            "tables_readiness": s.readiness, "distribution": s.spread.distribution,
            "parameters": ", ".join(f"{n} {v:g}" for n, v in s.parameters.items()),
            "drawn_mean": round(float(values.mean()), 6) if len(values) else np.nan,
            "drawn_p5": round(float(np.percentile(values, 5)), 6) if len(values) else np.nan,
            "drawn_p95": round(float(np.percentile(values, 95)), 6) if len(values) else np.nan,
            "spread": f"uncertainty.readiness[{s.at}]", "source": s.spread.source})
    return pd.DataFrame(rows, columns=[
        "country", "pool", "quantity", "tables_readiness", "distribution", "parameters",
        "drawn_mean", "drawn_p5", "drawn_p95", "spread", "source"])


def cost_summary(objective: np.ndarray) -> dict[str, float | None]:
    if not len(objective):
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(objective, [5, 50, 95])
    return {"mean": round(float(objective.mean()), 6), "p5": round(float(p5), 6),
            "p50": round(float(p50), 6), "p95": round(float(p95), 6)}


def reproduce(instance: Instance, draws: int, seed: int, pools: int) -> str:
    """How the run was made, as the command that repeats it exactly."""
    mission = instance.mission_file or instance.mission.name
    flags = "".join(f" --set {k}={v}" for k, v in instance.settings.items())
    return (f"{draws} draws of readiness for {pools} pool(s), seed {seed}: `planner analyze "
            f"montecarlo {mission}{flags} --draws {draws} --seed {seed}` repeats them exactly.")


def cost_findings(summary: dict[str, float | None], solved: list[Record],
                  base: Record) -> list[str]:
    if not solved:
        return ["No draw could be solved."]
    employment = float(np.mean([r["employment_cost"] for r in solved]))
    penalty = float(np.mean([r["penalty"] for r in solved]))
    return [f"Cost (employment + shortfall penalty, USD m): mean {money(summary['mean'])}, "
            f"5th percentile {money(summary['p5'])}, median {money(summary['p50'])}, 95th "
            f"percentile {money(summary['p95'])}; at the tables' readiness "
            f"{money(base['objective'])}{above(summary['mean'], base['objective'])}.",
            f"On average employment costs {money(employment)} and the shortfall penalty "
            f"{money(penalty)}."]


def above(mean: float | None, base: float | None) -> str:
    """How far the average draw costs more than the plan at the tables' readiness. The least
    cost of an LP is convex in the pools' availability, so readiness spread around a mean
    costs more on average than readiness fixed at that mean; spreads whose mean lies below
    the tables' readiness (a triangle with a long low tail) add to it."""
    if mean is None or base is None:
        return ""
    change = f", {100 * (mean - base) / base:+.1f}%" if base else ""
    return f" (the mean is {'+' if mean >= base else '-'}{money(abs(mean - base))}{change})"


def coverage_findings(coverage: pd.DataFrame, solved: int) -> list[str]:
    """Which requirements readiness puts at risk, apart from those the plan at the tables'
    readiness leaves short already."""
    if not solved:
        return []
    always = int((coverage["probability_covered"] >= 1).sum())
    risky = coverage[coverage["probability_covered"] < 1]
    if risky.empty:
        return [f"Every requirement ({always}) is fully covered in every draw."]
    found = [f"{always} of {len(coverage)} requirements are fully covered in every draw."]
    already = risky["base_shortfall"] > SHORTFALL_TOLERANCE
    if (~already).any():
        found.append("Covered at the tables' readiness but not in every draw, least likely "
                     f"first: {listed(risky[~already])}.")
    if already.any():
        found.append(f"Short at the tables' readiness already, {int(already.sum())} "
                     f"requirement(s): {listed(risky[already])}.")
    return found


def listed(rows: pd.DataFrame) -> str:
    """The first few requirements with how often each is covered and its mean shortfall."""
    named = "; ".join(
        f"{r.task} in {r.region} ({r.phase}) covered in {100 * r.probability_covered:.1f}% "
        f"of draws, mean shortfall {r.mean_shortfall:.4g} of {r.required:g}"
        for r in rows.head(LISTED).itertuples(index=False))
    return named + (f" and {len(rows) - LISTED} more" if len(rows) > LISTED else "")
