"""A newcomer answers their own question: a shipped mission with two flags changed gives a
plan, an explanation and a report that say which flags they were solved with (titles and
default file names), never state the mission file's text as true for other flags, and show
each number with one name, one unit and one sign in the CLI, the reports and the JSON.

The commands run once per module, as a user runs them, in a fresh folder."""

from __future__ import annotations

import csv
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from planner.reports.render import number
from planner.reports.report import fmt
from planner.results.plan import Plan

from .conftest import REPO, run_planner

FLAGS = ["--set", "japan_situation=survival_threatening", "--set", "gsomia=suspended"]
NAME = "taiwan_contingency--gsomia=suspended--japan_situation=survival_threatening"
TITLE = "taiwan_contingency (gsomia=suspended, japan_situation=survival_threatening)"


def ok(result: subprocess.CompletedProcess[str], *codes: int) -> str:
    assert result.returncode in (codes or (0,)), result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """solve with two flags, report, follow the report's one-line hint, report again."""
    root = tmp_path_factory.mktemp("question")
    solved = ok(run_planner("solve", "taiwan-contingency", *FLAGS, cwd=root), 1)
    ok(run_planner("report", f"plans/{NAME}", "--format", "md", cwd=root))
    before = (root / "reports" / f"{NAME}.md").read_text(encoding="utf-8")
    [hint] = re.findall(r"Not in this plan .*?: `(planner explain [^`]*)`", before)
    ok(run_planner(*shlex.split(hint)[1:], cwd=root), 1)
    explained = ok(run_planner("explain", "taiwan-contingency", *FLAGS, "--no-save",
                               cwd=root), 1)
    as_json = json.loads(ok(run_planner("explain", "taiwan-contingency", *FLAGS, "--format",
                                        "json", "--no-save", cwd=root), 1))
    ok(run_planner("report", f"plans/{NAME}", "--format", "md", "--out", "after.md",
                   cwd=root))
    return {"root": root, "solved": solved, "before": before, "explained": explained,
            "json": as_json, "after": (root / "after.md").read_text(encoding="utf-8"),
            "plan": Plan.model_validate_json((root / "plans" / NAME / "plan.json").read_text(
                encoding="utf-8"))}


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end > 0 else None]


def md_rows(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("| ").split(" | ")]
    return [dict(zip(header, [c.strip() for c in line.strip().strip("|").split(" | ")],
                     strict=True)) for line in lines[1:]]


def test_the_plan_says_which_flags_it_was_solved_with(question: dict) -> None:
    solved, plan = question["solved"], question["plan"]
    flat = " ".join(solved.split())
    assert "Mission taiwan_contingency (gsomia=suspended, japan_situation=survival_threat" \
           in flat.replace("Mission    ", "Mission ")
    assert ("gsomia=suspended (the file: active); japan_situation=survival_threatening (the "
            "file: important_influence).") in flat
    # the description that the flags contradict is shown as the file's, never as the plan's
    assert ("From the mission file, written for its own flags (gsomia=active, "
            "japan_situation=important_influence); where it disagrees with the flags this "
            "plan was solved with, the flags hold: A Taiwan contingency.") in flat
    assert f"Plan written to plans/{NAME}/" in flat
    assert plan.changed_flags == {"gsomia": "suspended",
                                  "japan_situation": "survival_threatening"}
    assert plan.name == NAME and plan.title == TITLE


def test_the_report_title_and_file_name_carry_the_flags(question: dict) -> None:
    lines = question["before"].splitlines()
    assert lines[0] == f"# Plan: {TITLE}"
    assert lines[2].startswith("**Solved with flags that differ from the mission file")
    description = next(line for line in lines if "A Taiwan contingency" in line)
    assert description.startswith("*From the mission file, written for its own flags")
    assert (question["root"] / "reports" / f"{NAME}.md").is_file()
    assert question["explained"].startswith(
        "Mission taiwan_contingency with gsomia=suspended, japan_situation=survival_threat")
    assert question["json"]["changed_flags"] == {"gsomia": "suspended",
                                                 "japan_situation": "survival_threatening"}


def test_a_flag_set_to_the_files_own_value_changes_no_name(tmp_path: Path) -> None:
    out = ok(run_planner("solve", "taiwan-contingency", "--set",
                         "japan_situation=important_influence", cwd=tmp_path), 1)
    assert "Plan written to plans/taiwan_contingency/" in " ".join(out.split())
    assert "differ from the mission file" not in out
    assert "From the mission file" not in out


def test_a_report_of_a_solve_folder_says_how_to_add_policy_costs(question: dict) -> None:
    before = section(question["before"], "### What each policy costs")
    assert "Not in this plan" in before and "|" not in before
    assert f"then `planner report plans/{NAME} --force`" in before
    # the hint, run as written, rewrites the folder with the explanation: the section fills
    after = md_rows(section(question["after"], "### What each policy costs"))
    assert {row["name"] for row in after} >= {"jpn_no_interceptors_to_war_zone",
                                               "us_japan_alliance"}


