"""The user guide's examples run as a reader runs them, and its reference matches the code.

Convention for README.md and docs/ (see docs/development.md, "Tested documentation"):

- A ```console block holds commands, each on a line starting with ``$ `` (a trailing ``\\``
  continues it on the next line), followed by its expected output. A line that is only
  ``...`` stands for any number of lines; ``...`` inside a line stands for any text. The
  output must match from its first line to its last, trailing spaces aside. A command with
  no output lines must print nothing. The command must exit 0 unless it ends with a comment
  ``# exit N``.
- A block whose info string has ``file=PATH`` is written to PATH before the commands that
  follow it run (the reader creates that file); ``append=PATH`` adds its lines to PATH;
  ``output=PATH`` is an excerpt of a file the commands before it wrote, matched like
  output.
- No other block may hold commands.

Each page runs in order in a fresh folder set up like a reader's checkout after the
README's set-up command: a copy of capabilities/, missions/ and docs/, and .venv pointing at
the environment running the tests. Commands run in bash with that environment's bin folder
first on PATH, COLUMNS=100 so that tables have a fixed width.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import pytest

from planner import docgen
from planner.schema import tables as schema

from .conftest import REPO

DOCS = REPO / "docs"
README = REPO / "README.md"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
SETUP = [
    "# Alliance division-of-labor planner",
    "",
    "```bash",
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/planner solve",
    'python3 -m venv .venv && .venv/bin/pip install ".[test]" && .venv/bin/python -m pytest',
    "```",
]
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)\s*(.*)$")
EXIT = re.compile(r"#\s*exit\s+(\d+)\b")
COMMAND_LANGUAGES = {"bash", "sh", "shell", "console", "zsh", "shell-session", "powershell"}
TIMEOUT = 300


@dataclass
class Block:
    """One fenced block of a page: where it starts, its language, attributes and lines."""

    page: Path
    line: int
    language: str
    attributes: dict[str, str]
    body: list[str]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


@dataclass
class Command:
    """One ``$`` line of a console block, its expected exit code and output."""

    line: int
    text: str
    code: int
    expected: list[str] = field(default_factory=list)


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a Markdown page."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, language, rest = opening.groups()
        attributes = dict(part.split("=", 1) for part in shlex.split(rest) if "=" in part)
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].startswith(fence):
            body.append(lines[index])
            index += 1
        found.append(Block(page, index - len(body), language, attributes, body))
        index += 1
    return found


def commands(block: Block) -> list[Command]:
    """The commands of a console block, each with what it should print."""
    found: list[Command] = []
    lines = iter(enumerate(block.body, start=block.line + 1))
    for number, line in lines:
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\"):  # bash joins the lines: keep the backslash
                text = text + "\n" + next(lines)[1]
            code = EXIT.search(text)
            found.append(Command(number, text, int(code.group(1)) if code else 0))
        elif found:
            found[-1].expected.append(line)
        else:
            raise AssertionError(f"{block.where}: output before the first '$ ' command")
    return found


def trimmed(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def line_pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected.split("...")))


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether output matches its documented form: '...' lines skip lines, '...' in a line
    skips text; anchored at both ends."""
    patterns = [None if e.strip() == "..." else line_pattern(e) for e in trimmed(expected)]
    actual = trimmed(actual)

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(patterns):
            return j == len(actual)
        pattern = patterns[i]
        if pattern is None:
            return match(i + 1, j) or (j < len(actual) and match(i, j + 1))
        return j < len(actual) and bool(pattern.fullmatch(actual[j])) and match(i + 1, j + 1)

    # each call moves i or j on by one: the depth is at most their sum (a long plan's output
    # can exceed Python's default limit of 1,000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 2 * (len(patterns) + len(actual)) + 1000))
    try:
        return match(0, 0)
    finally:
        sys.setrecursionlimit(limit)


