"""Attacks on the planner by class (issue 22): each test attacks a whole class, not one case.

- Data loss: folders and files the planner may replace are drawn at random (user files, a
  ``plan.json`` alone, a planner folder with files added or edited, links, the working folder
  and its parents); only an unchanged folder this planner wrote is replaced, and only with
  ``--force``. A plan swap is killed (``os._exit`` in a forked child) between every pair of
  its steps; the next run finds a plan at the path, old or new.
- Saved plans and analyses are inputs: hostile ``plan.json`` / ``analysis.json`` (schema-valid
  or not) end in a plan, a report, or one located error line; never a traceback, never a file
  outside the working folder; SVG loses scripts, handlers and external references.
- Injection: control characters and formula starts in every text that reaches CSV,
  Markdown, HTML and the terminal.
- Crashes: file-system faults (real permissions, special files, monkeypatched full disks)
  are error lines with exit 2.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.reports import output

from .conftest import REPO, run_planner

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file and link under ``root`` with its bytes (or link target)."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "dir"
    return found


# --- data loss: which folders --force may replace ----------------------------------------

NEW = {"plan.json": b'{"new": 1}\n', "allocations.csv": b"a\n1\n"}
OLD = {"plan.json": b'{"old": 1}\n', "allocations.csv": b"a\n0\n"}

folder_states = st.sampled_from([
    "absent", "ours", "ours+extra", "ours-edited", "ours-missing", "plan.json only",
    "user files", "other kind", "forged manifest", "link to ours", "file", "empty",
])


def make_state(folder: Path, state: str) -> None:
    if state == "absent":
        return
    if state in ("ours", "ours+extra", "ours-edited", "ours-missing", "link to ours"):
        real = folder if state != "link to ours" else folder.with_name("real")
        output.save_folder(OLD, real, "plan.json", False)
        if state == "ours+extra":
            (real / "notes.txt").write_text("mine")
        elif state == "ours-edited":
            (real / "allocations.csv").write_text("edited by hand")
        elif state == "ours-missing":
            (real / "allocations.csv").unlink()
        elif state == "link to ours":
            folder.symlink_to(real, target_is_directory=True)
    elif state == "plan.json only":
        folder.mkdir()
        (folder / "plan.json").write_text("{}")
    elif state == "user files":
        folder.mkdir()
        (folder / "plan.json").write_text("{}")
        (folder / "thesis.docx").write_bytes(b"years of work")
    elif state == "other kind":
        output.save_folder({"analysis.json": b"{}"}, folder, "analysis.json", False)
    elif state == "forged manifest":  # a manifest that lists files with wrong digests
        folder.mkdir()
        (folder / "plan.json").write_text("{}")
        (folder / output.MANIFEST).write_text(json.dumps(
            {"written_by": output.WRITTEN_BY, "kind": "plan",
             "files": {"plan.json": "0" * 64}}))
    elif state == "file":
        folder.write_text("a file")
    elif state == "empty":
        folder.mkdir()


@FAST
@given(state=folder_states, force=st.booleans())
def test_only_an_unchanged_planner_folder_is_replaced_and_only_with_force(
        tmp_path_factory: pytest.TempPathFactory, state: str, force: bool) -> None:
    root = tmp_path_factory.mktemp("dest")
    folder = root / "out"
    make_state(folder, state)
    before = snapshot(root)
    replaceable = state == "absent" or (state == "ours" and force)
    try:
        output.save_folder(NEW, folder, "plan.json", force)
    except InputError as exc:
        assert not replaceable, exc
        assert len(exc.problems) == 1 and str(folder) in str(exc.problems[0])
        assert snapshot(root) == before  # refused: nothing changed, nothing left behind
        return
    assert replaceable
    assert {p.name for p in folder.iterdir()} == {*NEW, output.MANIFEST}
    assert all((folder / n).read_bytes() == d for n, d in NEW.items())
    assert {p.name for p in root.iterdir()} == {"out"}


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_the_working_folder_and_its_parents_are_never_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int) -> None:
    """Even when it is (or looks exactly like) a plan folder this planner wrote."""
    work = tmp_path / "a" / "b"
    output.save_folder(OLD, work, "plan.json", False)
    monkeypatch.chdir(work)
    target = Path(*([".."] * depth)) if depth else Path(".")
    before = snapshot(tmp_path)
    with pytest.raises(InputError, match="working folder"):
        output.save_folder(NEW, target, "plan.json", True)
    assert snapshot(tmp_path) == before


def test_solve_force_on_the_working_folder_with_a_plan_json(tmp_path: Path) -> None:
    """The issue's case: ``echo '{}' > plan.json; planner solve --out "$PWD" --force``."""
    shutil.copytree(REPO / "capabilities", tmp_path / "capabilities")
    (tmp_path / "plan.json").write_text("{}")
    before = snapshot(tmp_path)
    result = run_planner("solve", "--out", str(tmp_path), "--force", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "working folder" in result.stderr
    assert snapshot(tmp_path) == before


# --- data loss: a plan swap killed between any two steps --------------------------------

def steps_of_a_swap(tmp: Path) -> list[str]:
    seen: list[str] = []
    original = output.checkpoint
    output.checkpoint = seen.append  # type: ignore[assignment]
    try:
        output.save_folder(OLD, tmp / "probe", "plan.json", False)
        output.save_folder(NEW, tmp / "probe", "plan.json", True)
    finally:
        output.checkpoint = original  # type: ignore[assignment]
    return seen


def killer(at: int) -> Any:
    """A checkpoint that ends the process, as SIGKILL would, on its ``at``-th call."""
    count = [0]

    def die(step: str) -> None:
        count[0] += 1
        if count[0] > at:
            os._exit(9)
    return die


def test_a_swap_killed_between_any_two_steps_is_recovered(tmp_path: Path) -> None:
    steps = steps_of_a_swap(tmp_path / "probe-root")
    assert len(steps) >= 12  # stage, manifest, each file, retire, swap, removal of the old
    for kill_at in range(len(steps)):
        for replacing in (True, False):
            root = tmp_path / f"k{kill_at}{replacing}"
            root.mkdir()
            folder = root / "plan"
            if replacing:
                output.save_folder(OLD, folder, "plan.json", False)
            pid = os.fork()
            if pid == 0:  # the child: killed (no cleanup, no finally) at step kill_at
                output.checkpoint = killer(kill_at)  # type: ignore[assignment]
                try:
                    output.save_folder(NEW, folder, "plan.json", True)
                finally:
                    os._exit(0)
            _, status = os.waitpid(pid, 0)
            killed = os.WEXITSTATUS(status) == 9
            # the next run repairs what the kill left
            output.recover(folder)
            names = {p.name for p in root.iterdir()}
            if replacing or folder.exists():
                assert names == {"plan"}, (kill_at, replacing, names)
                assert output.why_not_ours(folder, "plan") is None
                content = {p.name: p.read_bytes() for p in folder.iterdir()
                           if p.name != output.MANIFEST}
                assert content in (OLD, NEW), (kill_at, replacing)
            else:
                assert killed and names == set(), (kill_at, names)
            # and a following write with --force succeeds
            output.save_folder(NEW, folder, "plan.json", True)


def test_readers_see_a_plan_while_the_swap_is_half_done(tmp_path: Path) -> None:
    """Between 'retire' and 'swap' the path is empty for an instant; a reader (report,
    compare) completes the swap instead of solving a mission of that name."""
    folder = tmp_path / "plan"
    output.save_folder(OLD, folder, "plan.json", False)
    new, old = output.staging(folder)
    output.save_folder(NEW, new, "plan.json", False)  # a complete staged folder
    folder.rename(old)
    assert output.is_plan_folder(folder)
    assert (folder / "plan.json").read_bytes() == NEW["plan.json"]
    assert not new.exists() and not old.exists()


# --- data loss: report and comparison outputs --------------------------------------------

@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from planner import pipeline

    folder = tmp_path_factory.mktemp("saved") / "plan"
    output.save_plan(pipeline.solve("baseline"), folder)
    return folder


@pytest.fixture(scope="module")
def quick_documents(saved_plan: Path) -> Any:
    """Reports built once: the attacks are on where they are written, not on charts."""
    from unittest import mock

    from planner.reports import publish, report

    document = report.report_document(publish.load_plan(saved_plan))
    with mock.patch.object(report, "report_document", lambda plan: document):
        yield


output_targets = st.sampled_from([
    "existing file", "input table", "input mission", "the plan's own json", "link to a file",
    "folder", "charts folder of the user", "charts link", "fifo",
])


@FAST
@given(target=output_targets, md=st.booleans())
def test_a_report_never_replaces_what_exists_without_force_nor_an_input(
        tmp_path_factory: pytest.TempPathFactory, saved_plan: Path, quick_documents: Any,
        target: str, md: bool) -> None:
    from planner.reports import publish

    root = tmp_path_factory.mktemp("report")
    caps = Path(shutil.copytree(REPO / "capabilities", root / "capabilities"))
    missions = Path(shutil.copytree(REPO / "missions", root / "missions"))
    plan_copy = Path(shutil.copytree(saved_plan, root / "plan"))
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("mine")
    suffix = "md" if md else "html"
    out = root / f"r.{suffix}"
    if target == "existing file":
        out.write_text("my notes")
    elif target == "input table":
        out = caps / "JPN.csv"
    elif target == "input mission":
        out = missions / "baseline.yaml"
    elif target == "the plan's own json":
        out = plan_copy / "plan.json"
    elif target == "link to a file":
        out.symlink_to(elsewhere / "precious.txt")
    elif target == "folder":
        out.mkdir()
    elif target == "charts folder of the user":
        (root / "r_charts").mkdir()
        (root / "r_charts" / "burden.svg").write_text("my drawing")
    elif target == "charts link":
        (root / "r_charts").symlink_to(elsewhere, target_is_directory=True)
    elif target == "fifo":
        os.mkfifo(out)
    inputs = [caps, missions, plan_copy]
    before = snapshot(root)
    plan = publish.load_plan(plan_copy)
    writable = target.startswith("charts") and not md  # HTML has no charts folder
    for force in (False, True):
        allowed = writable or (force and target in ("existing file", "link to a file"))
        try:
            publish.write_report(plan, out, suffix, force, inputs)
        except InputError as exc:
            assert not allowed, exc
            assert snapshot(root) == before
            continue
        assert allowed
        assert (elsewhere / "precious.txt").read_text() == "mine"  # a link is replaced
        assert snapshot(caps) == before_sub(before, "capabilities")
        break


def before_sub(before: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) + 1:]: v for k, v in before.items() if k.startswith(prefix + "/")}


