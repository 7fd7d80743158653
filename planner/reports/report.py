"""Reports of one plan and comparisons of several, as self-contained HTML or Markdown.

The tables are built here from Plans (pure pandas), the charts are inline SVG from
matplotlib, and Jinja2 templates with autoescape turn them into a document: every name,
note and source from an input file is escaped, and nothing is fetched from the network.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, TemplateNotFound
from markupsafe import Markup

from planner.errors import CONTROL, InputError, Problem
from planner.reports import charts
from planner.reports.charts import PALETTE
from planner.reports.render import burden_caption
from planner.reports.theatre import theatre_map
from planner.results.plan import SHORTFALL_TOLERANCE, Plan, priced_but_free

CHANGE_TOLERANCE = 1e-6
COST = "cost (USD m)"  # the column of what each policy costs, signed as `planner explain`


def country_colours(plans: list[Plan]) -> dict[str, str]:
    """One colour per country, the same in every chart of a document."""
    order: list[str] = []
    for plan in plans:
        order += [c.country for c in plan.countries if c.country not in order]
    return {country: PALETTE[i % len(PALETTE)] for i, country in enumerate(order)}


def label(plan: Plan) -> str:
    """A plan as titles and headers name it: its mission, and every flag that differs from
    the mission file's."""
    return plan.title


# --- tables ------------------------------------------------------------------------------

def delivered(plan: Plan) -> pd.DataFrame:
    """Delivered amount per (phase, region, task, country)."""
    rows = [(a.phase, a.region, a.task, a.country, a.delivered) for a in plan.allocations]
    table = pd.DataFrame(rows, columns=["phase", "region", "task", "country", "delivered"])
    return table.groupby(["phase", "region", "task", "country"], sort=False,
                         as_index=False)["delivered"].sum()


def who_does_what(plan: Plan, phase: str) -> pd.DataFrame:
    """One row per requirement of the phase: required, each country's delivery, short."""
    amounts = delivered(plan)
    amounts = amounts[amounts["phase"] == phase]
    countries = [c.country for c in plan.countries]
    rows = []
    for c in plan.coverage_by_region(phase):
        here = amounts[(amounts["region"] == c.region) & (amounts["task"] == c.task)]
        by_country = dict(zip(here["country"], here["delivered"], strict=True))
        rows.append({"region": c.region, "task": c.task, "required": c.required,
                     **{k: by_country.get(k, 0.0) for k in countries},
                     "short": c.shortfall})
    return pd.DataFrame(rows, columns=["region", "task", "required", *countries, "short"])


def burden(plan: Plan) -> pd.DataFrame:
    """Service provided and cost borne side by side; the index against the mission's base."""
    return pd.DataFrame([{"country": c.country, "name": c.name, "provided": c.cost,
                          "borne": c.cost if c.cost_borne is None else c.cost_borne,
                          "borne_share": c.cost_share if c.borne_share is None
                          else c.borne_share, "gdp_share": c.gdp_share,
                          "budget_share": c.budget_share, "burden_index": c.burden_index}
                         for c in plan.countries])


def cohesion_table(plan: Plan) -> pd.DataFrame:
    """Each common or co-produced platform: who fields it, its share of the plan's cost and
    of each task it delivers (planner.results.cohesion)."""
    rows = [{"platform": p.platform, "allies": ", ".join(p.allies),
             "production": p.production, "used_by": ", ".join(p.used_by) or "-",
             "cost": p.cost, "cost_share": p.cost_share,
             "tasks": "; ".join(f"{t.task} {t.share:.1%}" for t in p.tasks) or "-"}
            for p in (plan.cohesion.platforms if plan.cohesion else [])]
    return pd.DataFrame(rows, columns=["platform", "allies", "production", "used_by", "cost",
                                       "cost_share", "tasks"])


def cohesion_findings(plan: Plan) -> list[str]:
    """The plan's cohesion measures in sentences (none for a plan saved before them)."""
    return plan.cohesion.sentences() if plan.cohesion else []