def environment() -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    env = {key: value for key, value in os.environ.items()
           if key not in ("FORCE_COLOR", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "COLUMNS": "100",
            "LINES": "50", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8",
            "NO_COLOR": "1", "TERM": "dumb"}


def reader_folder(root: Path) -> Path:
    """A folder like the reader's checkout after the set-up command."""
    for name in ("capabilities", "missions", "docs"):
        shutil.copytree(REPO / name, root / name)
    (root / ".venv").symlink_to(Path(sys.executable).parent.parent, target_is_directory=True)
    return root


def run(text: str, cwd: Path) -> tuple[int, list[str]]:
    result = subprocess.run(["bash", "-c", text], cwd=cwd, env=environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", timeout=TIMEOUT)
    return result.returncode, result.stdout.splitlines()


def report(where: str, what: str, expected: list[str], actual: list[str]) -> str:
    return "\n".join([f"{where}: {what}", "--- documented:", *expected, "--- actual:", *actual])


def setup_commands() -> list[str]:
    """The part of the README's first set-up command that runs the planner."""
    first = SETUP[3].split("&&")
    return [part.strip() for part in first if part.strip().startswith(".venv/bin/planner")]


def run_page(page: Path, root: Path) -> list[str]:
    """Run a page's examples in order; every mismatch, described."""
    failures: list[str] = []
    if page == README:
        for text in setup_commands():
            code, output = run(text, root)
            if code != 0:
                failures.append(report("README.md set-up", f"'{text}' exited {code}", [],
                                       output))
    for block in blocks(page):
        target = block.attributes.get("file") or block.attributes.get("append")
        if target:
            path = root / target
            path.parent.mkdir(parents=True, exist_ok=True)
            mode = "a" if "append" in block.attributes else "w"
            with path.open(mode, encoding="utf-8", newline="\n") as handle:
                handle.write("\n".join(block.body) + "\n")
        elif "output" in block.attributes:
            path = root / block.attributes["output"]
            actual = path.read_text(encoding="utf-8").splitlines() if path.exists() else [
                f"(no file {block.attributes['output']})"]
            if not matches(block.body, actual):
                failures.append(report(block.where, f"{path.name} differs", block.body, actual))
        elif block.language == "console":
            for command in commands(block):
                code, output = run(command.text, root)
                where = f"{block.page.relative_to(REPO)}:{command.line}"
                if code != command.code:
                    failures.append(report(where, f"'{command.text}' exited {code}, documented "
                                           f"{command.code}", command.expected, output))
                elif not matches(command.expected, output):
                    failures.append(report(where, f"'{command.text}' printed something else",
                                           command.expected, output))
    return failures


def runnable(page: Path) -> bool:
    return page == README or any(b.language == "console" or b.attributes
                                 for b in blocks(page))


@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_examples_run_as_documented(page: Path, tmp_path: Path) -> None:
    failures = run_page(page, reader_folder(tmp_path))
    assert not failures, "\n\n".join(failures)


def test_output_matching() -> None:
    actual = ["Mission baseline", "a", "b", "Objective  5,388.7 USD m", ""]
    assert matches(["Mission baseline", "...", "Objective  5,388.7 USD m"], actual)
    assert matches(["Mission ...", "...", "Objective ... USD m   "], actual)
    assert matches(["...", "b", "..."], actual)
    assert not matches(["Mission baseline", "b", "..."], actual)
    assert not matches(["Mission baseline", "..."], [])
    assert not matches(["a"], ["a", "b"])
    assert matches([], []) and not matches([], ["a"])


def test_readme_begins_with_the_two_setup_commands() -> None:
    assert README.read_text(encoding="utf-8").splitlines()[:len(SETUP)] == SETUP
    assert setup_commands() == [".venv/bin/planner solve"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_command_shown_is_run(page: Path) -> None:
    """Commands appear only in console blocks (run above) or the README's set-up block."""
    for number, block in enumerate(blocks(page)):
        if page == README and number == 0:
            continue
        if block.language == "console":
            assert not set(block.attributes) - {"output"}, block.where
            continue
        if "tested-by" in block.attributes:  # too slow for the docs' run: a named test runs
            test = REPO / block.attributes["tested-by"]  # each command, on a smaller case
            assert test.is_file(), f"{block.where}: no test {test}"
            text = test.read_text(encoding="utf-8")
            for line in block.body:
                words = [w for w in line.split("#")[0].split()[:3]
                         if w not in ("python", "planner") and not w.startswith("-")]
                assert words and all(f'"{w}"' in text for w in words), (
                    f"{block.where}: {test.name} does not run '{line.strip()}'")
            continue
        assert block.language not in COMMAND_LANGUAGES, (
            f"{block.where}: a {block.language} block is not run; use ```console with "
            "'$ ' commands and their output")
        assert not any(line.startswith("$ ") for line in block.body), (
            f"{block.where}: '$ ' lines are commands: put them in a ```console block")
        if block.language == "yaml":
            assert "file" in block.attributes or "output" in block.attributes, (
                f"{block.where}: a YAML example is written and used by the commands after "
                "it: give it file=PATH")


# --- the generated reference ---------------------------------------------------------------


def rendered() -> dict[str, str]:
    return docgen.pages(REPO / "capabilities", REPO / "missions", DOCS)


def test_generated_reference_is_up_to_date() -> None:
    pages = rendered()
    stale = list(docgen.stale(DOCS, pages))
    assert not stale, (f"out of date: {', '.join(stale)}; run {docgen.COMMAND} and review "
                       "the change")
    generated = {p.relative_to(DOCS).as_posix() for p in (DOCS / docgen.REFERENCE).glob("*.md")}
    assert generated == set(pages), "docs/reference/ holds only generated pages"
    for text in pages.values():
        assert text.startswith("<!-- Generated by "), "generated pages say so on line 1"


def documented_rows(page: str) -> dict[str, list[str]]:
    """The first-column code spans of each section's tables: the names a page documents."""
    sections: dict[str, list[str]] = {}
    title = ""
    for line in (DOCS / docgen.REFERENCE / page).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            title = line[3:].strip().strip("`")
            sections.setdefault(title, [])
        elif line.startswith("### "):
            title = ""  # sub-sections list other things (kinds, shipped names)
        elif title and (row := re.match(r"\| `([^`]+)` \|", line)):
            sections[title].append(row.group(1))
    return sections


def test_capability_reference_lists_every_column_the_schema_declares() -> None:
    documented = documented_rows("capability-tables.md")
    for table in (*schema.REFERENCE_TABLES, schema.POOLS, *schema.OPTIONAL_TABLES,
                  *schema.STOCK_TABLES):
        expected = list(table.column_names)
        if table is schema.POOLS:
            expected += [c.name for c in schema.TASK_COLUMNS]
        assert documented[table.filename] == expected, table.filename


def sample(column: schema.Column, key: str) -> str:
    """A valid cell for a documented column of a tiny table."""
    if column.name == "home_region":
        return "r1"
    if column.name == "production" and column.kind == "text":  # platforms.csv
        return schema.PRODUCTION[0]
    if column.kind == "number":
        return str(column.minimum if column.minimum is not None else 1)
    if column.kind == "choice":
        return column.choices[0]
    return {"id": key, "country": "AAA", "regions": schema.ALL_REGIONS}.get(column.kind, "text")


def test_loader_accepts_every_documented_column_and_refuses_others(tmp_path: Path) -> None:
    from planner.checks.validate import load_capabilities
    from planner.errors import InputError

    documented = documented_rows("capability-tables.md")
    keys = {"countries.csv": "AAA", "tasks.csv": "t1", "regions.csv": "r1", "phases.csv": "p1",
            "<country>.csv": "pool1", "platforms.csv": "pool1", "basing.csv": "pool1",
            "stocks.csv": "s1", "stock_uses.csv": "s1"}
    # the stock tables name the rows of the others
    named = {"tasks.csv": {"unit": "rounds per month", "per": "month"},
             "stocks.csv": {"unit": "missiles"},
             "stock_uses.csv": {"pool": "pool1", "task": "t1", "phases": "p1", "when": "",
                                "unless": ""}}

    def write(name: str, columns: list[str], extra: dict[str, str]) -> None:
        table = next(t for t in (*schema.REFERENCE_TABLES, schema.POOLS,
                                    *schema.OPTIONAL_TABLES, *schema.STOCK_TABLES)
                     if t.filename == name)
        extra = {**named.get(name, {}), **extra}
        cells = [extra[c] if c in extra else sample(table.column(c), keys[name])
                 for c in columns]
        target = tmp_path / ("AAA.csv" if table is schema.POOLS else name)
        # a basing row names a host other than its country, and this folder has one
        # country: the header alone is written (its columns are checked all the same)
        body = "" if name == schema.BASING.filename else ",".join(cells) + "\n"
        target.write_text(",".join(columns) + "\n" + body, encoding="utf-8")

    for name, columns in documented.items():
        if name.endswith(".csv") and name != "<country>.csv":
            write(name, columns, {})
    pool_columns = [c for c in documented["<country>.csv"] if not c.startswith("<")]
    task_columns = [c.replace("<task>", "t1") for c in documented["<country>.csv"]
                    if c.startswith("<")]
    write("<country>.csv", pool_columns + task_columns,
          {"t1": "24", "t1_cost": "0.5", "t1_per": "year"})
    caps = load_capabilities(tmp_path)
    assert caps.deliveries[["pool", "task", "delivers", "task_cost"]].values.tolist() == [
        ["pool1", "t1", 2.0, 0.5]]  # 24 a year is 2 a month
    assert [(s.country, s.stock) for s in caps.stocks] == [("AAA", "s1")]
    assert [(u.pool, u.task, u.stock, u.phase) for u in caps.stock_uses] == [
        ("pool1", "t1", "s1", ["p1"])]
    write("<country>.csv", [*pool_columns, "undocumented"], {"undocumented": "1"})
    with pytest.raises(InputError, match="unknown column 'undocumented'"):
        load_capabilities(tmp_path)


def model_properties() -> dict[str, set[str]]:
    """Every key the mission and policies.yaml models accept, from their JSON schemas (not
    from the generator), by section title."""
    from planner.schema.mission import Mission
    from planner.schema.policy import Standing

    titles = {"Mission": "Mission", "Standing": "capabilities/policies.yaml"}
    found: dict[str, set[str]] = {}
    for model in (Mission, Standing):
        document = model.model_json_schema()
        found[titles[model.__name__]] = set(document["properties"])
        for name, definition in document.get("$defs", {}).items():
            if "properties" in definition:
                found[titles.get(name, name)] = set(definition["properties"])
    return found


def test_mission_reference_lists_every_key_the_models_accept() -> None:
    documented = documented_rows("mission-files.md")
    properties = model_properties()
    for title, keys in properties.items():
        assert set(documented.get(title, [])) == keys, title
    page = (DOCS / docgen.REFERENCE / "mission-files.md").read_text(encoding="utf-8")
    assert "(undocumented)" not in page, "give the key a Field(description=...)"


def test_field_notes_are_for_keys_without_a_description() -> None:
    models = {s.model.__name__: s.model for s in docgen.mission_sections()}
    for model_name, notes in docgen.FIELD_NOTES.items():
        for key in notes:
            info = models[model_name].model_fields.get(key)
            assert info is not None, f"docgen.FIELD_NOTES: {model_name} has no key '{key}'"
            assert not info.description, (
                f"{model_name}.{key} has its own description now: remove it from "
                "docgen.FIELD_NOTES")


def test_every_policy_kind_and_cell_kind_is_described() -> None:
    assert all(text != "." for text in docgen.policy_kind_texts().values())
    assert set(docgen.KIND_TEXT) == set(get_args(schema.Kind))


def test_shipped_sources_cite_rows_that_exist() -> None:
    facts = docgen.read_facts(DOCS / docgen.FACTS_FILE)
    missing = [f"{row.group} {row.item}: {ref}"
               for row in docgen.sourced_rows(REPO / "capabilities", REPO / "missions")
               for ref in docgen.cite(row.source, facts).unresolved]
    assert not missing, ("sources quoting a figure that docs/public_facts.md does not have:\n"
                         + "\n".join(missing))


# --- the hand-written pages ----------------------------------------------------------------


# Commands still being built: their section in docs/commands.md (and their step in the
# tutorial) comes with them. Remove a name here when its section is written.
PENDING: set[str] = set()


def test_every_command_of_the_planner_has_its_section() -> None:
    from typer.main import get_command

    from planner.cli.main import app

    guide = (DOCS / "commands.md").read_text(encoding="utf-8")
    for name in get_command(app).commands:  # type: ignore[attr-defined]
        if name in PENDING:
            continue
        assert f"$ planner {name} --help" in guide, (
            f"docs/commands.md has no section for 'planner {name}' showing its --help")


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of a page (a repeated one gets -1, -2...)."""
    seen: dict[str, int] = {}
    found = set()
    inside = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            inside = not inside
        if inside or not line.startswith("#"):
            continue
        base = docgen.slug(line.lstrip("#").replace("`", ""))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if not count else f"{base}-{count}")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_links_lead_somewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.relative_to(REPO)}: link to missing {target}"
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), f"{page.relative_to(REPO)}: no heading #{anchor}"


def test_docs_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):
        if page.name != "README.md":
            assert f"({page.relative_to(DOCS).as_posix()})" in index, page