def test_cli_report_and_json_agree_on_policy_costs(question: dict) -> None:
    """One signed number in USD m: positive costs, negative saves; in force as yes/no."""
    text = " ".join(question["explained"].split())
    rows = {row["name"]: row for row in md_rows(section(question["after"],
                                                        "### What each policy costs"))}
    assert rows, "the report lists the policy costs"
    shown = 0
    for policy in question["json"]["policies"]:
        row = rows[policy["name"]]
        assert row["in force"] == ("yes" if policy["in_force"] else "no")
        cost = policy["cost"]
        assert cost == pytest.approx(policy["objective_now"] - policy["objective_switched"])
        assert row["cost (USD m)"] == fmt(cost)
        if abs(cost) >= 0.05:
            assert f"{policy['name']}: " in text
            assert f"costs {number(cost, 1)} USD m" in text
            shown += 1
    assert shown >= 3  # a policy that costs and links that save, both signs
    assert any(p["cost"] < -0.05 for p in question["json"]["policies"])
    assert any(p["cost"] > 0.05 for p in question["json"]["policies"])
    costs = section(question["after"], "### What each policy costs")
    assert "worth" not in costs.split("\n", 1)[1] and "| 1.0 |" not in costs


def test_a_policy_binding_with_a_price_yet_free_is_reconciled(question: dict) -> None:
    """kor_hold_the_peninsula binds with a price here, but removing it changes nothing."""
    binding = {b["name"].split("[")[1].split(",")[0].rstrip("]")
               for b in question["json"]["binding"] if b["kind"] == "policy"}
    free = {p["name"] for p in question["json"]["policies"]
            if p["cost"] is not None and abs(p["cost"]) < 0.05}
    both = sorted(binding & free)
    assert both, "the shipped case has a policy that binds with a price yet costs nothing"
    sentence = f"Binding with a price, yet no effect on the objective: {', '.join(both)}."
    assert sentence in " ".join(question["explained"].split())
    assert sentence in question["after"].replace("\\", "")  # Markdown escapes aside


def test_penalties_named_apart_and_equal_everywhere(question: dict) -> None:
    """The rate per unit short and the shortfall penalty (the total) are two columns, the
    same in the CLI table, the report, shortfalls.csv and plan.json."""
    plan: Plan = question["plan"]
    assert plan.shortfalls
    report = md_rows(section(question["after"], "## Shortfalls"))
    assert list(report[0])[-2:] == ["penalty per unit", "shortfall penalty"]
    with (question["root"] / "plans" / NAME / "shortfalls.csv").open(encoding="utf-8") as f:
        saved = list(csv.DictReader(f))
    cli = question["solved"]
    for c, row, line in zip(plan.shortfalls, report, saved, strict=True):
        assert row["penalty per unit"] == fmt(c.penalty_per_unit)
        assert row["shortfall penalty"] == fmt(c.shortfall_penalty)
        assert float(line["shortfall_penalty"]) == pytest.approx(c.shortfall * c.penalty_per_unit)
        assert float(line["penalty_per_unit"]) == c.penalty_per_unit
        assert re.search(rf"{c.task}\s.*\s{re.escape(number(c.shortfall_penalty))}\s*$", cli,
                         re.MULTILINE)
    assert sum(c.shortfall_penalty for c in plan.shortfalls) == pytest.approx(
        plan.shortfall_penalty)
    dumped = json.loads((question["root"] / "plans" / NAME / "plan.json").read_text())
    assert "penalty_per_unit" in dumped["coverage"][0] and "penalty" not in dumped["coverage"][0]


def test_a_plan_saved_before_the_rename_still_reads(question: dict) -> None:
    dumped = json.loads((question["root"] / "plans" / NAME / "plan.json").read_text())
    for c in dumped["coverage"]:
        c["penalty"] = c.pop("penalty_per_unit")
    del dumped["mission_flags"]
    old = Plan.model_validate(dumped)
    assert old.coverage == question["plan"].coverage
    assert old.changed_flags == {"japan_situation": "survival_threatening",
                                 "gsomia": "suspended"}  # from --set, as given


def test_comparison_keeps_plan_names_and_the_digits_of_small_changes(question: dict) -> None:
    root = question["root"]
    ok(run_planner("compare", "taiwan-contingency", f"plans/{NAME}", "--format", "md",
                   cwd=root))
    text = (root / "reports" / f"taiwan_contingency-vs-{NAME}.md").read_text(encoding="utf-8")
    header = section(text, "## Who pays").splitlines()
    [columns] = [line for line in header if line.startswith("| country")]
    assert f"| taiwan_contingency | {TITLE} | change: {TITLE} |" in columns
    # a change from 0.040 to 0.0 is shown with the digits of its two sides
    assert (fmt(0.04), fmt(0.0), fmt(-0.04, "change")) == ("0.040", "0.0", "-0.040")
    assert fmt(0.0001, "change") == "0.0" and fmt(1.26, "change") == "+1.3"