def cohesion_changes(plans: list[Plan]) -> pd.DataFrame:
    """The cohesion measures of each plan side by side: the common platforms' share of the
    cost, the links relied on, the cost borne for another's yards and munitions and the
    stock shipped between allies."""
    rows = []
    for plan in plans:
        c = plan.cohesion
        rows.append({
            "plan": label(plan),
            "platform_cost_share": c.platform_cost_share if c else None,
            "links_relied_on": (", ".join(u.link for u in c.links if u.relies) or "-")
            if c else "-",
            "borne_for_others_work": sum(d.cost for d in c.dependence) if c else None,
            "stock_shipped": sum(s.amount for s in c.shipments) if c else None})
    return pd.DataFrame(rows, columns=["plan", "platform_cost_share", "links_relied_on",
                                       "borne_for_others_work", "stock_shipped"])


def shaping_constraints(plan: Plan) -> pd.DataFrame:
    """Policy rows at their limit with a price, with sentence and source (for a plan with
    no prices, every policy row at its limit)."""
    priced = plan.duals_from != "none"
    rows = [{"name": c.name, "sentence": c.sentence, "source": c.source, "price": c.dual}
            for c in plan.policy_rows
            if c.binding and (not priced or abs(c.dual or 0) > CHANGE_TOLERANCE)]
    rows.sort(key=lambda r: -abs(r["price"] or 0))
    return pd.DataFrame(rows, columns=["name", "sentence", "source", "price"])


def shortfall_table(plan: Plan) -> pd.DataFrame:
    """The requirements left short, with the penalty both ways: per unit short (the rate)
    and the shortfall penalty it adds to the objective (the total `planner solve` prints)."""
    return pd.DataFrame([{**c.model_dump(), "shortfall_penalty": c.shortfall_penalty}
                         for c in plan.shortfalls],
                        columns=["phase", "region", "task", "required", "delivered",
                                 "shortfall", "penalty_per_unit", "shortfall_penalty"])


def policy_costs(plan: Plan) -> pd.DataFrame:
    """What each policy costs and each link is worth, from the explanation saved with the
    plan: one signed cost in USD m, as `planner explain` prints it (positive: it raises the
    objective). A plan explained before the cost was recorded gives it from its objectives."""
    rows = []
    for w in (plan.explanation or {}).get("policies", []):
        cost = w.get("cost")
        if "cost" not in w and w.get("objective_switched") is not None:
            cost = w["objective_now"] - w["objective_switched"]
        rows.append({"name": w["name"], "kind": w["kind"], "in_force": w["in_force"],
                     COST: cost, "source": w["source"]})
    return pd.DataFrame(rows, columns=["name", "kind", "in_force", COST, "source"])


def explain_hint(plan: Plan) -> tuple[str, str]:
    """The command that adds what each policy costs to a plan saved by `planner solve` (it
    rewrites the plan's default folder), and that folder, for the report to name."""
    flags = "".join(f" --set {shlex.quote(f'{k}={v}')}" for k, v in plan.settings.items())
    return (f"planner explain {shlex.quote(plan.mission_file)}{flags} --force",
            f"plans/{plan.name}")


def reconciled(plan: Plan, costs: pd.DataFrame) -> list[str]:
    """Policies listed as shaping the plan with a price whose removal changes nothing: the
    report says why both hold."""
    priced = {c.policy for c in plan.policy_rows
              if c.binding and abs(c.dual or 0) > CHANGE_TOLERANCE}
    return [row["name"] for row in costs.to_dict("records")
            if row["name"] in priced and row[COST] is not None and abs(row[COST]) < 0.05]


