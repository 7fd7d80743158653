"""What a solved model comes to, computed in one place: each country's employment cost and
share of it (the service its pools provide), the cost it bears (what it pays, its own pools'
work and others' it pays for: ``cost_bearers.csv``, ``planner.checks.bearers``), next to its
share of GDP and of defence budgets (the burden index: share borne over the share of the
mission's ``burden_index_base``), and what the plan delivers and leaves short of each
requirement.

The Plan (``make_plan``) and every sweep's per-case record (``Prepared.outcome``: Monte
Carlo, resilience, fairness, Pareto, alternatives) take their numbers from a ``Summary``;
nothing else adds up costs by country or divides them into shares. A ``Summarizer`` is made
once per model (the positions of each column's country and requirement) and turns the
solution's arrays into a Summary with a few vector operations (``np.bincount``), so a sweep
of thousands of solves pays microseconds per case.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.checks.bearers import empty, payers

if TYPE_CHECKING:
    from planner.scenario.instance import Instance

REQUIREMENT = ["task", "region", "phase"]
NOTHING_EMPLOYED = 1e-12  # USD m: a sweep record's employment cost below it is solver noise


def record_share(record: dict[str, Any], country: str) -> float:
    """A country's share of the employment cost in a sweep's record (``Summary.record``);
    0 when nothing is employed."""
    total = record["employment_cost"]
    return record["cost"].get(country, 0.0) / total if total > NOTHING_EMPLOYED else 0.0


def record_shortfall(record: dict[str, Any], requirements: int) -> np.ndarray:
    """A sweep record's shortfall of each of the ``requirements`` (``Summary.record`` lists
    only those short)."""
    dense = np.zeros(requirements)
    dense[record["shortfall"]["at"]] = record["shortfall"]["amount"]
    return dense


def shares(part: np.ndarray, whole: float | None = None) -> np.ndarray:
    """Each part's share of the whole (their sum by default); all 0 when the whole is 0."""
    part = np.asarray(part, dtype=float)
    whole = float(part.sum()) if whole is None else float(whole)
    return part / whole if whole else np.zeros_like(part)


@dataclass(frozen=True)
class Economy:
    """The countries of the tables in their order, with the weights a burden is set
    against (GDP, defence budget; USD bn)."""

    countries: tuple[str, ...]
    names: tuple[str, ...]
    gdp: np.ndarray
    budget: np.ndarray

    @classmethod
    def of(cls, countries: pd.DataFrame) -> Economy:
        return cls(tuple(countries["country"]), tuple(countries["name"]),
                   countries["gdp_usd_bn"].to_numpy(dtype=float),
                   countries["defense_budget_usd_bn"].to_numpy(dtype=float))

    @functools.cached_property
    def gdp_share(self) -> np.ndarray:
        return shares(self.gdp)

    @functools.cached_property
    def budget_share(self) -> np.ndarray:
        return shares(self.budget)


@dataclass(frozen=True)
class Summary:
    """A solved model in numbers: arrays over the economy's countries and over the
    requirements (in the model's order). ``units`` and ``delivers`` are kept so that what
    is delivered is worked out only when asked for (a sweep rarely asks)."""

    status: str
    objective: float | None
    economy: Economy
    cost: np.ndarray  # employment cost per country (service its pools provide), USD m
    borne: np.ndarray  # cost each country bears (pays), USD m; adds up to the same total
    shortfall: np.ndarray  # per requirement, in the task's unit
    required: np.ndarray
    penalty_per_unit: np.ndarray  # USD m per unit short
    summarizer: Summarizer
    units: np.ndarray

    @property
    def countries(self) -> tuple[str, ...]:
        return self.economy.countries

    @property
    def employment_cost(self) -> float:
        return float(self.cost.sum())

    @property
    def penalty(self) -> float:
        """USD m the shortfalls add to the objective."""
        return float(self.shortfall @ self.penalty_per_unit)

    @property
    def cost_by_country(self) -> dict[str, float]:
        return dict(zip(self.countries, self.cost.tolist(), strict=True))

    @property
    def cost_share(self) -> np.ndarray:
        """Each country's share of the employment cost (0 when nothing is employed)."""
        return shares(self.cost)

    @property
    def borne_share(self) -> np.ndarray:
        """Each country's share of the employment cost it bears (0 when nothing is
        employed)."""
        return shares(self.borne, self.employment_cost)

    @property
    def borne_by_country(self) -> dict[str, float]:
        return dict(zip(self.countries, self.borne.tolist(), strict=True))

    @property
    def base_share(self) -> np.ndarray:
        """The share the burden index divides by: of GDP, or of defence budgets."""
        return (self.economy.budget_share if self.summarizer.burden_index_base == "budget"
                else self.economy.gdp_share)

    @property
    def burden_index(self) -> np.ndarray:
        """Share of the cost borne over the base share (GDP or budget); NaN where the base
        share is 0."""
        base = self.base_share
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(base > 0, self.borne_share / np.where(base > 0, base, 1.0), np.nan)

    @functools.cached_property
    def delivered(self) -> np.ndarray:
        """What the plan delivers of each requirement."""
        return self.summarizer.delivered(self.units)

    @property
    def coverage(self) -> np.ndarray:
        """The part of each requirement met (1 where nothing is required)."""
        met = np.minimum(self.delivered, self.required)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.required > 0, met / np.where(self.required > 0,
                                                              self.required, 1.0), 1.0)

    def record(self) -> dict[str, Any]:
        """The per-case record of a sweep: objective, its two parts, each country's
        employment cost (provided and borne) and the shortfall of the requirements short
        (positions and amounts; ``record_shortfall`` gives every requirement's). Listing
        every requirement's made a Monte Carlo draw's record 914 bytes pickled, of which
        91 zeros, and sending and keeping it cost 30 us against 6."""
        short = np.flatnonzero(self.shortfall)
        return {"status": self.status, "objective": float(self.objective or 0.0),
                "employment_cost": self.employment_cost, "penalty": self.penalty,
                "cost": self.cost_by_country, "borne": self.borne_by_country,
                "shortfall": {"at": short.tolist(),
                              "amount": self.shortfall[short].tolist()}}