def test_compare_csv_never_writes_into_the_tables_folder(tmp_path: Path) -> None:
    shutil.copytree(REPO / "capabilities", tmp_path / "capabilities")
    before = snapshot(tmp_path)
    result = run_planner("compare", "baseline", "gsomia-suspended", "--csv", "capabilities",
                         "--force", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "input" in result.stderr
    assert snapshot(tmp_path) == before


# --- data loss: planner set on a link ----------------------------------------------------

def test_set_on_a_linked_table_writes_through_and_keeps_the_link(tmp_path: Path) -> None:
    caps = Path(shutil.copytree(REPO / "capabilities", tmp_path / "capabilities"))
    shared = tmp_path / "shared"
    shared.mkdir()
    (caps / "JPN.csv").rename(shared / "JPN.csv")
    (caps / "JPN.csv").symlink_to(shared / "JPN.csv")
    before = (shared / "JPN.csv").read_bytes()
    result = run_planner("set", "JPN", "aegis_ddg", "quantity=10", "--data", str(caps),
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (caps / "JPN.csv").is_symlink()
    assert os.readlink(caps / "JPN.csv") == str(shared / "JPN.csv")
    after = (shared / "JPN.csv").read_bytes()
    assert after == before.replace(b"aegis_ddg,\"Aegis destroyers (Kongo, Atago, Maya "
                                   b"classes)\",8", b"aegis_ddg,\"Aegis destroyers (Kongo, "
                                   b"Atago, Maya classes)\",10")
    assert (caps / "JPN.csv.bak").read_bytes() == before


FAULTS = [errno.EACCES, errno.ENOSPC, errno.EROFS, errno.EISDIR, errno.ENOTDIR, errno.EIO,
          errno.EDQUOT]


def invoke(*args: str) -> Any:
    """The command line in this process (fast enough to draw many faults)."""
    from typer.testing import CliRunner

    from planner.cli.main import app

    return CliRunner().invoke(app, list(args))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fault=st.sampled_from(FAULTS),
       where=st.sampled_from(["write_file", "write_atomic", "mkdir", "read_bytes", "rename"]),
       command=st.sampled_from(["solve", "report", "set"]))
def test_file_system_faults_are_one_error_line(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        fault: int, where: str, command: str) -> None:
    """A fault injected into any file-system call a command makes: exit 2 with an error
    line naming the file, or the command succeeds when it never needed that call."""
    root = tmp_path_factory.mktemp("faults")
    caps = Path(shutil.copytree(REPO / "capabilities", root / "capabilities"))
    monkeypatch.chdir(root)
    original = {"write_file": output.write_file, "write_atomic": output.write_atomic,
                "mkdir": Path.mkdir, "read_bytes": Path.read_bytes, "rename": Path.rename}

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OSError(fault, os.strerror(fault), str(args[0]))
    with monkeypatch.context() as patch:
        if where in ("write_file", "write_atomic"):
            patch.setattr(output, where, failing)
            import planner.inputs.edit
            import planner.reports.publish
            for module in (planner.inputs.edit, planner.reports.publish):
                if hasattr(module, where):
                    patch.setattr(module, where, failing)
        else:
            patch.setattr(Path, where, failing if where != "read_bytes" else (
                lambda self: failing(self) if self.suffix == ".csv" else
                original["read_bytes"](self)))
        args = {"solve": ["solve", "--out", "p"], "report": ["report", "--out", "r.html"],
                "set": ["set", "JPN", "aegis_ddg", "quantity=9", "--data", str(caps)]}[command]
        result = invoke(*args)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, result.output
        assert os.strerror(fault) in lines[0]
    else:
        assert result.exit_code in (0, 1), result.output


# --- saved plans and analyses are inputs ------------------------------------------------

HOSTILE = st.sampled_from([
    None, True, -1, 0, 10**30, 1e308, "", "../../outside", "/etc/passwd", "a$b$c", "$",
    "\x1b[2J\x1b[Hcleared", "=HYPERLINK(\"http://x\")", "![x](http://evil/x.png)", [], {},
    {"nested": {"deeper": []}}, "DEEP", "HUGE",
])


def mutate(document: Any, data: st.DataObject) -> Any:
    """One hostile change at a random place in a JSON document: a value replaced, a key
    removed or added."""
    node, key = document, None
    parent: Any = None
    for _ in range(data.draw(st.integers(0, 5))):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            key = data.draw(st.integers(0, len(node) - 1))
        else:
            break
        parent, node = node, node[key]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if parent is None:
        if isinstance(document, dict) and action != "add" and document:
            key = data.draw(st.sampled_from(sorted(document)))
            parent = document
        else:
            document["extra"] = 1
            return document
    value = data.draw(HOSTILE)
    if action == "delete" and isinstance(parent, dict):
        del parent[key]
    elif action == "add" and isinstance(node, dict):
        node[data.draw(st.sampled_from(["extra", "../x", "name"]))] = value
    else:
        parent[key] = value
    return document


def dumped(document: Any) -> str:
    text = json.dumps(document)
    return text.replace('"DEEP"', "[" * 5000 + "]" * 5000).replace('"HUGE"', "9" * 5000)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_plan_json_is_a_report_or_one_located_error(
        tmp_path_factory: pytest.TempPathFactory, saved_plan: Path, data: st.DataObject) -> None:
    from planner.reports import publish, report

    folder = Path(shutil.copytree(saved_plan, tmp_path_factory.mktemp("hostile") / "plan"))
    document = mutate(json.loads((folder / "plan.json").read_text()), data)
    (folder / "plan.json").write_text(dumped(document), encoding="utf-8")
    try:
        plan = publish.load_plan(folder)
        built = publish.built(report.report_document, plan)
        for suffix in ("html", "md"):
            text = report.render(built, "report", suffix)
            assert "\x1b" not in text and "<script" not in text
        path = Path("reports") / f"{publish.safe_name(plan.mission['name'])}.html"
        assert path.parent == Path("reports")
    except InputError as exc:
        assert exc.problems and all(str(folder) in str(p) or p.file == "plan.json"
                                    for p in exc.problems), exc
        assert all("\n" not in str(p) and "\x1b" not in str(p) for p in exc.problems)


def test_a_mission_name_that_climbs_out_is_refused(tmp_path: Path, saved_plan: Path) -> None:
    for name in ("../../x", "/tmp/x", "a/b", ".."):
        folder = Path(shutil.copytree(saved_plan, tmp_path / f"p{len(name)}{name[:1]}"))
        document = json.loads((folder / "plan.json").read_text())
        document["mission"]["name"] = name
        (folder / "plan.json").write_text(json.dumps(document))
        work = tmp_path / f"work{len(name)}"
        work.mkdir()
        result = run_planner("report", str(folder), cwd=work)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "mission.name" in result.stderr
        assert sorted(p.name for p in tmp_path.rglob("*") if p.suffix == ".html") == []


EVIL_SVG = [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<use xlink:href="http://evil/x.svg#a"/><image href="file:///etc/passwd"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe src="javascript:x"/>'
    '</foreignObject><style>@import url(http://evil/c.css);</style>'
    '<rect style="fill:url(http://evil/#x)"/><a href="javascript:alert(1)"><text>x</text>'
    '</a></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><g><SCRIPT>x</SCRIPT><rect ONCLICK="x" '
    'fill="url(#ok)"/></g><animate attributeName="href" to="javascript:x"/>'
    '<set attributeName="onmouseover" to="alert(1)"/></svg>',
]


@pytest.mark.parametrize("svg", EVIL_SVG)
def test_svg_loses_scripts_handlers_and_external_references(svg: str) -> None:
    from planner.results.saved import sanitise_svg

    clean = sanitise_svg(svg)
    lowered = clean.lower()
    for bad in ("<script", "onload", "onclick", "onmouseover", "javascript:", "http://evil",
                "file:", "foreignobject", "<image", "<a ", "@import", "<animate", "<set"):
        assert bad not in lowered, (bad, clean)


def analysis_folder(root: Path, charts: dict[str, str], names: list[str]) -> Path:
    document = {"kind": "resilience", "mission": "baseline", "title": "t", "findings": ["f"],
                "facts": {"solves": 1}, "tables": {"t": [{"a": 1}]}, "charts": names}
    files = {"analysis.json": json.dumps(document).encode(),
             **{n: t.encode() for n, t in charts.items()}}
    return output.save_folder(files, root / "a", "analysis.json", False)


@pytest.mark.parametrize("name", ["../secret.svg", "/etc/passwd", "sub/x.svg", "link.svg",
                                  "..svg", "x.svg\n"])
def test_analysis_charts_are_read_only_from_their_own_folder(tmp_path: Path,
                                                             name: str) -> None:
    from planner.reports import publish

    (tmp_path / "secret.svg").write_text("<svg>SECRET</svg>")
    folder = analysis_folder(tmp_path, {}, [name])
    if name == "link.svg":
        (folder / name).symlink_to(tmp_path / "secret.svg")
    before = snapshot(tmp_path)
    with pytest.raises(InputError) as caught:
        publish.write_analysis_report(folder, tmp_path / "r.html", "html")
    assert "SECRET" not in str(caught.value)
    assert snapshot(tmp_path) == before


# --- injection: CSV, Markdown, the terminal ----------------------------------------------

# what attacks use: formula starts, the blanks and controls a spreadsheet skips or reads as
# a row break, Markdown and HTML syntax, escape sequences
HOSTILE_TEXT = st.lists(st.sampled_from(
    list("=+-@ \t\r\n\x0b\x0c\x00\x1b\x1c\x1d\x1e\x7f\x85\u2028\u2029\u202e\ufeff")
    + list("[]()!<>&|`*_#~\\\"':") + ["javascript:", "http://e/x.png", "a", "1", "[2J"]),
    max_size=20).map("".join)
ROW_BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(HOSTILE_TEXT, min_size=1, max_size=6))
def test_no_csv_cell_can_run_as_a_formula_or_split_a_row(cells: list[str]) -> None:
    import pandas as pd

    frame = pd.DataFrame({"text": cells, "number": [-1.5] * len(cells)})
    data = output.csv_bytes(frame).decode("utf-8")
    # one line per record whatever a spreadsheet takes for a row break
    assert len(ROW_BREAKS.findall(data)) == len(cells) + 1
    records = list(csv.reader(io.StringIO(data, newline="")))
    assert len(records) == len(cells) + 1
    for value, number in records[1:]:
        assert number == "-1.5"  # numbers stay numbers
        assert not output.SKIPPED.sub("", value).startswith(output.FORMULA_START) or \
            value.startswith("'"), value


