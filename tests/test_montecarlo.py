"""Monte Carlo over readiness: seeded draws, coverage probabilities, and the mission key."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from planner import pipeline
from planner.analyze.montecarlo import montecarlo, resolve_spreads
from planner.analyze.sweep import Execution
from planner.errors import InputError
from planner.scenario.instance import Instance

from .conftest import REPO, run_planner, write_mission, write_tiny

HERE = Execution(workers=1, progress=False)
FLAGS = {"gsomia": {"values": ["active", "suspended"], "default": "active",
                    "description": "test flag", "source": "test"}}
EVERY_POOL = {"distribution": "uniform", "low": 0.2, "high": 1.0, "source": "test"}


def tables(tmp_path: Path, pools: dict[str, list[dict[str, Any]]]) -> Path:
    countries = {"USA": (20, 8), "JPN": (4, 1), "KOR": (2, 1)}
    data = write_tiny(tmp_path / "data", {c: countries[c] for c in pools}, ["isr", "asw"],
                      ["japan"], ["crisis"], pools)
    (data / "policies.yaml").write_text(yaml.safe_dump({"flags": FLAGS}), encoding="utf-8")
    return data


def toy(tmp_path: Path, pools: dict[str, list[dict[str, Any]]],
        requirements: list[dict[str, Any]], spreads: list[dict[str, Any]] | None,
        **document: Any) -> Instance:
    if spreads is not None:
        document["uncertainty"] = {"readiness": spreads}
    mission = write_mission(tmp_path / "toy.yaml", name="toy", phases=["crisis"],
                            requirements=requirements, **document)
    return pipeline.prepare(mission, tables(tmp_path, pools))


def pool(name: str, task: str, quantity: float, readiness: float,
         cost: float) -> dict[str, Any]:
    return {"pool": name, "quantity": quantity, "readiness": readiness, "cost_per_unit": cost,
            "regions": "*", task: 1}


def need(task: str, amount: float, penalty: float = 100) -> dict[str, Any]:
    return {"task": task, "region": "japan", "phase": "crisis", "amount": amount,
            "penalty": penalty}


# Three ISR pools, cheapest JPN; 4 orbits needed. Every pool spread on [0.2, 1].
GAME = {"USA": [pool("drone", "isr", 10, 1, 5)], "JPN": [pool("drone", "isr", 3, 1, 2)],
        "KOR": [pool("drone", "isr", 2, 1, 3)]}


def test_the_same_seed_gives_the_same_results(tmp_path: Path) -> None:
    instance = toy(tmp_path, GAME, [need("isr", 4)], [EVERY_POOL])
    first = montecarlo(instance, HERE, draws=40, seed=7)
    again = montecarlo(instance, HERE, draws=40, seed=7)
    for name, table in first.tables.items():
        assert again.tables[name].equals(table), name
    assert again.charts == first.charts
    other = montecarlo(instance, HERE, draws=40, seed=8)
    assert not other.tables["costs"]["objective"].equals(first.tables["costs"]["objective"])
    assert first.facts["seed"] == 7 and first.facts["draws"] == 40
    assert first.facts["solves"] == 40 + 2  # the draws, the tables' plan, the starting basis
    assert "--draws 40 --seed 7" in first.findings[0]


def test_readiness_fixed_at_one_covers_every_requirement(tmp_path: Path) -> None:
    # At the tables' readiness (0.5) half of each requirement is short; at 1 all is covered:
    # 4 ISR at 5 and 3 ASW at 3, 29 in every draw.
    pools = {"USA": [pool("drone", "isr", 4, 0.5, 5)], "KOR": [pool("sub", "asw", 3, 0.5, 3)]}
    fixed = {"distribution": "uniform", "low": 1, "high": 1, "source": "test"}
    instance = toy(tmp_path, pools, [need("isr", 4), need("asw", 3)], [EVERY_POOL, fixed])
    analysis = montecarlo(instance, HERE, draws=25, seed=1)
    coverage = analysis.tables["coverage"].set_index("task")
    assert coverage["probability_covered"].to_dict() == {"isr": 1.0, "asw": 1.0}
    assert coverage["base_shortfall"].to_dict() == pytest.approx({"isr": 2, "asw": 1.5})
    assert analysis.tables["costs"]["objective"].tolist() == pytest.approx([29.0] * 25)
    assert analysis.facts["base_objective"] == pytest.approx(10 + 4.5 + 200 + 150)
    assert "Every requirement (2) is fully covered in every draw." in analysis.findings
    assert ("The spread uncertainty.readiness[0] (every pool) decides no pool's readiness: "
            "later spreads replace it for every pool it covers.") in analysis.findings


def test_a_pool_ready_half_the_time_covers_half_the_draws(tmp_path: Path) -> None:
    """One pool of 10 covers a need of 5 when its readiness, uniform on [0, 1], reaches 0.5.
    The tables leave it at readiness 0, so the draws alone give it units."""
    draws = 400
    instance = toy(tmp_path, {"JPN": [pool("drone", "isr", 10, 0, 1)]}, [need("isr", 5)],
                   [{"pool": "JPN/drone", "distribution": "uniform", "low": 0, "high": 1,
                     "source": "test"}])
    analysis = montecarlo(instance, HERE, draws=draws, seed=3)
    [row] = analysis.tables["coverage"].itertuples(index=False)
    drawn = analysis.tables["costs"]["JPN/drone"].to_numpy()
    assert row.probability_covered == pytest.approx(np.mean(drawn >= 0.5), abs=1e-12)
    assert row.base_shortfall == 5
    # Covered with probability 1/2: binomial standard error sqrt(1/4 / 400) = 0.025; four of
    # them. Mean shortfall: the integral of 5 - 10 r over [0, 1/2] = 1.25, standard
    # deviation 1.61, standard error 0.081; four of them.
    assert row.probability_covered == pytest.approx(0.5, abs=4 * 0.025)
    assert row.mean_shortfall == pytest.approx(1.25, abs=4 * 0.081)
    assert np.mean(drawn) == pytest.approx(0.5, abs=4 * (1 / 12 / draws) ** 0.5)


SPREADS = [{"pool": "USA/drone", "distribution": "triangular", "low": 0.3, "high": 0.9,
            "source": "test"},
           {"pool": "JPN/drone", "distribution": "beta", "mean": 0.6, "concentration": 5,
            "source": "test"},
           {"country": "KOR", "distribution": "uniform", "low": 0, "high": 1, "source": "test"}]
MIXED = {"USA": [pool("drone", "isr", 4, 0.6, 5)], "JPN": [pool("drone", "isr", 3, 0.6, 2)],
         "KOR": [pool("sub", "asw", 5, 0.5, 3)]}


def test_warm_re_solves_equal_cold_solves_of_the_drawn_tables(tmp_path: Path) -> None:
    instance = toy(tmp_path, MIXED, [need("isr", 4, 100), need("asw", 3, 70)], SPREADS)
    analysis = montecarlo(instance, HERE, draws=4, seed=11)
    data = tmp_path / "data"
    for draw in analysis.tables["costs"].to_dict("records"):
        overrides = [{"country": name.split("/")[0], "pool": name.split("/")[1],
                      "readiness": float(draw[name]), "source": "test"}
                     for name in ("USA/drone", "JPN/drone", "KOR/sub")]
        mission = write_mission(tmp_path / f"draw{draw['draw']}.yaml", name="cold",
                                phases=["crisis"], overrides=overrides,
                                requirements=[need("isr", 4, 100), need("asw", 3, 70)])
        plan = pipeline.solve(mission, data)
        assert plan.objective == pytest.approx(draw["objective"], rel=1e-9)
        assert plan.total_cost == pytest.approx(draw["employment_cost"], rel=1e-9, abs=1e-9)
        assert plan.shortfall_penalty == pytest.approx(draw["penalty"], rel=1e-9, abs=1e-9)
    assert analysis.tables["costs"]["objective"].nunique() == 4


def test_a_process_pool_gives_what_one_process_gives(tmp_path: Path) -> None:
    """Two requirements at the same penalty compete for one pool: which is left short is a
    tie the solver breaks by where it starts. Every draw starts from the same basis, so the
    chunks a pool of workers solves give what one process gives."""
    both = {**pool("drone", "isr", 6, 1, 1), "asw": 1}
    instance = toy(tmp_path, {"JPN": [both], "USA": [pool("drone", "isr", 3, 1, 5)],
                              "KOR": [pool("sub", "asw", 3, 1, 5)]},
                   [need("isr", 5), need("asw", 5)], [{**EVERY_POOL, "low": 0}])
    here = montecarlo(instance, HERE, draws=30, seed=5)
    pool_run = montecarlo(instance, Execution(workers=2, progress=False), draws=30, seed=5)
    assert pool_run.facts["ran_on"] == "2 local processes"
    for name, table in here.tables.items():
        assert pool_run.tables[name].equals(table), name


def test_spreads_name_existing_pools_and_fit_their_distribution(tmp_path: Path) -> None:
    spreads = [{"pool": "JPN/dron", "distribution": "uniform", "low": 0, "high": 1,
                "source": "test"},
               {"country": "CHN", "distribution": "uniform", "low": 0, "high": 1,
                "source": "test"},
               {"pool": "JPN/drone", "distribution": "triangular", "low": 0.2,
                "source": "test"},
               {"pool": "JPN/drone", "distribution": "beta", "low": 0.2, "concentration": 4,
                "source": "test"}]
    with pytest.raises(InputError) as caught:
        toy(tmp_path, GAME, [need("isr", 4)], spreads)
    path = tmp_path / "toy.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()

    def line(index: int) -> int:
        starts = [n for n, text in enumerate(lines, 1) if text.startswith("  - ")]
        return starts[index]

    got = {(p.column, p.row, p.message, p.hint) for p in caught.value.problems}
    assert got == {
        ("uncertainty.readiness[2]", line(2), "a triangular spread needs high", None),
        ("uncertainty.readiness[3]", line(3),
         "a beta spread takes no low (it takes concentration, mean)", None),
    }
    # the structure right, the tables are checked: unknown pools and countries, located
    spreads = spreads[:2]
    with pytest.raises(InputError) as caught:
        toy(tmp_path, GAME, [need("isr", 4)], spreads)
    got = {(p.file, p.column, p.row, p.message, p.hint) for p in caught.value.problems}
    assert got == {
        (str(path), "uncertainty.readiness[0].pool", line(0), "JPN has no pool 'dron'",
         "did you mean drone?"),
        (str(path), "uncertainty.readiness[1].country", line(1),
         "unknown country 'CHN'", "known countries: JPN, KOR, USA"),
    }


def test_a_default_that_does_not_fit_its_spread_is_located(tmp_path: Path) -> None:
    # The tables give JPN/drone readiness 1, the triangle's mode by default: outside it.
    spreads = [{"country": "JPN", "distribution": "triangular", "low": 0.2, "high": 0.8,
                "source": "test"}]
    instance = toy(tmp_path, GAME, [need("isr", 4)], spreads)
    with pytest.raises(InputError) as caught:
        montecarlo(instance, HERE, draws=3)
    [problem] = caught.value.problems
    written = (tmp_path / "toy.yaml").read_text(encoding="utf-8").splitlines()
    assert (problem.file, problem.column, problem.row) == (
        str(tmp_path / "toy.yaml"), "uncertainty.readiness[0]",
        written.index("  - country: JPN") + 1)
    assert problem.message == ("the tables' readiness of JPN/drone (1), the mode by default, "
                               "lies outside [low, high] = [0.2, 0.8]")


def test_a_child_mission_replaces_its_parents_spreads(tmp_path: Path) -> None:
    data = tables(tmp_path, GAME)
    parent = write_mission(tmp_path / "parent.yaml", name="parent", phases=["crisis"],
                           requirements=[need("isr", 4)],
                           uncertainty={"readiness": [EVERY_POOL]})
    child = write_mission(tmp_path / "child.yaml", name="child", extends="parent",
                          uncertainty={"readiness": [{**EVERY_POOL, "country": "KOR"}]})
    heir = write_mission(tmp_path / "heir.yaml", name="heir", extends="parent")
    spreads, _ = resolve_spreads(pipeline.prepare(child, data))
    assert [s.name for s in spreads] == ["KOR/drone"]
    spreads, _ = resolve_spreads(pipeline.prepare(heir, data))
    assert [s.name for s in spreads] == ["USA/drone", "JPN/drone", "KOR/drone"]
    parent.write_text(parent.read_text(encoding="utf-8").replace("low: 0.2", "low: 2"),
                      encoding="utf-8")
    with pytest.raises(InputError) as caught:
        pipeline.prepare(heir, data)
    [problem] = caught.value.problems
    assert (problem.file, problem.column) == (str(parent), "uncertainty.readiness[0].low")


def test_montecarlo_from_the_command_line(tmp_path: Path) -> None:
    result = run_planner("analyze", "montecarlo", "readiness-uncertainty", "--draws", "20",
                         "--seed", "2", "--workers", "1", "--out", "mc", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # as read, whatever the terminal's wrapping
    assert "--draws 20 --seed 2` repeats them exactly" in text
    assert {p.name for p in (tmp_path / "mc").iterdir()} == {
        ".planner-manifest.json", "analysis.json", "coverage.csv", "costs.csv", "readiness.csv",
        "cost_histogram.svg"}
    saved = yaml.safe_load((tmp_path / "mc" / "analysis.json").read_text(encoding="utf-8"))
    assert saved["facts"]["seed"] == 2 and len(saved["tables"]["costs"]) == 20
    result = run_planner("analyze", "montecarlo", str(REPO / "missions" / "baseline.yaml"),
                         "--no-save", cwd=tmp_path)
    assert result.returncode == 2
    assert "the mission gives no readiness spreads to draw from" in result.stderr
    assert "uncertainty: {readiness: [{pool: JPN/aegis_ddg" in result.stderr


def test_a_multi_year_mission_draws_the_readiness_of_the_units_it_fields(
        tmp_path: Path) -> None:
    """force-development-2035 with two spreads: a pool's rows there are bounded by readiness
    times the units fielded that year, so a draw changes that coefficient (not the row's
    bound, which is 0). Every draw's warm re-solve equals a cold solve of the model with the
    coefficients changed in its arrays. (A cold solve of the mission with the drawn
    readiness as an override differs where the mission's penalties are worked out from the
    tables' readiness: a draw keeps the tables' penalties, as on every mission.)"""
    import dataclasses

    from planner.analyze.montecarlo import Redraw
    from planner.solving.highs import HighsModel

    names = ("KOR/army_division", "JPN/aegis_ddg")
    spreads = [{"pool": names[0], "distribution": "uniform", "low": 0.8, "high": 1.0,
                "source": "test"},
               {"pool": names[1], "distribution": "uniform", "low": 0.4, "high": 0.8,
                "source": "test"}]
    missions = Path(shutil.copytree(REPO / "missions", tmp_path / "missions"))
    drawn = write_mission(missions / "drawn.yaml", name="drawn",
                          extends="force-development-2035",
                          uncertainty={"readiness": spreads})
    instance = pipeline.prepare(drawn, REPO / "capabilities")
    analysis = montecarlo(instance, HERE, draws=3, seed=5)
    costs = analysis.tables["costs"].to_dict("records")
    assert len({round(d["objective"], 6) for d in costs}) == 3
    pools = tuple(tuple(name.split("/")) for name in names)
    table = instance.capabilities.pools.set_index(["country", "pool"])["readiness"]
    state = Redraw(pools, tuple(float(table[p]) for p in pools)).prepare(instance)  # type: ignore[arg-type]
    assert state.fielded is not None and len(state.rows) == 2 * 3 * 10  # pools, phases, years
    a = state.prepared.fast.arrays
    for draw in costs:
        readiness = np.array([draw[name] for name in names])
        value = a.value.copy()
        for row, column, coefficient in zip(state.rows.tolist(), state.fielded.tolist(),
                                            (-readiness[state.owner]).tolist(), strict=True):
            held = a.index[a.start[row]:a.start[row + 1]]
            value[a.start[row] + int(np.flatnonzero(held == column)[0])] = coefficient
        cold = HighsModel(dataclasses.replace(a, value=value)).run(objective_only=True)
        assert cold.objective == pytest.approx(draw["objective"], rel=1e-9)