def test_planner_flags_lists_every_lever(tmp_path: Path) -> None:
    """Each declared flag with its values, default, meaning, source and the policies it
    switches, for scripts and for people; `solve --help` points to it."""
    standing = yaml.safe_load((REPO / "capabilities" / "policies.yaml").read_text())
    listed = json.loads(ok(run_planner("flags", "--format", "json", cwd=tmp_path)))
    assert [f["name"] for f in listed["flags"]] == list(standing["flags"])
    by_name = {f["name"]: f for f in listed["flags"]}
    for name, flag in standing["flags"].items():
        assert by_name[name]["values"] == flag["values"]
        assert by_name[name]["default"] == flag["default"]
        assert by_name[name]["description"] == " ".join(flag["description"].split())
        assert by_name[name]["source"] == flag["source"]
        switched = [p["name"] for p in standing["policies"]
                    if name in {*p.get("when", {}), *p.get("unless", {}),
                                *p.get("active_when", {}), *p.get("active_unless", {})}]
        assert set(switched) <= set(by_name[name]["policies"])
    assert "jpn_no_force_abroad" in by_name["japan_situation"]["policies"]
    # with a mission: its values, and only policies about countries taking part
    listed = json.loads(ok(run_planner("flags", "taiwan-contingency", "--format", "json",
                                       cwd=tmp_path)))
    by_name = {f["name"]: f for f in listed["flags"]}
    assert by_name["japan_situation"]["mission_value"] == "important_influence"
    assert "aus_no_advance_commitment" not in by_name["australia_commitment"]["policies"]
    text = " ".join(ok(run_planner("flags", "taiwan-contingency", cwd=tmp_path)).split())
    assert ("japan_situation: none | important_influence | survival_threatening (default "
            "none; taiwan_contingency: important_influence)") in text
    assert "--set FLAG=VALUE" in text
    bad = run_planner("flags", "--format", "xml", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown format 'xml'" in bad.stderr and not bad.stdout
    assert "planner flags" in " ".join(ok(run_planner("solve", "--help", cwd=tmp_path)).split())


def run_with_terminal_stderr(args: list[str], cwd: Path) -> tuple[str, str]:
    """Run the planner with standard error on a terminal (a pty), standard output piped."""
    import os
    import pty
    import sys
    import threading

    master, slave = pty.openpty()
    script = Path(sys.executable).with_name("planner")
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    result = subprocess.run([str(script), *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=slave, env=env, timeout=300, check=False)
    os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return result.stdout.decode(), b"".join(seen).decode(errors="replace")


def test_explain_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    """explain re-solves once per policy and link: on a terminal it says it is working; in a
    pipe (and on standard output) nothing is added."""
    stdout, stderr = run_with_terminal_stderr(["explain", "baseline", "--no-save", "--format",
                                               "json"], tmp_path)
    json.loads(stdout)  # standard output is the JSON alone
    assert "re-solving without each binding policy" in stderr
    piped = run_planner("explain", "baseline", "--no-save", "--format", "json", cwd=tmp_path)
    assert piped.returncode == 0 and "re-solving" not in piped.stderr + piped.stdout


def test_overrides_added_from_python_are_named_like_flags(tmp_path: Path) -> None:
    """An override beyond the mission file (the Python API) makes another plan: its name,
    title and sentence say so, as for flags."""
    from planner import api

    result = api.solve("baseline", flags={"gsomia": "suspended"}, overrides=[
        {"country": "KOR", "pool": "army_division", "scale": 0.5, "source": "assumption: t"}])
    plan = result.plan
    assert plan.added_overrides == ["KOR.army_division.scale=0.5"]
    assert plan.name == "baseline--gsomia=suspended--KOR.army_division.scale=0.5"
    assert plan.title == "baseline (gsomia=suspended; KOR.army_division.scale=0.5)"
    assert plan.changes_sentence() == (
        "Solved with flags that differ from the mission file missions/baseline.yaml: "
        "gsomia=suspended (the file: active) and with overrides beyond the mission file's: "
        "KOR.army_division.scale=0.5.")
    alone = api.solve("baseline", overrides=[
        {"country": "KOR", "pool": "army_division", "remove": True, "source": "t"}]).plan
    assert alone.name == "baseline--KOR.army_division.removed"
    assert alone.description_heading().startswith("From the mission file, written without")
    assert api.solve("baseline").plan.name == "baseline"