@settings(max_examples=300, deadline=None)
@given(text=HOSTILE_TEXT)
def test_markdown_shows_the_text_and_nothing_live(text: str) -> None:
    from html import unescape

    from markdown_it import MarkdownIt

    from planner.reports.report import md_text

    escaped = md_text(text)
    for place in (f"{escaped}\n", f"# {escaped}\n", f"| a |\n|---|\n| {escaped} |\n"):
        html = MarkdownIt("commonmark").enable("table").render(place)
        assert "<a " not in html and "<img" not in html and "<script" not in html, html
        assert "<em>" not in html and "<code>" not in html and "<h2" not in html
    # a paragraph shows exactly the text (controls marked, line breaks as spaces)
    html = MarkdownIt("commonmark").render(f"x {escaped} x\n")
    shown = unescape(re.sub(r"<[^>]+>", "", html)).strip()
    expected = " ".join(f"x {output_controls(text)} x".split())
    assert " ".join(shown.split()) == expected


def output_controls(text: str) -> str:
    from planner.errors import CONTROL

    return CONTROL.sub("\ufffd", text.replace("\r\n", " ").replace("\n", " ")
                       .replace("\r", " ")).replace("\x00", "\ufffd")


@settings(max_examples=200, deadline=None)
@given(text=HOSTILE_TEXT)
def test_the_terminal_never_receives_a_control_character_from_a_file(text: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from planner.errors import CONTROL, Problem
    from planner.reports import terminal

    for forced in (False, True):
        buffer = io.StringIO()
        console = terminal.console(file=buffer, force_terminal=forced, width=80,
                                   color_system=None)
        console.print(Text(text))
        console.print(text, markup=False)
        table = Table(title=text)
        table.add_column(text)
        table.add_row(text)
        console.print(table)
        written = buffer.getvalue()  # no colours asked: any control came from the text
        assert not CONTROL.search(written.replace("\n", "")), repr(written)
    line = str(Problem(text, text, row=1, column=text, hint=text))
    assert not CONTROL.search(line), repr(line)


# --- extends stays inside the missions folder --------------------------------------------

@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(["/abs", "../outside", "sub/../../outside", "~/x",
                               "link/outside", "./../outside", "inner", "sub/inner",
                               "./inner"]))
