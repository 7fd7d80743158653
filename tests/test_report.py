"""`planner report` and `planner compare`: the documents carry the plans' own numbers, are
self-contained (no script, nothing fetched), escape every text from an input file, and the
comparison CSVs are safe to open in a spreadsheet. Each shipped mission is solved once per
module: the CLI runs once per document and the tests read what it wrote."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from planner import pipeline
from planner.inputs import paths
from planner.reports.output import protect
from planner.reports.report import fmt, md
from planner.results.plan import Plan

from .conftest import REPO, run_planner

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
# in Markdown, free text also has its Markdown syntax escaped: no link or image can be added
MD_ESCAPED_SCRIPT = "\\<script\\>alert(1)\\</script\\>"
FORMULA = '=HYPERLINK("http://x")'
FORMULA_START = ("=", "+", "-", "@")

COMPARE_HEADINGS = ["Headline", "Who pays", "changed allocations", "What differs in the inputs",
                    "Burden sharing in each plan", "Shortfalls",
                    "Constraints that shaped each plan", "What was solved"]
# attributes or CSS that would load something: src=, href= (also xlink:href), url(), @import
REMOTE = re.compile(r"""(?:\bsrc|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*"""
                    r"""(?:https?:)?//|@import""", re.IGNORECASE)
CHART_LINK = re.compile(r"!\[[^\]]*\]\(([\w.-]+_charts/[\w.-]+\.svg)\)")
MD_FOLDERS: dict[str, Path] = {}  # where each Markdown document was written
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def one(x: float) -> str:
    """A number as the documents print it when it is not tiny: thousands, one decimal."""
    assert abs(x) >= 0.05 or x == 0
    return f"{x:,.1f}"


def ok(result: subprocess.CompletedProcess[str], code: int = 0) -> None:
    assert result.returncode == code, result.stdout + result.stderr


def shipped_plan(name: str) -> Plan:
    """A shipped mission solved in-process, from the tables the CLI finds in a bare folder."""
    return pipeline.solve(paths.shipped("missions") / f"{name}.yaml",
                          paths.shipped("capabilities"))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def h2s(html: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", h))
            for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]


def html_section(html: str, heading: str) -> str:
    """The HTML from the h2 that contains ``heading`` up to the next h2."""
    start = re.search(rf"<h2[^>]*>[^<]*{re.escape(heading)}", html)
    assert start, heading
    end = html.find("<h2", start.end())
    return html[start.end():end if end >= 0 else len(html)]


class TableReader(HTMLParser):
    """The text of each cell of each table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_tables(html: str) -> list[list[list[str]]]:
    reader = TableReader()
    reader.feed(html)
    return reader.tables


def md_tables(text: str) -> list[list[str]]:
    """The pipe tables of a Markdown text: runs of lines that start with a pipe."""
    tables: list[list[str]] = []
    previous = False
    for line in text.splitlines():
        row = line.startswith("|")
        if row and not previous:
            tables.append([])
        if row:
            tables[-1].append(line)
        previous = row
    return tables


def assert_tables_intact(text: str) -> int:
    """Every row of every pipe table has as many cell separators as its header, and the
    second line is the delimiter row. Returns the number of tables."""
    tables = md_tables(text)
    for table in tables:
        assert len(table) >= 2 and re.fullmatch(r"\|(?:---\|)+", table[1]), table[:2]
        width = len(UNESCAPED_PIPE.findall(table[0]))
        for line in table:
            assert len(UNESCAPED_PIPE.findall(line)) == width, (table[0], line)
    return len(tables)


def rendered_markdown(text: str) -> str:
    """Markdown as a CommonMark viewer with tables shows it (raw HTML passes through)."""
    from markdown_it import MarkdownIt  # a dependency of rich

    return MarkdownIt("commonmark").enable("table").render(text)


# --- planner compare baseline gsomia-suspended (HTML, CSV) ---------------------------------

@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {"baseline": shipped_plan("baseline"),
            "gsomia_suspended": shipped_plan("gsomia-suspended")}


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`planner compare baseline gsomia-suspended` run once, in an empty folder."""
    folder = tmp_path_factory.mktemp("compare")
    result = run_planner("compare", "baseline", "gsomia-suspended", "--out", "cmp.html",
                         "--csv", "tables", cwd=folder)
    ok(result)
    assert "Comparison written to cmp.html" in result.stdout
    return folder


def test_compare_html_has_every_section_and_inline_charts(comparison: Path) -> None:
    html = (comparison / "cmp.html").read_text(encoding="utf-8")
    headings = h2s(html)
    for wanted in COMPARE_HEADINGS:
        assert any(wanted in h for h in headings), (wanted, headings)
    # shares, largest allocation changes, and one burden chart per plan, each inline
    assert html.count("<svg") == 4
    assert len(re.findall(r'<div class="chart"[^>]*>\s*<svg', html)) == 4
    assert "<img" not in html


def test_compare_html_is_self_contained(comparison: Path) -> None:
    html = (comparison / "cmp.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not REMOTE.search(html), REMOTE.search(html)
    assert "<link" not in html.lower()  # no stylesheet or font from elsewhere


def test_compare_html_numbers_are_the_plans(comparison: Path,
                                            plans: dict[str, Plan]) -> None:
    html = (comparison / "cmp.html").read_text(encoding="utf-8")
    base, suspended = plans["baseline"], plans["gsomia_suspended"]
    # without GSOMIA, Korea's four Global Hawks cannot keep the one drone orbit over the
    # northwest islands that Japan's help makes: one requirement per phase falls short
    assert base.covered and not suspended.covered
    assert base.objective is not None and suspended.objective is not None

    [(header, *rows)] = html_tables(html_section(html, "Headline"))
    column = {name: i for i, name in enumerate(header)}
    by_plan = {row[column["plan"]]: row for row in rows}
    assert list(by_plan) == ["baseline", "gsomia_suspended"]
    for name, plan in plans.items():
        row = by_plan[name]
        [us] = [c for c in plan.countries if c.country == "USA"]
        assert row[column["status"]] == "optimal"
        assert row[column["objective"]] == one(plan.objective)
        assert row[column["total cost"]] == one(plan.total_cost)
        met = sum(c.shortfall <= 1e-6 for c in plan.coverage)
        assert row[column["requirements met"]] == f"{met} of {len(plan.coverage)}"
        assert row[column["us cost share"]] == f"{100 * us.cost_share:.1f}%"
    # losing the intelligence link costs something, and the headline says how much
    change = suspended.objective - base.objective
    assert change > 0
    assert by_plan["gsomia_suspended"][column["objective change"]] == f"{change:+,.1f}"
    assert by_plan["baseline"][column["objective change"]] == "0.0"  # no sign on no change

    # each country's share in each plan, and the change in percentage points
    [(header, *rows)] = html_tables(html_section(html, "Who pays"))
    # a plan's name is shown as written: underscores are not turned into spaces
    assert header == ["country", "baseline", "gsomia_suspended", "change: gsomia_suspended"]
    for row, c, d in zip(rows, base.countries, suspended.countries, strict=True):
        change = d.cost_share - c.cost_share
        shown = "0.0 pp" if abs(change) < 0.0005 else f"{100 * change:+.1f} pp"
        assert row == [c.country, f"{100 * c.cost_share:.1f}%", f"{100 * d.cost_share:.1f}%",
                       shown]


def test_compare_csv_are_the_plans(comparison: Path, plans: dict[str, Plan]) -> None:
    tables = comparison / "tables"
    assert sorted(p.name for p in tables.iterdir()) == [
        ".planner-manifest.json", "allocation_changes.csv", "cohesion.csv", "cost_shares.csv",
        "headline.csv", "inputs.csv"]
    base, suspended = plans["baseline"], plans["gsomia_suspended"]

    shares = {r["country"]: r for r in read_csv(tables / "cost_shares.csv")}
    assert set(shares) == {c.country for c in base.countries}
    for name, plan in plans.items():
        for c in plan.countries:
            assert float(shares[c.country][name]) == pytest.approx(c.cost_share, abs=1e-9)
    for c, d in zip(base.countries, suspended.countries, strict=True):
        assert float(shares[c.country]["change: gsomia_suspended"]) == pytest.approx(
            d.cost_share - c.cost_share, abs=1e-9)

    headline = read_csv(tables / "headline.csv")
    assert [r["plan"] for r in headline] == ["baseline", "gsomia_suspended"]
    for row, plan in zip(headline, (base, suspended), strict=True):
        assert float(row["objective"]) == pytest.approx(plan.objective)

    inputs = {(r["kind"], r["item"]): (r["baseline"], r["gsomia_suspended"])
              for r in read_csv(tables / "inputs.csv")}
    assert inputs[("flag", "gsomia")] == ("active", "suspended")
    assert inputs[("link", "japan_korea_intelligence")] == ("active", "inactive")
    # only the flag and what it switches differ: the same tables, no override
    assert {kind for kind, _ in inputs} <= {"flag", "link", "policy"}

    # every changed allocation is a real change between the two plans' deliveries
    def delivered(plan: Plan) -> dict[tuple[str, ...], float]:
        out: dict[tuple[str, ...], float] = {}
        for a in plan.allocations:
            key = (a.phase, a.region, a.task, a.country)
            out[key] = out.get(key, 0.0) + a.delivered
        return out

    before, after = delivered(base), delivered(suspended)
    changes = read_csv(tables / "allocation_changes.csv")
    assert changes
    for r in changes:
        key = (r["phase"], r["region"], r["task"], r["country"])
        assert float(r["baseline"]) == pytest.approx(before.get(key, 0.0))
        assert float(r["gsomia_suspended"]) == pytest.approx(after.get(key, 0.0))
    changed = {k for k in before.keys() | after.keys()
               if abs(before.get(k, 0.0) - after.get(k, 0.0)) > 1e-6}
    assert {(r["phase"], r["region"], r["task"], r["country"]) for r in changes} == changed


# --- browser check of the report ------------------------------------------------------------

# This is the browser check of the report: the comparison opens in headless Chromium with
# no request but its own file, every section heading shows, and every chart is drawn.
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: the browser check "
                    "of the report needs it (CI installs it)")
def test_compare_html_in_headless_chromium(comparison: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_file = comparison / "cmp.html"
    url = page_file.resolve().as_uri()
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url, wait_until="load")
            headings = page.locator("h2").all_inner_texts()
            boxes = [svg.bounding_box() for svg in page.locator("div.chart svg").all()]
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "compare.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert requests == [url]
    assert headings == h2s(page_file.read_text(encoding="utf-8"))
    for wanted in COMPARE_HEADINGS:
        assert any(wanted in h for h in headings), (wanted, headings)
    assert len(boxes) == 4
    for box in boxes:
        assert box is not None and box["width"] > 50 and box["height"] > 50, box
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


# --- Markdown comparison ------------------------------------------------------------------

@pytest.fixture(scope="module")
def comparison_md(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("compare-md")
    ok(run_planner("compare", "baseline", "gsomia-suspended", "--format", "md",
                   "--out", "cmp.md", cwd=folder))
    MD_FOLDERS["comparison"] = folder
    return (folder / "cmp.md").read_text(encoding="utf-8")


def charts_of(markdown: str, folder: Path) -> list[str]:
    """The SVG files a Markdown document links its charts to, each checked to be an SVG."""
    links = CHART_LINK.findall(markdown)
    for link in links:
        chart = (folder / link).read_text(encoding="utf-8")
        assert chart.startswith("<svg") and chart.rstrip().endswith("</svg>"), link
    return links


def test_compare_md_links_its_charts_as_svg_files(comparison_md: str) -> None:
    # the share changes, the largest allocation changes, and each plan's burden sharing
    assert len(charts_of(comparison_md, MD_FOLDERS["comparison"])) == 4
    assert "<svg" not in comparison_md  # only as images, never raw


def test_compare_md_has_pipe_tables_with_the_plans_numbers(comparison_md: str,
                                                           plans: dict[str, Plan]) -> None:
    for section in ("## Headline", "## Who pays", "## Who does what: changed allocations",
                    "## What differs in the inputs", "## Shortfalls",
                    "## Constraints that shaped each plan", "## What was solved"):
        assert section in comparison_md
    # headline, shares, allocations, inputs, cohesion, the shortfalls of gsomia_suspended
    # (baseline has none), constraints of each plan, what was solved
    assert assert_tables_intact(comparison_md) == 9
    for name, plan in plans.items():
        assert plan.objective is not None
        assert re.search(rf"^\| {name} \| optimal \| {re.escape(one(plan.objective))} \|",
                         comparison_md, re.M)
    assert "| flag | gsomia | active | suspended |" in comparison_md
    assert "| link | japan_korea_intelligence | active | inactive |" in comparison_md
    html = rendered_markdown(comparison_md)
    assert html.count("<table>") == 9 and "<script" not in html


# --- planner report taiwan-contingency --format md ----------------------------------------

@pytest.fixture(scope="module")
def taiwan_md(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("taiwan")
    result = run_planner("report", "taiwan-contingency", "--format", "md", "--out", "r.md",
                         cwd=folder)
    ok(result)
    MD_FOLDERS["taiwan"] = folder
    return (folder / "r.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def taiwan() -> Plan:
    return shipped_plan("taiwan-contingency")


def section(text: str, heading: str) -> str:
    """The text of a Markdown section, up to the next heading of the same level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n") + len(heading) + 1
    following = re.search(rf"^{level} ", text[start:], re.M)
    return text[start:start + following.start()] if following else text[start:]


def test_taiwan_report_md_sections(taiwan_md: str, taiwan: Plan) -> None:
    assert taiwan_md.startswith("# Plan: taiwan_contingency\n")
    for heading in ("## What was solved", "## Headline", "## Burden sharing",
                    "## Who does what", "### peacetime", "### crisis", "### conflict",
                    "## Shortfalls", "## Constraints that shaped the plan"):
        assert re.search(rf"^{heading}$", taiwan_md, re.M), heading
    # one burden chart, and a theatre map and a heatmap per phase, as images
    assert len(charts_of(taiwan_md, MD_FOLDERS["taiwan"])) == 7
    assert_tables_intact(taiwan_md)
    met = sum(c.shortfall <= 1e-6 for c in taiwan.coverage)
    assert (f"Total cost **{one(taiwan.total_cost)} USD m**; {met} of {len(taiwan.coverage)} "
            "requirements fully met") in taiwan_md


def test_taiwan_report_md_lists_every_shortfall(taiwan_md: str, taiwan: Plan) -> None:
    assert taiwan.status == "optimal" and taiwan.shortfalls
    rows = [line for line in section(taiwan_md, "## Shortfalls").splitlines()
            if line.startswith("| ")][1:]  # below the header
    assert len(rows) == len(taiwan.shortfalls)
    def cell(x: float) -> str:  # a tiny amount keeps its significant digits (0.030)
        return one(x) if abs(x) >= 0.05 or x == 0 else fmt(x)

    for c in taiwan.shortfalls:
        cells = [c.phase, c.region, c.task, cell(c.required), cell(c.delivered),
                 cell(c.shortfall), cell(c.penalty_per_unit), cell(c.shortfall_penalty)]
        assert "| " + " | ".join(cells) + " | " in rows


def test_taiwan_report_md_names_japans_threshold_with_its_source(taiwan_md: str,
                                                                 taiwan: Plan) -> None:
    standing = yaml.safe_load((paths.shipped("capabilities") / "policies.yaml").read_text(
        encoding="utf-8"))
    [policy] = [p for p in standing["policies"] if p["name"] == "jpn_no_force_abroad"]
    [row] = [c for c in taiwan.policy_rows if c.name == "policy[jpn_no_force_abroad]"]
    assert row.binding and row.dual is not None and abs(row.dual) > 1e-6
    table = section(taiwan_md, "## Constraints that shaped the plan")
    [line] = [x for x in table.splitlines() if x.startswith("| `policy[jpn_no_force_abroad]` |")]
    # Markdown is escaped with backslashes, never with HTML entities (issues 14, 24)
    assert f"| {md(policy['sentence'])} |" in line
    assert f"| {md(policy['source'])} |" in line
    assert "public_facts §5 'Survival" in line  # inside a word an underscore is literal
    assert "&#" not in taiwan_md and "&gt;" not in taiwan_md and "&amp;" not in taiwan_md
    assert line.endswith(f"| {one(row.dual)} |")


# --- a saved plan folder ------------------------------------------------------------------

SENTINEL = "1999-12-31T23:59:59+00:00"


def test_report_reads_a_saved_plan_folder_without_solving(tmp_path: Path,
                                                          plans: dict[str, Plan]) -> None:
    ok(run_planner("solve", "baseline", "--out", "plans/b", cwd=tmp_path))
    plan_json = tmp_path / "plans" / "b" / "plan.json"
    saved = json.loads(plan_json.read_text(encoding="utf-8"))
    assert saved["created_at"] and saved["created_at"] != SENTINEL
    # a time no solve can produce: the report can only have it from plan.json
    saved["created_at"] = SENTINEL
    plan_json.write_text(json.dumps(saved), encoding="utf-8")

    result = run_planner("report", "plans/b", "--out", "b.html", cwd=tmp_path)
    ok(result)
    assert "Report written to b.html" in result.stdout
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert f"Generated by the alliance planner; {SENTINEL}." in html
    assert "<h1>Plan: baseline</h1>" in html
    assert plans["baseline"].objective is not None
    assert f"(objective {one(plans['baseline'].objective)} USD m)" in html


@pytest.mark.parametrize(("content", "error"), [
    ('{"mission": {"name": "baseline"', "is not readable JSON (Expecting"),
    ('{"mission": {"name": "baseline"}}', "Field required"),
    ("\xff\xfe", "is not readable JSON ('utf-8' codec")])
def test_report_refuses_a_corrupt_plan_folder(tmp_path: Path, content: str,
                                              error: str) -> None:
    folder = tmp_path / "plans" / "b"
    folder.mkdir(parents=True)
    (folder / "plan.json").write_bytes(content.encode("latin-1"))
    result = run_planner("report", "plans/b", "--out", "b.html", cwd=tmp_path)
    ok(result, 2)
    assert "plans/b/plan.json" in result.stderr
    assert error in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "b.html").exists()


# --- hostile text in the inputs -----------------------------------------------------------

def hostile_inputs(root: Path, caps: Path) -> tuple[Path, Path]:
    """Two baseline-like missions (no `extends`) whose free text is hostile, on tables
    whose first US pool has a hostile source. `a` has an override and GSOMIA active; `b`
    has GSOMIA suspended and no override. Both carry a policy that forbids US ISR (it binds:
    the baseline uses some, and Japan and Korea cover it at a higher cost)."""
    with (caps / "USA.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[1][rows[0].index("source")] = f"{SCRIPT} {FORMULA}"
    with (caps / "USA.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)

    base = yaml.safe_load((REPO / "missions" / "baseline.yaml").read_text(encoding="utf-8"))
    assert "extends" not in base
    base["description"] = f"Hostile {SCRIPT} {FORMULA} with | a pipe"
    base["requirements"][0]["note"] = f"{SCRIPT} {FORMULA}"
    base["policies"] = [{
        "name": "no_us_isr", "kind": "forbid", "country": "USA", "task": "isr",
        "sentence": f"{SCRIPT} forbids | piped",
        "source": f"{FORMULA} | {SCRIPT}"}]
    a = {**base, "name": "hostile_a", "overrides": [{
        "country": "KOR", "pool": "kc330_tanker", "scale": 2,
        "source": f"{FORMULA} {SCRIPT} source | piped\nsecond line"}]}
    b = {**base, "name": "hostile_b", "flags": {**base["flags"], "gsomia": "suspended"}}
    for name, document in (("a.yaml", a), ("b.yaml", b)):
        (root / name).write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return root / "a.yaml", root / "b.yaml"


@pytest.mark.parametrize("output_format", ["html", "md"])
def test_report_escapes_hostile_input_text(tmp_path: Path, shipped_copy: Path,
                                           output_format: str) -> None:
    hostile_inputs(tmp_path, shipped_copy)
    out = f"r.{output_format}"
    ok(run_planner("report", "a.yaml", "--data", "capabilities", "--format", output_format,
                   "--out", out, cwd=tmp_path))
    text = (tmp_path / out).read_text(encoding="utf-8")
    assert SCRIPT not in text and not re.search(r"(?<!\\)<script", text.lower())
    # the description, the override's source and the policy's sentence and source reach
    # the report (the requirement note and the pool's source do not), each escaped
    escaped = ESCAPED_SCRIPT if output_format == "html" else MD_ESCAPED_SCRIPT
    assert text.count(escaped) == 4
    assert text.count("alert(1)") == 4
    assert f"Hostile {escaped}" in text
    assert not REMOTE.search(text)
    if output_format == "md":
        assert_tables_intact(text)
        assert "<script" not in rendered_markdown(text).lower()


@pytest.fixture(scope="module")
def hostile_comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`planner compare a.yaml b.yaml --format md --csv t` on the hostile inputs, once."""
    folder = tmp_path_factory.mktemp("hostile")
    caps = Path(shutil.copytree(REPO / "capabilities", folder / "capabilities"))
    hostile_inputs(folder, caps)
    ok(run_planner("compare", "a.yaml", "b.yaml", "--data", "capabilities", "--format", "md",
                   "--out", "c.md", "--csv", "t", cwd=folder))
    return folder


def test_compare_csv_cells_never_start_a_formula(hostile_comparison: Path) -> None:
    written = sorted((hostile_comparison / "t").glob("*.csv"))
    assert len(written) == 5
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "HYPERLINK" not in text and "alert(" not in text  # no free text reaches them
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for value in row:
                    if not is_number(value):
                        assert not value.startswith(FORMULA_START), (path.name, row)
    inputs = {(r["kind"], r["item"]): (r["hostile_a"], r["hostile_b"])
              for r in read_csv(hostile_comparison / "t" / "inputs.csv")}
    # the placeholder '-' (absent in one plan) is the one text cell that starts like a
    # formula: it is written protected
    assert inputs[("override", "KOR/kc330_tanker/quantity")][1] == "'-"
    assert inputs[("policy", "japan_korea_intelligence")] == ("'-", "in force")
    assert inputs[("flag", "gsomia")] == ("active", "suspended")
    scaled, table = inputs[("capability", "KOR/kc330_tanker quantity")]  # a doubles it
    assert float(scaled) == pytest.approx(2 * float(table))


def test_protect_quotes_formula_cells_only() -> None:
    frame = pd.DataFrame({
        "text": [FORMULA, "+1", "-", "@SUM(A1)", "plain", "a=b", None],
        "number": [-1.5, 2.0, -3.0, 0.0, 1.0, 2.0, 3.0]})
    out = protect(frame)
    assert out["text"].tolist()[:6] == [f"'{FORMULA}", "'+1", "'-", "'@SUM(A1)", "plain",
                                        "a=b"]
    assert out["text"].isna().tolist()[6]
    assert out["number"].tolist() == frame["number"].tolist()  # numbers stay numbers
    assert frame["text"].iloc[0] == FORMULA  # the input frame is left alone


def test_compare_md_keeps_tables_whole_with_pipes_and_line_breaks(
        hostile_comparison: Path) -> None:
    text = (hostile_comparison / "c.md").read_text(encoding="utf-8")
    assert SCRIPT not in text and MD_ESCAPED_SCRIPT in text
    assert_tables_intact(text)
    # the override's source (pipe and line break) sits in one cell of "What was solved"
    solved = section(text, "## What was solved")
    [row_a] = [x for x in solved.splitlines() if x.startswith("| hostile_a |")]
    assert "source \\| piped second line" in row_a
    # the policy's sentence and source, in the constraints of each plan
    constraints = section(text, "## Constraints that shaped each plan")
    rows = [x for x in constraints.splitlines()
            if x.startswith("| `policy[no_us_isr]` |")]
    assert len(rows) == 2
    for row in rows:
        assert f"| {MD_ESCAPED_SCRIPT} forbids \\| piped |" in row
    # a CommonMark viewer shows the pipe inside the cell, and no live script
    html = rendered_markdown(text)
    assert f"<td>{ESCAPED_SCRIPT} forbids | piped</td>" in html
    assert "<script" not in html.lower()
    # the description is not in a table; its pipe is escaped too (shown as written)
    assert f"Hostile {MD_ESCAPED_SCRIPT} {md(FORMULA)} with \\| a pipe" in text


# --- usage errors -------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["compare", "baseline"], "give at least two plans or missions"),
    (["compare", "baseline", "gsomia-suspended", "--format", "pdf"], "unknown format 'pdf'"),
    (["report", "baseline", "--format", "pdf"], "unknown format 'pdf'")])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_planner(*args, "--out", "x.out", cwd=tmp_path)
    ok(result, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.out").exists() and not (tmp_path / "reports").exists()


# --- found in review ----------------------------------------------------------------------

def test_compare_tells_two_plans_of_one_mission_apart(tmp_path: Path) -> None:
    ok(run_planner("solve", "baseline", "--out", "plans/b", cwd=tmp_path))
    ok(run_planner("compare", "plans/b", "baseline", "--out", "x.md", "--format", "md",
                   cwd=tmp_path))
    text = (tmp_path / "x.md").read_text(encoding="utf-8")
    assert "# Comparison: baseline vs baseline \\#2" in text or \
        "# Comparison: baseline vs baseline #2" in text
    assert "| baseline #2 | optimal |" in text
    assert_tables_intact(text)


def test_report_of_an_infeasible_mission_says_there_is_no_plan(tmp_path: Path) -> None:
    base = yaml.safe_load((REPO / "missions" / "baseline.yaml").read_text(encoding="utf-8"))
    base["policies"] = [
        {"name": "keep", "kind": "retain_at_home", "country": "KOR",
         "task": "ground_deterrence", "region": "korean_peninsula", "value": 5,
         "sentence": "Korea keeps 5.", "source": "t"},
        {"name": "none", "kind": "forbid", "country": "KOR", "task": "ground_deterrence",
         "sentence": "Korea keeps none.", "source": "t"}]
    (tmp_path / "clash.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    for output_format in ("html", "md"):
        out = f"r.{output_format}"
        ok(run_planner("report", "clash.yaml", "--format", output_format, "--out", out,
                       cwd=tmp_path))
        text = (tmp_path / out).read_text(encoding="utf-8")
        assert "No plan: the solver ended with status infeasible" in text
        assert "Every requirement is covered" not in text
        assert "64 of 64" not in text


def test_markdown_syntax_in_a_description_adds_no_image_or_link(tmp_path: Path) -> None:
    base = yaml.safe_load((REPO / "missions" / "baseline.yaml").read_text(encoding="utf-8"))
    base["description"] = "See ![p](https://evil.example/p.png) and [x](https://evil.example)"
    (tmp_path / "evil.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    ok(run_planner("report", "evil.yaml", "--format", "md", "--out", "r.md", cwd=tmp_path))
    html = rendered_markdown((tmp_path / "r.md").read_text(encoding="utf-8"))
    assert "evil.example" in html  # shown as text
    assert 'src="https://evil' not in html and 'href="https://evil' not in html


def test_set_on_a_saved_plan_is_an_error(tmp_path: Path) -> None:
    ok(run_planner("solve", "baseline", "--out", "plans/b", cwd=tmp_path))
    result = run_planner("report", "plans/b", "--set", "gsomia=suspended", cwd=tmp_path)
    ok(result, 2)
    assert "plans/b is a saved plan" in result.stderr