def headline(plans: list[Plan]) -> pd.DataFrame:
    """Objective, cost, shortfall and coverage of each plan, and the change from the first."""
    rows = []
    for plan in plans:
        met = sum(c.shortfall <= SHORTFALL_TOLERANCE for c in plan.coverage)
        rows.append({"plan": label(plan), "status": plan.status,
                     "objective": plan.objective, "total_cost": plan.total_cost,
                     "shortfall_penalty": plan.shortfall_penalty,
                     "requirements_met": f"{met} of {len(plan.coverage)}"
                     if plan.objective is not None else "no plan",
                     "us_cost_share": next((c.cost_share for c in plan.countries
                                            if c.country == "USA"), None)})
    table = pd.DataFrame(rows)
    first = table["objective"].iloc[0]
    table["objective_change"] = [None if o is None or first is None else o - first
                                 for o in table["objective"]]
    return table


def share_changes(plans: list[Plan]) -> pd.DataFrame:
    """Each country's cost share in each plan, and its change from the first plan."""
    table = pd.DataFrame([{"country": c.country, "plan": label(p), "cost_share": c.cost_share}
                          for p in plans for c in p.countries])
    wide = table.pivot_table(index="country", columns="plan", values="cost_share",
                             sort=False).reindex(columns=[label(p) for p in plans])
    for plan in plans[1:]:
        wide[f"change: {label(plan)}"] = wide[label(plan)] - wide[label(plans[0])]
    return wide.reset_index()


def allocation_changes(plans: list[Plan]) -> pd.DataFrame:
    """Delivered amounts that differ between the first plan and any other."""
    keys = ["phase", "region", "task", "country"]
    merged = None
    for plan in plans:
        amounts = delivered(plan).rename(columns={"delivered": label(plan)})
        merged = amounts if merged is None else merged.merge(amounts, on=keys, how="outer")
    assert merged is not None
    merged = merged.fillna(0.0)
    first = label(plans[0])
    changed = pd.Series(False, index=merged.index)
    for plan in plans[1:]:
        merged[f"change: {label(plan)}"] = merged[label(plan)] - merged[first]
        changed |= merged[f"change: {label(plan)}"].abs() > CHANGE_TOLERANCE
    return merged[changed].reset_index(drop=True)


def input_differences(plans: list[Plan]) -> pd.DataFrame:
    """What differs in the inputs: flags, links, policies in force, overrides, pools."""
    rows: list[dict[str, str]] = []

    def add(kind: str, item: str, values: list[str]) -> None:
        if len(set(values)) > 1:
            rows.append({"kind": kind, "item": item,
                         **{label(p): v for p, v in zip(plans, values, strict=True)}})

    for flag in sorted({f for p in plans for f in p.flags}):
        add("flag", flag, [p.flags.get(flag, "-") for p in plans])
    for link in sorted({n for p in plans for n in p.links}):
        add("link", link, ["active" if link in p.links else "inactive" for p in plans])
    for name in sorted({n for p in plans for n in p.policies}):
        add("policy", name, ["in force" if name in p.policies else "-" for p in plans])
    for key in sorted({(o.country, o.pool, o.column) for p in plans for o in p.overrides}):
        add("override", "/".join(key), [next((f"{o.before:g} -> {o.after:g}"
                                              for o in p.overrides
                                              if (o.country, o.pool, o.column) == key), "-")
                                        for p in plans])
    for key in sorted({(r.country, r.pool) for p in plans for r in p.pools}):
        for column in ("quantity", "readiness", "cost_per_unit"):
            add("capability", f"{key[0]}/{key[1]} {column}", [next(
                (f"{getattr(r, column):g}" for r in p.pools if (r.country, r.pool) == key),
                "absent") for p in plans])
    if len({p.input_digest for p in plans}) > 1 and not rows:
        rows.append({"kind": "inputs", "item": "requirements or other mission keys",
                     **{label(p): p.input_digest[:12] for p in plans}})
    return pd.DataFrame(rows, columns=["kind", "item", *[label(p) for p in plans]])