def test_extends_never_leaves_the_missions_folder(tmp_path_factory: pytest.TempPathFactory,
                                                  target: str) -> None:
    from planner.pipeline import read_mission

    root = tmp_path_factory.mktemp("ext")
    missions = root / "missions"
    (missions / "sub").mkdir(parents=True)
    base = (REPO / "missions" / "baseline.yaml").read_text()
    (root / "outside.yaml").write_text(base)
    (missions / "inner.yaml").write_text(base)
    (missions / "sub" / "inner.yaml").write_text(base)
    (missions / "link").symlink_to(root, target_is_directory=True)
    name = str(root / "outside") if target == "/abs" else target
    child = missions / "child.yaml"
    child.write_text(f"name: child\ndescription: d\nextends: {name}\n")
    try:
        mission = read_mission(child, None)
    except InputError as exc:
        assert target not in ("inner", "sub/inner", "./inner"), exc
        [problem] = exc.problems
        assert problem.row == 3 and problem.column == "extends", problem
        return
    assert target in ("inner", "sub/inner", "./inner")
    assert mission.name == "child"


# --- crashes and hangs become error lines -------------------------------------------------

def test_dollar_signs_in_names_are_text_in_charts(saved_plan: Path, tmp_path: Path) -> None:
    """matplotlib would read ``$...$`` as math text and fail on it."""
    from planner.reports import publish, report

    folder = Path(shutil.copytree(saved_plan, tmp_path / "plan"))
    document = json.loads((folder / "plan.json").read_text())
    for i, country in enumerate(document["countries"]):
        country["name"] = ["$", "$\\frac{1}{0}$", "a$b$c^_", "$$\\sqrt{}$", "$x"][i % 5]
    (folder / "plan.json").write_text(json.dumps(document))
    plan = publish.load_plan(folder)
    report.render(report.report_document(plan), "report", "html")
    report.render(report.compare_document([plan, plan]), "compare", "md")


