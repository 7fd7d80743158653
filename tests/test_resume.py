"""``--resume``: an analysis interrupted half way continues from the chunks kept in its folder
to exactly the result of an uninterrupted run, and refuses to mix in other inputs or options.

The interruption is a KeyboardInterrupt raised by the 120th solve, in this process, with
every finished case written at once (FLUSH 0): the state a kill leaves, reached without
timing. The real-cluster faults are in tests/test_cluster.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

DRAWS = ["--draws", "300"]


def invoke(*args: str) -> Any:
    from typer.testing import CliRunner

    from planner.cli.main import app

    return CliRunner().invoke(app, ["analyze", "montecarlo", "readiness-uncertainty",
                                    "--workers", "1", *args])


def saved(folder: Path) -> dict[str, Any]:
    """The analysis without how long it took and where it ran."""
    analysis = json.loads((folder / "analysis.json").read_text())
    analysis["facts"] = {k: v for k, v in analysis["facts"].items()
                         if k not in ("seconds", "wall_seconds", "ran_on", "solves")}
    return {"analysis.json": analysis, **{p.name: p.read_bytes() for p in sorted(
        folder.iterdir()) if p.suffix in (".csv", ".svg")}}


def test_an_interrupted_analysis_resumes_to_the_same_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.analyze import montecarlo, sweep
    from planner.reports.output import MANIFEST

    monkeypatch.chdir(tmp_path)
    whole = invoke(*DRAWS, "--out", "whole")
    assert whole.exit_code == 0, whole.output

    monkeypatch.setattr(sweep, "FLUSH", 0.0)
    evaluate = montecarlo.Redraw.evaluate
    calls = {"n": 0}

    def interrupted(self: Any, state: Any, case: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 120:
            raise KeyboardInterrupt
        return evaluate(self, state, case)

    monkeypatch.setattr(montecarlo.Redraw, "evaluate", interrupted)
    cut = invoke(*DRAWS, "--out", "cut")
    assert cut.exit_code != 0
    folder = tmp_path / "cut"
    chunks = [p for p in folder.iterdir() if p.name.startswith("chunk-")]
    assert len(chunks) == 119 and not (folder / "analysis.json").exists()
    monkeypatch.setattr(montecarlo.Redraw, "evaluate", evaluate)

    again = invoke(*DRAWS, "--out", "cut")
    assert again.exit_code == 2
    assert "cut: holds an interrupted analysis (119 cases kept) - pass --resume" in again.output
    other = invoke("--draws", "200", "--out", "cut", "--resume")
    assert other.exit_code == 2
    assert ("the interrupted analysis ran with --draws 300 --seed 0, this run asks for "
            "--draws 200 --seed 0") in other.output
    changed = invoke(*DRAWS, "--set", "topology=hub_and_spokes", "--out", "cut", "--resume")
    assert changed.exit_code == 2
    assert ("the mission's flags differ from those the interrupted analysis ran with "
            "(topology=network then, hub_and_spokes now)") in " ".join(changed.output.split())

    progress, manifest = folder / "progress.json", folder / MANIFEST
    kept, listed = progress.read_bytes(), manifest.read_bytes()

    def rewritten(about: dict) -> None:
        """progress.json as another run (or version) would have left it."""
        text = json.dumps(about)
        files = json.loads(listed)
        files["files"]["progress.json"] = hashlib.sha256(text.encode()).hexdigest()
        progress.write_text(text)
        manifest.write_text(json.dumps(files))

    # as a version that listed every requirement's shortfall kept it
    rewritten({k: v for k, v in json.loads(kept).items() if k != "records"})
    before = invoke(*DRAWS, "--out", "cut", "--resume")
    assert before.exit_code == 2
    assert ("the interrupted analysis was kept by a version of the planner whose records "
            "differ (form 1, this version's: 2)") in " ".join(before.output.split())
    # as a run on tables that have changed since
    rewritten({**json.loads(kept), "input_digest": "0" * 64})
    tables = invoke(*DRAWS, "--out", "cut", "--resume")
    assert tables.exit_code == 2
    assert "the tables or the mission changed since the interrupted analysis began" in (
        " ".join(tables.output.split()))
    progress.write_bytes(kept)
    manifest.write_bytes(listed)

    resumed = invoke(*DRAWS, "--out", "cut", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert saved(folder) == saved(tmp_path / "whole")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in (tmp_path / "whole").iterdir())
    ran_on = json.loads((folder / "analysis.json").read_text())["facts"]["ran_on"]
    assert ran_on == "this process; 119 cases read back from an earlier run"

    done = invoke(*DRAWS, "--out", "cut", "--resume")
    assert done.exit_code == 2 and "nothing to resume" in done.output


def test_resume_needs_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*DRAWS, "--no-save", "--resume")
    assert result.exit_code == 2
    assert "--resume: continues from the analysis folder, which --no-save does not write" in (
        result.output)


def test_a_chunk_file_is_the_json_of_its_sweep_cases_and_records() -> None:
    """The chunk file is built around the records' JSON text (encoded once, by
    ``round_trip``): the same bytes ``json.dumps`` writes for the whole object, and the
    records read back from it equal those the sweep goes on with."""
    from planner.analyze.keep import chunk_file, round_trip

    records = [{"draw": 7, "objective": 0.1 + 0.2, "status": "optimal", "lead": None,
                "shortfalls": {"asw": [1.5, float("inf")]}, "pair": (1, "two")}]
    found, text = round_trip(records)
    whole = {"sweep": "0123abcd", "cases": [7], "records": records}
    assert chunk_file("0123abcd", [7], text) == json.dumps(whole).encode()
    assert json.loads(chunk_file("0123abcd", [7], text))["records"] == found
    assert found[0]["pair"] == [1, "two"] and found[0]["objective"] == 0.1 + 0.2


def test_a_sweep_key_tells_arrays_apart_by_every_bit_and_their_shape() -> None:
    """Cases' arrays enter the sweep's key by their exact bytes (listing 20,000 draws'
    floats took 0.44 s of a command's serial part; their bytes take 0.12 s): the key
    changes with one unit in the last place, the shape or the type, and not with the
    byte order the values are stored in."""
    import numpy as np

    from planner.analyze.keep import fingerprint

    draws = np.linspace(0.1, 0.9, 6)
    key = fingerprint([(1, draws)])
    assert fingerprint([(1, draws.copy())]) == key
    assert fingerprint([(1, draws.astype(">f8"))]) == key
    changed = draws.copy()
    changed[3] = np.nextafter(changed[3], 1.0)
    assert fingerprint([(1, changed)]) != key
    assert fingerprint([(1, draws.reshape(2, 3))]) != key
    assert fingerprint([(1, draws.astype(np.float32))]) != key
    assert fingerprint([(2, draws)]) != key


def test_a_masked_array_enters_the_key_with_its_mask() -> None:
    """A masked array's bytes leave its mask out: it is listed, masked values as None."""
    import numpy as np

    from planner.analyze.keep import fingerprint

    values = np.arange(4.0)
    one = np.ma.masked_array(values, mask=[0, 1, 0, 0])
    other = np.ma.masked_array(values, mask=[0, 0, 1, 0])
    assert fingerprint([one]) != fingerprint([other])