def stock_table(plan: Plan) -> pd.DataFrame:
    """Each country's stocks over the mission: run-out day, days of supply, prices."""
    return pd.DataFrame([{
        "country": s.country, "stock": s.stock, "opening": s.opening, "produced": s.produced,
        "received": s.received, "shipped": s.shipped, "used": s.used, "closing": s.closing,
        "runs_out": "none" if s.run_out_day is None else f"day {s.run_out_day:g}",
        "at_first_rate": "none" if s.run_out_at_first_rate is None
        else f"day {s.run_out_at_first_rate:g}",
        "days_of_supply": s.days_of_supply, "price_one_more": s.price_opening,
        "price_production": s.price_production, "price_surge_30_days_earlier":
        s.price_surge_earlier} for s in plan.stocks])


def stock_levels(plans: list[Plan]) -> pd.DataFrame:
    """Inventory at the start and at the end of each period, per plan, country and stock:
    the table the stocks chart is drawn from."""
    rows = []
    for plan in plans:
        seen = set()
        for r in plan.stock_periods:
            if (r.country, r.stock) not in seen:
                seen.add((r.country, r.stock))
                rows.append((label(plan), r.country, r.stock, r.start_day, r.opening))
            rows.append((label(plan), r.country, r.stock, r.end_day, r.closing))
    return pd.DataFrame(rows, columns=["plan", "country", "stock", "day", "level"])


# --- documents ---------------------------------------------------------------------------

@dataclass
class Document:
    """What a template renders: plans, tables and charts."""

    title: str
    plans: list[Plan]
    colours: dict[str, str]
    tables: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, Markup | None] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def column_formats(frame: pd.DataFrame) -> dict[str, str]:
    """Shares and probabilities in %, ratios with two decimals, by column name."""
    formats = {}
    for column in frame.columns:
        if column.endswith("share") or column.startswith("probability") or (
                column == "epsilon" and "us_share" in frame.columns):
            formats[column] = "share"
        elif column in ("burden_index", "spearman"):
            formats[column] = "ratio"
    return formats


def analysis_document(analysis: Any) -> Document:
    """A saved analysis (``planner analyze``) as a document: findings, charts, tables. The
    charts are the SVG files the analysis wrote itself, drawn by matplotlib."""
    facts = {"solves": "?", "seconds": "?", "ran_on": "?", **analysis.facts,
             "mission": analysis.mission, "kind": analysis.kind,
             "formats": {name: column_formats(frame) for name, frame in
                         analysis.tables.items()}}
    return Document(analysis.title, [], {}, dict(analysis.tables),
                    {name: Markup(svg) for name, svg in analysis.charts.items()},
                    list(analysis.findings), facts)


def report_document(plan: Plan) -> Document:
    from planner.reports import force

    colours = country_colours([plan])
    phases = force.shown_phases(plan)
    document = Document(f"Plan: {label(plan)}", [plan], colours)
    costs = policy_costs(plan)
    document.tables = {
        "headline": headline([plan]),
        "who": {phase: who_does_what(plan, phase) for phase in phases},
        "burden": burden(plan),
        "shortfalls": shortfall_table(plan),
        "constraints": shaping_constraints(plan),
        "worths": costs,
        "stocks": stock_table(plan),
        "cohesion": cohesion_table(plan),
    }
    if plan.force is not None:
        document.tables["orders"] = force.orders_frame(plan.force)
        document.tables["budgets"] = force.budgets_frame(plan.force)
    free = reconciled(plan, costs)
    document.facts = {"explain": explain_hint(plan),
                      "reconciled": priced_but_free(free) if free else "",
                      "burden_caption": burden_caption(plan),
                      "cohesion": cohesion_findings(plan)}
    countries = [c.country for c in plan.countries]
    document.charts = {"burden": charts.burden_chart(burden(plan), colours),
                       **{f"heatmap:{phase}": charts.heatmap(who_does_what(plan, phase),
                                                             countries, phase)
                          for phase in phases},
                       **{f"map:{phase}": theatre_map(plan, phase, colours)
                          for phase in phases}}
    if plan.stocks:
        document.charts["stocks"] = charts.stocks_chart(stock_levels([plan]))
    if plan.force is not None:
        document.charts["forces"] = charts.forces_chart(force.fleets_frame(plan.force),
                                                        colours)
    return document