@pytest.mark.parametrize("what", ["table", "mission", "policies"])
def test_special_files_as_inputs_are_refused_at_once(tmp_path: Path, what: str) -> None:
    """A FIFO would block a reader forever."""
    import subprocess
    import sys

    caps = Path(shutil.copytree(REPO / "capabilities", tmp_path / "capabilities"))
    missions = tmp_path / "missions"
    missions.mkdir()
    shutil.copy(REPO / "missions" / "baseline.yaml", missions)
    target = {"table": caps / "JPN.csv", "mission": missions / "baseline.yaml",
              "policies": caps / "policies.yaml"}[what]
    target.unlink()
    os.mkfifo(target)
    result = subprocess.run([sys.executable, "-m", "planner", "solve", "--no-save"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "not a plain file" in result.stderr


def test_a_huge_yaml_is_refused_before_it_is_read(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.inputs import load

    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(50 * load.MAX_YAML_BYTES)  # sparse: no disk used
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read whole"))
    with pytest.raises(InputError, match="limited to"):
        load.read_yaml(path, "huge.yaml")


def test_set_on_a_table_that_is_not_utf8(shipped_copy: Path, tmp_path: Path) -> None:
    path = shipped_copy / "JPN.csv"
    path.write_bytes(path.read_bytes().replace(b"Aegis", b"\xe6gis"))
    before = path.read_bytes()
    result = invoke("set", "JPN", "aegis_ddg", "quantity=9", "--data", str(shipped_copy))
    assert (result.exit_code == 2 and result.exception is None) or isinstance(
        result.exception, SystemExit)
    assert "not UTF-8" in result.output and "CSV UTF-8" in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize("args", [["montecarlo", "--draws", "10000000000"],
                                  ["pareto", "--points", "100000000"],
                                  ["resilience", "--workers", "100000"]])
def test_huge_counts_are_refused_with_their_limit(args: list[str]) -> None:
    result = invoke("analyze", *args, "--no-save")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "less than or equal to" in result.output


def test_validate_prints_a_capped_number_of_problems(shipped_copy: Path) -> None:
    from planner.cli import main as cli

    path = shipped_copy / "JPN.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    row = next(csv.reader([lines[1]]))
    bad = []
    for i in range(cli.MAX_SHOWN + 50):
        cells = list(row)
        cells[0], cells[header.index("quantity")] = f"pool_{i}", "many"
        bad.append(cells)
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *bad])
    result = invoke("validate", "--data", str(shipped_copy))
    assert result.exit_code == 2
    errors = [x for x in result.output.splitlines() if x.startswith("error:")]
    assert len(errors) == cli.MAX_SHOWN and "and 50 more" in result.output


def test_a_worker_pool_that_cannot_start_is_its_own_error(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from concurrent.futures.process import BrokenProcessPool

    from planner.analyze import distribute

    for failure in (OSError(11, "Resource temporarily unavailable"),
                    BrokenProcessPool("a child process terminated abruptly")):
        def broken(*args: Any, failure: BaseException = failure, **kwargs: Any) -> Any:
            raise failure
        monkeypatch.setattr(distribute, "ProcessPoolExecutor", broken)
        result = invoke("analyze", "resilience", "--workers", "2", "--no-save")
        assert result.exit_code == 3, result.output  # the workers', not the input's fault
        assert "local worker processes could not start" in result.output
        assert "--workers 1" in result.output


@pytest.mark.parametrize("answer", ["silent", "junk", "tls", "ucx", "nonsense"])
def test_dask_schedulers_that_are_not_are_error_lines_in_time(
        monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    import socket
    import threading
    import time

    pytest.importorskip("distributed")
    from planner.analyze import sweep

    monkeypatch.setattr(sweep, "CONNECT_SECONDS", 1)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                peer, _ = listener.accept()
            except OSError:
                return
            held.append(peer)
            if answer == "junk":
                peer.sendall(b"\xff" * 64)
    threading.Thread(target=serve, daemon=True).start()
    address = {"silent": f"tcp://127.0.0.1:{port}", "junk": f"tcp://127.0.0.1:{port}",
               "tls": f"tls://127.0.0.1:{port}", "ucx": f"ucx://127.0.0.1:{port}",
               "nonsense": "http://example"}[answer]
    started = time.monotonic()
    try:
        with pytest.raises(InputError) as caught:
            sweep.connect(address)
    finally:
        listener.close()
        for peer in held:
            peer.close()
    assert time.monotonic() - started < 10
    [problem] = caught.value.problems
    assert problem.file == "--scheduler"


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), output_format=st.sampled_from(["html", "md"]))
def test_hostile_analysis_json_is_a_report_or_one_located_error(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
        output_format: str) -> None:
    from planner.reports import publish

    root = tmp_path_factory.mktemp("analysis")
    chart = ('<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/>'
             '<text>x</text></svg>')
    document = {"kind": "montecarlo", "mission": "baseline", "title": "Monte Carlo",
                "findings": ["one", "two"], "facts": {"solves": 3, "seconds": 0.5,
                                                     "ran_on": "this process"},
                "tables": {"coverage": [{"task": "isr", "share": 0.5},
                                        {"task": "asw", "share": 1.0}]},
                "charts": ["cost.svg"]}
    document = mutate(document, data)
    files = {"analysis.json": dumped(document).encode(), "cost.svg": chart.encode()}
    folder = output.save_folder(files, root / "a", "analysis.json", False)
    work = root / "work"
    work.mkdir()
    before = snapshot(root)
    out = work / f"r.{output_format}"
    try:
        written = publish.write_analysis_report(folder, out, output_format)
    except InputError as exc:
        assert exc.problems and all(str(folder) in p.file for p in exc.problems), exc
        assert snapshot(root) == before
        return
    assert written == out
    created = set(snapshot(root)) - set(before)
    assert all(name.startswith("work/") for name in created), created


def test_a_dask_scheduler_without_workers_is_an_error_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    from planner import pipeline
    from planner.analyze import sweep

    monkeypatch.setattr(sweep, "CONNECT_SECONDS", 1)
    instance = pipeline.prepare("baseline", None, {})
    with distributed.LocalCluster(n_workers=0, processes=False,
                                  dashboard_address=":0") as cluster:
        execution = sweep.Execution(scheduler=cluster.scheduler_address, progress=False)
        with pytest.raises(InputError, match="has no workers"):
            sweep.on_dask(instance, None, [1, 2], [0, 1], lambda *_: None,  # type: ignore[arg-type]
                          execution)


def test_every_analysis_kind_is_readable_back() -> None:
    """A new analysis kind must be added to the saved schema, or its reports fail."""
    import typing

    from planner.cli.analyze import analyze_app
    from planner.results.saved import SavedAnalysis

    kinds = set(typing.get_args(SavedAnalysis.model_fields["kind"].annotation))
    commands = {c.name or c.callback.__name__ for c in analyze_app.registered_commands}
    assert commands <= kinds, commands - kinds