# Columns up to which a summary sums every column: below it, the dozen numpy calls that
# pick the columns in use cost more than they save (13 against 3 us on baseline's 387).
DENSE_UP_TO = 4096


@dataclass(frozen=True)
class Summarizer:
    """A model's columns mapped to what the summary adds them into: each units column's
    country (position in the economy), cost per unit, delivery per unit and requirement
    (-1: a cell no requirement names, such as one a retain-at-home floor opens), and who
    pays what share of each column's cost (``paid_column``, ``payer``, ``paid_share``: one
    entry per column and payer, from ``planner.checks.bearers.payers``)."""

    economy: Economy
    country: np.ndarray
    unit_cost: np.ndarray
    delivers: np.ndarray
    requirement: np.ndarray
    required: np.ndarray
    penalty_per_unit: np.ndarray
    paid_column: np.ndarray
    payer: np.ndarray
    paid_share: np.ndarray
    burden_index_base: str = "gdp"  # gdp | budget: what the burden index divides by

    @classmethod
    def of(cls, units: pd.DataFrame, requirements: pd.DataFrame, countries: pd.DataFrame,
           bearers: pd.DataFrame | None = None, burden_index_base: str = "gdp"
           ) -> Summarizer:
        """From the model's units table (country, pool, task, region, phase, unit_cost,
        delivers), its requirements (task, region, phase, amount, penalty), the tables'
        countries and cost bearers; the requirement of each column is found by joining on
        its keys."""
        economy = Economy.of(countries)
        country = pd.Categorical(units["country"], categories=list(economy.countries)).codes
        if (country < 0).any():
            raise ValueError("a units column's country is not in the countries table")
        at = pd.MultiIndex.from_frame(requirements[REQUIREMENT]).get_indexer(
            pd.MultiIndex.from_frame(units[REQUIREMENT])) if len(units) else np.zeros(0, int)
        paid = payers(units, empty() if bearers is None else bearers)
        payer = pd.Categorical(paid["payer"], categories=list(economy.countries)).codes
        if (payer < 0).any():
            raise ValueError("a cost bearer is not in the countries table")
        return cls(economy, np.asarray(country, dtype=np.int64),
                   units["unit_cost"].to_numpy(dtype=float),
                   units["delivers"].to_numpy(dtype=float), np.asarray(at, dtype=np.int64),
                   requirements["amount"].to_numpy(dtype=float),
                   requirements["penalty"].to_numpy(dtype=float),
                   paid["position"].to_numpy(dtype=np.int64), np.asarray(payer, np.int64),
                   paid["share"].to_numpy(dtype=float), burden_index_base)

    @classmethod
    def of_instance(cls, instance: Instance, units: pd.DataFrame,
                    requirements: pd.DataFrame) -> Summarizer:
        """For a model of an instance: its countries, cost bearers and burden base."""
        return cls.of(units, requirements, instance.capabilities.countries,
                      instance.capabilities.cost_bearers,
                      instance.mission.burden_index_base)

    def summarize(self, units: np.ndarray, shortfall: np.ndarray, status: str,
                  objective: float | None) -> Summary:
        """The summary of one solution (units and shortfall values in the model's order)."""
        units = np.asarray(units, dtype=float)
        n = len(self.economy.countries)
        if len(units) <= DENSE_UP_TO:
            spent = units * self.unit_cost
            cost = np.bincount(self.country, weights=spent, minlength=n)
            borne = np.bincount(self.payer, weights=spent[self.paid_column] * self.paid_share,
                                minlength=n)
        else:
            cost, borne = self.sums_in_use(units, n)
        return Summary(status, objective, self.economy, cost, borne,
                       np.asarray(shortfall, dtype=float), self.required,
                       self.penalty_per_unit, self, units)

    def sums_in_use(self, units: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Cost and borne per country from the columns in use only: a plan employs a few
        thousand of a large model's hundred thousand columns (5,123 of 99,360 on the medium
        benchmark theatre: 0.35 -> 0.10 ms a case). The sums are the same to the last bit:
        the same terms, added in the same order, less zeros."""
        used = np.flatnonzero(units != 0)  # 9 times faster than of the floats themselves
        spent = units[used] * self.unit_cost[used]
        cost = np.bincount(self.country[used], weights=spent, minlength=n)
        first = self.paid_starts[used]
        counts = self.paid_starts[used + 1] - first
        entries = (np.repeat(first - np.cumsum(counts) + counts, counts)
                   + np.arange(int(counts.sum())))  # each used column's payers, in order
        borne = np.bincount(self.payer[entries],
                            weights=np.repeat(spent, counts) * self.paid_share[entries],
                            minlength=n)
        return cost, borne

    @functools.cached_property
    def paid_starts(self) -> np.ndarray:
        """Where each units column's payer entries begin (``paid_column`` is in the order
        of the columns), and where the last ends."""
        return np.searchsorted(self.paid_column, np.arange(len(self.unit_cost) + 1))

    def employed_by(self, country: str) -> np.ndarray:
        """Which units columns are the country's."""
        countries = self.economy.countries
        if country not in countries:
            return np.zeros(len(self.country), dtype=bool)
        return self.country == countries.index(country)

    def delivered(self, units: np.ndarray) -> np.ndarray:
        named = self.requirement >= 0
        return np.bincount(self.requirement[named], weights=(units * self.delivers)[named],
                           minlength=len(self.required))