def distinct(plans: list[Plan]) -> list[Plan]:
    """Plans with unique labels: a second plan of the same mission (a saved one against a
    fresh solve, say) is told apart by a number."""
    seen: dict[str, int] = {}
    out = []
    for plan in plans:
        name = label(plan)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            mission = plan.mission.model_copy(
                update={"name": f"{plan.mission.name} #{seen[name]}"})
            plan = plan.model_copy(update={"mission": mission})
        out.append(plan)
    return out


def compare_document(plans: list[Plan]) -> Document:
    plans = distinct(plans)
    colours = country_colours(plans)
    title = "Comparison: " + " vs ".join(label(p) for p in plans)
    document = Document(title, plans, colours)
    document.tables = {
        "headline": headline(plans),
        "inputs": input_differences(plans),
        "shares": share_changes(plans),
        "allocations": allocation_changes(plans),
        "burden": {label(p): burden(p) for p in plans},
        "shortfalls": {label(p): shortfall_table(p) for p in plans},
        "constraints": {label(p): shaping_constraints(p) for p in plans},
        "stocks": {label(p): stock_table(p) for p in plans if p.stocks},
        "cohesion": cohesion_changes(plans),
    }
    first, second = label(plans[0]), label(plans[1])
    document.charts = {"shares": charts.share_change_chart(share_changes(plans), colours,
                                                           first),
                       "allocations": charts.allocation_change_chart(
                           allocation_changes(plans[:2]), colours, first, second),
                       **{f"burden:{label(p)}": charts.burden_chart(burden(p), colours)
                          for p in plans}}
    if any(p.stocks for p in plans):
        document.charts["stocks"] = charts.stocks_chart(stock_levels(plans))
    return document


def comparison_tables(document: Document) -> dict[str, pd.DataFrame]:
    """The comparison's tables as CSV-ready frames, by file name."""
    tables = document.tables
    return {"headline.csv": tables["headline"], "inputs.csv": tables["inputs"],
            "cost_shares.csv": tables["shares"], "allocation_changes.csv": tables["allocations"],
            "cohesion.csv": tables["cohesion"]}


def fmt(value: Any, kind: str = "number") -> str:
    """A cell as text: shares in %, changes signed, missing as a dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "year":
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and kind == "number":
        return f"{value:,}"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "pp":
        return "0.0 pp" if abs(value) < 0.0005 else f"{100 * value:+.1f} pp"
    if kind == "ratio":
        return f"{value:.2f}"
    # a change gets the digits its two sides get: 0.040 -> 0.0 is a change of -0.040
    if kind == "change":
        if abs(value) < 0.0005:
            return "0.0"
        return f"{value:+,.1f}" if abs(value) >= 0.05 else f"{value:+,.3f}"
    return f"{value:,.1f}" if abs(value) >= 0.05 or value == 0 else f"{value:,.3f}"


def data_uri(chart: Markup) -> str:
    """An inline SVG as a data: URI image, for Markdown viewers that drop raw SVG."""
    return "data:image/svg+xml;base64," + base64.b64encode(str(chart).encode()).decode()


# what can start Markdown syntax inside a line: links and images need a [ (so ( ) and !
# alone are plain), code, emphasis, raw HTML, autolinks and entities (< > &), table cells
# (|), and a heading's closing #s; a value never starts a line (line breaks become spaces)
MARKDOWN_SPECIAL = re.compile(r"[\\`*{}\[\]~<>&|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"
                              r"|^#|(?<=\s)#+(?=\s*$)")


def md_text(text: str) -> str:
    """Text from a file as Markdown that shows exactly that text: syntax characters
    escaped with backslashes (an underscore inside a word is literal in Markdown and left
    alone), line breaks as spaces (a line cannot start a heading or a list), leading
    blanks dropped (four would start a code block), control characters shown as a
    replacement mark."""
    text = CONTROL.sub("\ufffd", str(text).replace("\r\n", " ").replace("\n", " ")
                       .replace("\r", " ")).lstrip(" \t")
    return MARKDOWN_SPECIAL.sub(lambda m: "".join("\\" + c for c in m.group()), text)


def md(value: Any) -> Markup:
    """A template value for Markdown: escaped once (already escaped text passes)."""
    return value if isinstance(value, Markup) else Markup(md_text(value))


def cell(value: Any) -> Markup:
    """A Markdown table cell: as ``md``, which also escapes pipes and line breaks."""
    return md(value)


def code(value: Any) -> Markup:
    """A code span: backslashes are literal inside one, so the text is kept free of what
    could end it (backticks), a table (pipes) or the line."""
    text = CONTROL.sub("\ufffd", str(value)).replace("`", "'").replace("|", "/")
    return Markup(f"`{text}`")


def column(name: Any) -> Markup:
    """A table's column name as a heading: our snake_case names with spaces."""
    return md(str(name).replace("_", " "))


def header(column: str, plans: frozenset[str] = frozenset()) -> str:
    """A table header: a field name reads with spaces (total_cost: total cost); a plan's
    name, alone or in "change: <plan>", stays as written."""
    if column in plans or column.removeprefix("change: ") in plans:
        return column
    return column.replace("_", " ")


def share_formats(plans: list[Plan]) -> dict[str, str]:
    return {**{label(p): "share" for p in plans},
            **{f"change: {label(p)}": "pp" for p in plans}}


def environment(output_format: str = "html") -> Environment:
    """Templates that escape every value: for HTML with entities (autoescape), for
    Markdown with backslashes (every ``{{ }}`` value goes through ``md`` unless a filter
    already made it Markdown), so that Markdown shows the text written, never ``&gt;``."""
    env = Environment(loader=PackageLoader("planner.reports", "templates"),
                      autoescape=True, trim_blocks=True, lstrip_blocks=True,
                      finalize=md if output_format == "md" else None)
    env.filters["fmt"] = fmt
    env.filters["data_uri"] = data_uri
    env.filters["cell"] = cell
    env.filters["md"] = md
    env.filters["column"] = column
    env.filters["code"] = code
    env.filters["header"] = header
    env.globals["label"] = label
    env.globals["share_formats"] = share_formats
    env.globals["force_end"] = force_end
    return env


def force_end(force: Any) -> str:
    """How a multi-year plan's orders count the service after its horizon (its report says
    it with the objective)."""
    from planner.reports.force import end_sentence

    return end_sentence(force)


def chart_files(document: Document, folder: str) -> dict[str, tuple[str, str]]:
    """For Markdown: each chart as a file name in ``folder`` and its SVG text (Markdown
    viewers refuse SVG data URIs)."""
    files = {}
    for key, chart in document.charts.items():
        if chart is not None:
            files[key] = (f"{folder}/{re.sub(r'[^A-Za-z0-9_.-]+', '_', key)}.svg", str(chart))
    return files


def render(document: Document, kind: str, output_format: str,
           links: dict[str, str] | None = None) -> str:
    """The document as HTML or Markdown text (``output_format`` html or md, as chosen from
    ``planner.reports.formats.DOCUMENT``: a format with no template is an error, never another
    format). In Markdown a chart is an image link (from ``links``, chart key -> relative
    path) or, without links, an SVG data URI."""
    env = environment(output_format)
    env.globals["plan_labels"] = frozenset(label(p) for p in document.plans)
    try:
        template = env.get_template(f"{kind}.{output_format}.j2")
    except TemplateNotFound:
        raise InputError([Problem("--format", f"unknown format '{output_format}'",
                                  hint="use html or md")]) from None

    def image(key: str) -> Markup:
        """Our own chart's link: a file name made of [A-Za-z0-9_.-], or a base64 URI."""
        if links and key in links:
            return Markup(links[key])
        chart = document.charts.get(key)
        return Markup(data_uri(chart) if chart is not None else "")

    return template.render(doc=document, tables=document.tables, charts=document.charts,
                           plans=document.plans, image=image)
