"""Terminal tables of a Plan, for an analyst reading the result of ``planner solve``."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.control import strip_control_codes
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Column, Table
from rich.text import Text

from planner.reports.tables import Parsed, titled
from planner.results.plan import (
    SHORTFALL_TOLERANCE,
    ConstraintResult,
    MipProof,
    Plan,
    priced_but_free,
)
from planner.results.stocks import by_shortfall
from planner.schema.policies.base import Policy
from planner.schema.policies.registry import KINDS

if TYPE_CHECKING:  # explain's module is needed only where a command explains
    from planner.results.explain import Conflict, Explanation, PolicyWorth


class Output(Console):
    """A command's standard output. In a terminal a table fits the window (a cell may be cut,
    and the reader can widen the window); anywhere else (a pipe, a file) nothing can be
    widened afterwards, so each table gets the width its cells need and no cell is cut.
    Prose still wraps at the width (COLUMNS, or 80)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        fixed: list[Column] = []
        if not self.is_terminal and objects and all(map(unfolded, objects)):
            need = UNBOUNDED  # as wide as its widest cells at any width from there
            fixed = [c for table in objects for c in fix_widths(table)]
        else:
            need = 0 if self.is_terminal else max(
                (uncut_width(self, o) for o in objects if isinstance(o, Table)), default=0)
        narrow = self._width
        if need > self.width:
            self.width = need
        try:
            super().print(*objects, **kwargs)
        finally:
            self._width = narrow
            for column in fixed:
                column.width = None


def stdout() -> Output:
    """The console of a command's own output (see ``Output``); text from files is shown as
    text, never as terminal control (``planner.reports.terminal``)."""
    from planner.reports.terminal import Sanitizer

    console = Output(highlight=False)
    console.push_render_hook(Sanitizer())
    return console


UNBOUNDED = 10**9  # columns: wider than any table can be (nothing is padded to the width)


def unfolded(table: object) -> bool:
    """Whether a table is printed, off a terminal, at the width its widest cells need
    whatever the console's width: it has a header (not a grid of prose) and no column that
    folds. Measuring it first (``uncut_width``) would find that width at the cost of a
    second layout: a third of printing a plan of 100,000 columns."""
    return (isinstance(table, Table) and table.show_header and not table.expand
            and not any(c.overflow == "fold" and not c.no_wrap for c in table.columns))


def fix_widths(table: Table) -> list[Column]:
    """Give each column of plain text the width of its widest line, which rich would find by
    measuring every cell (``Text.__rich_measure__``: the widest line of the text, control
    codes taken out) and which it takes as is from a fixed width; for a table printed uncut
    (``unfolded``), that is all the layout there is. Returns the columns fixed, to be set
    free after printing. The first and last columns of a table without edge padding are
    left to rich: before rich 14.3 a fixed width there got the edge's padding too."""
    fixed = []
    last = len(table.columns) - 1
    for i, column in enumerate(table.columns):
        if column.width is not None or column.min_width is not None or (
                column.max_width is not None) or (
                not table.pad_edge and i in (0, last)) or table.collapse_padding:
            continue
        cells = [column.header, *column.cells, *([column.footer] if table.show_footer else [])]
        texts = [cell.plain if isinstance(cell, Text) else cell for cell in cells]
        if all(isinstance(t, str) for t in texts) and not any(
                "[" in c or ":" in c for c in cells if isinstance(c, str)):
            column.width = max((cell_len(line) for t in texts
                                for line in strip_control_codes(t).splitlines()), default=0)
            fixed.append(column)
    return fixed


def uncut_width(console: Console, table: Table) -> int:
    """The least width at which no cell of a table is cut: every column as wide as its
    widest cell, except a column that folds long text (it only needs its longest word).
    A grid (no header) is a layout of prose that wraps: it needs nothing."""
    if not table.show_header:
        return 0
    options = console.options.update_width(UNBOUNDED)
    natural = Measurement.get(console, options, table).maximum
    return natural - sum(fold_saving(console, options, c) for c in table.columns)


def fold_saving(console: Console, options: Any, column: Column) -> int:
    """How much narrower than its widest cell a folding column may be."""
    if column.overflow != "fold" or column.no_wrap:
        return 0
    cells = [Measurement.get(console, options, c) for c in [column.header, *column.cells]]
    widest = max(m.maximum for m in cells)
    if column.max_width is not None:
        widest = min(widest, column.max_width)
    return max(widest - max(m.minimum for m in cells), 0)


def number(value: float, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    return "0" if text in ("0.0", "-0.0", "0") else text


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def headline(plan: Plan) -> Table:
    table = Parsed.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # prose wraps; a long word (a URL) folds, never cut
    status = "[green]optimal[/]" if plan.status == "optimal" else f"[red]{plan.status}[/]"
    # text from input files is shown verbatim: never parsed as rich markup
    table.add_row("Mission", Text(f"{plan.title} ({plan.mission_file})"))
    changes, heading = plan.changes_sentence(), plan.description_heading()
    if changes:
        table.add_row("", Text(changes, style="bold"))
    table.add_row("", Text(f"{heading} " if heading else "", style="italic")
                  + Text(plan.mission.description))
    if plan.flags:
        flags = ", ".join(f"{k}={v}" + (" (--set)" if k in plan.settings else "")
                          for k, v in plan.flags.items())
        table.add_row("Flags", flags)
    if plan.links:
        table.add_row("Links", ", ".join(plan.links) + " (active)")
    for o in plan.overrides:
        change = ("removed" if o.column == "removed"
                  else f"{o.column} {number(o.before, 2)} -> {number(o.after, 2)}")
        table.add_row("Override", Text.assemble(f"{o.country}/{o.pool}: {change} ",
                                                (f"[{o.source}]", "dim")))
    model = "LP"
    if plan.problem_class == "MIP":
        model = "MIP (whole units or lead-nation choices); " + (
            "prices are duals of the LP with those choices fixed at the optimum"
            if plan.duals_from == "fixed_lp" else "no prices")
    table.add_row("Model", model)
    algorithm = plan.lp_algorithm
    # said unless HiGHS's defaults ran unasked: a larger LP, or --lp-algorithm given
    usual = (algorithm.startswith(("simplex: dual simplex, HiGHS's defaults", "choose:"))
             and "asked for" not in algorithm)
    shown = f" ({algorithm})" if algorithm and not usual else ""
    table.add_row("Solver", f"{plan.solver}{shown}, status {status}")
    if plan.mip is not None:
        table.add_row("MIP gap", mip_gap(plan.mip))
    if plan.objective is not None and plan.force is not None:
        from planner.reports.force import objective_sentence

        table.add_row("Objective", objective_sentence(plan, plan.force))
    elif plan.objective is not None:
        stocks = (f" + production and holding of stocks {number(plan.stock_cost)}"
                  if plan.stocks else "")
        table.add_row("Objective", f"{number(plan.objective)} USD m (employment cost "
                      f"{number(plan.total_cost)} + shortfall penalty "
                      f"{number(plan.shortfall_penalty)}{stocks})")
    return table


def price(value: float | None) -> str:
    """A price in USD m to two decimals; "-" where there is none, "0" for a zero of either
    sign."""
    if value is None:
        return "-"
    return "0" if abs(value) < 0.005 else number(value, 2)


def day(value: float | None) -> str:
    return "none" if value is None else f"day {value:g}"


def stocks(plan: Plan) -> Table:
    """Each country's stocks over the mission, and when they run out."""
    table = titled("Stocks over the mission",
                   caption="Runs out: the end of the first period that closes with the stock "
                   "empty while it is used and scarce (the periods are the resolution; a plan "
                   "may ration a scarce stock). At first rate: the day it would be empty used "
                   "all along as in its first period of use, with the plan's production and "
                   "deliveries. Days of supply: the opening stock at that rate.",
                   caption_justify="left")
    for name, justify in [("Country", "left"), ("Stock", "left"), ("Opening", "right"),
                          ("Produced", "right"), ("Received", "right"), ("Shipped", "right"),
                          ("Used", "right"), ("Closing", "right"), ("Runs out", "left"),
                          ("At first rate", "left"), ("Days of supply", "right")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in plan.stocks:
        table.add_row(s.country, s.stock, number(s.opening, 0), number(s.produced, 0),
                      number(s.received, 0), number(s.shipped, 0), number(s.used, 0),
                      number(s.closing, 0), day(s.run_out_day), day(s.run_out_at_first_rate),
                      "-" if s.days_of_supply is None else number(s.days_of_supply))
    return table


def stock_prices(plan: Plan) -> Table:
    """What more of each stock would save, from the duals."""
    table = titled("What more stock is worth (USD m saved)",
                   caption="From the prices of the balance and production rows: a small "
                   "change, other things equal.", caption_justify="left")
    for name, justify in [("Country", "left"), ("Stock", "left"),
                          ("One more at the start", "right"),
                          ("Production rate +1", "right"),
                          ("Surge 30 days earlier", "right")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in plan.stocks:
        table.add_row(s.country, s.stock,
                      price(s.price_opening),
                      "-" if s.price_production is None
                      else f"{price(s.price_production)} (per {s.per})",
                      price(s.price_surge_earlier))
    return table


def stock_over_time(plan: Plan) -> Table:
    """Inventory at the end of each period, one column per period."""
    periods = list(dict.fromkeys(r.period for r in plan.stock_periods))
    ends = {r.period: r.end_day for r in plan.stock_periods}
    table = titled("Stocks at the end of each period")
    table.add_column("Country")
    table.add_column("Stock")
    for period in periods:
        table.add_column(f"{period} (day {ends[period]:g})", justify="right")
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for r in plan.stock_periods:
        rows.setdefault((r.country, r.stock), {})[r.period] = r.closing
    for (country, stock), closing in rows.items():
        table.add_row(country, stock, *(number(closing[p], 0) for p in periods))
    return table


def stock_reasons(plan: Plan) -> list[Text]:
    """One line per shortfall that empty stocks explain."""
    lines = []
    for (task, region, period), records in by_shortfall(plan.stock_shortfalls).items():
        stocks = [f"{r.country}'s {r.stock}" for r in records]
        lines.append(Text(
            f"{task} in {region}, {period}: short while the stock of {' and '.join(stocks)} "
            f"{'is' if len(stocks) == 1 else 'are'} empty at the end of the period (day "
            f"{records[0].end_day:g}); the forces that could cover it use it."))
    return lines


def mip_gap(mip: MipProof) -> str:
    """How proven a MIP plan is, in one line: the gap left, the bound, the gap asked for."""
    asked = (f"asked for {mip.relative_tolerance:g} relative or {mip.absolute_tolerance:g} "
             "USD m")
    if mip.bound is None:
        return f"unknown ({mip.note or 'no bound reported'}); {asked}"
    if mip.absolute_gap is None:
        return f"best bound {number(mip.bound)} USD m, no plan; {asked}"
    if mip.absolute_gap == 0:
        return f"0 (the plan reaches the best bound); {asked}"
    relative = "" if mip.gap is None else f" ({mip.gap:.2g} relative)"
    return (f"{mip.absolute_gap:.3g} USD m{relative} above the best bound "
            f"{number(mip.bound, 2)}; {asked}")


def who_does_what(plan: Plan, phase: str, countries: list[str]) -> Table:
    """One row per requirement in the phase, one column per country's delivered amount."""
    delivered: dict[tuple[str, str, str], float] = defaultdict(float)
    for a in plan.allocations:
        if a.phase == phase:
            delivered[(a.task, a.region, a.country)] += a.delivered
    table = titled(f"Who does what: {phase} (amounts in each task's unit)")
    table.add_column("Region", no_wrap=True)
    table.add_column("Task", no_wrap=True)
    table.add_column("Need", justify="right")
    for country in countries:
        table.add_column(country, justify="right")
    table.add_column("Short", justify="right")
    last_region = None
    for c in plan.coverage_by_region(phase):
        cells = [number(delivered[(c.task, c.region, k)]) if delivered[(c.task, c.region, k)]
                 else "[dim]-[/]" for k in countries]
        short = f"[red]{number(c.shortfall)}[/]" if c.shortfall > SHORTFALL_TOLERANCE else ""
        region = c.region if c.region != last_region else ""
        last_region = c.region
        table.add_row(region, c.task, number(c.required), *cells, short)
    return table


def leads(plan: Plan) -> Table:
    """The lead nation chosen for each task and region under lead-nation policies."""
    table = titled("Lead nations")
    for name in ("Region", "Task", "Lead", "Policy"):
        table.add_column(name, no_wrap=True)
    for lead in plan.leads:
        table.add_row(lead.region, lead.task, lead.country, lead.policy)
    return table


def allocations_detail(plan: Plan, phase: str) -> Table:
    table = titled(f"Pools employed: {phase}")
    for name, justify in [("Country", "left"), ("Pool", "left"), ("Task", "left"),
                          ("Region", "left"), ("Units", "right"), ("Delivered", "right"),
                          ("Cost USD m", "right")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for a in plan.allocations:
        if a.phase == phase:
            table.add_row(a.country, a.pool, a.task, a.region, number(a.units, 2),
                          number(a.delivered, 2), number(a.cost))
    return table


def burden_caption(plan: Plan) -> str:
    """What the burden index divides by, stated wherever the index is shown."""
    base = "defense budgets" if plan.burden_index_base == "budget" else "GDP"
    return (f"Burden index = share of the cost borne / share of the allies' {base} (the "
            f"mission's burden_index_base: {plan.burden_index_base}; above 1: carries more "
            "than its weight). Provided: the cost (USD m) of the work a country's pools do; "
            "borne: what it pays, its own pools' work less what others pay for, plus what it "
            "pays others for (cost_bearers.csv of the tables).")


def burden(plan: Plan) -> Table:
    table = titled("Burden sharing", caption=burden_caption(plan), caption_justify="left")
    for name, justify in [("Country", "left"), ("Provided", "right"),
                          ("Borne", "right"), ("Borne share", "right"),
                          ("GDP share", "right"), ("Budget share", "right"),
                          ("Burden index", "right")]:
        table.add_column(name, justify=justify,  # type: ignore[arg-type]
                         no_wrap=name == "Country")
    for c in plan.countries:
        borne = c.cost if c.cost_borne is None else c.cost_borne
        borne_share = c.cost_share if c.borne_share is None else c.borne_share
        table.add_row(Text(c.name), number(c.cost), number(borne), percent(borne_share),
                      percent(c.gdp_share), percent(c.budget_share),
                      "-" if c.burden_index is None else f"{c.burden_index:.2f}")
    return table


def shortfalls(plan: Plan) -> Table:
    table = titled("Shortfalls: requirements the alliance cannot cover",
                   title_style="bold red")
    for name, justify in [("Phase", "left"), ("Region", "left"), ("Task", "left"),
                          ("Required", "right"), ("Delivered", "right"), ("Short", "right"),
                          ("Shortfall penalty USD m", "right")]:
        # the total, not the rate per unit short (the report and shortfalls.csv show both)
        table.add_column(name, justify=justify,  # type: ignore[arg-type]
                         max_width=9 if name.startswith("Shortfall") else None)
    for c in plan.shortfalls:
        table.add_row(c.phase, c.region, c.task, number(c.required), number(c.delivered),
                      number(c.shortfall), number(c.shortfall_penalty))
    return table


def policy_state(c: ConstraintResult) -> str:
    """binding: it changes the plan (non-zero price); tight: at its limit but free."""
    if c.binding and c.dual:
        return "binding"
    return "tight" if c.binding else "slack"


def print_policies(plan: Plan, console: Console) -> None:
    """The legal and political constraints in force: the binding ones with their sentence,
    source and price; the others by name."""
    rows = sorted(plan.policy_rows, key=lambda c: -abs(c.dual or 0))
    console.print(Text("Policies in force", style="italic"))
    for c in rows:
        if policy_state(c) != "binding":
            continue
        console.print(Text.assemble("  ", (c.name, "bold"), "  binding, price ",
                                    number(c.dual or 0.0, 2), " USD m per unit"))
        console.print(Text.assemble("    ", c.sentence, " ", (f"[{c.source}]", "dim")))
    for state in ("tight", "slack"):
        chosen = [c.name for c in rows if policy_state(c) == state]
        if chosen:
            console.print(Text.assemble(f"  {state}: ", ", ".join(chosen)))


def print_plan(plan: Plan, console: Console, detail: bool = False) -> None:
    """The whole plan: headline, who does what per phase, burden sharing, shortfalls."""
    console.print(headline(plan))
    if plan.objective is None:
        console.print(f"[red]No plan: the solver ended with status '{plan.status}'.[/]")
        return
    from planner.reports.force import print_force, shown_phases

    print_force(plan, console)
    countries = [c.country for c in plan.countries]
    for phase in shown_phases(plan):
        console.print()
        console.print(who_does_what(plan, phase, countries))
        if detail:
            console.print(allocations_detail(plan, phase))
    if plan.leads:
        console.print()
        console.print(leads(plan))
    if plan.policy_rows:
        console.print()
        print_policies(plan, console)
    console.print()
    console.print(burden(plan))
    if plan.cohesion is not None:
        console.print()
        console.print("Cohesion and asset specificity")
        for line in plan.cohesion.sentences():
            console.print(Padding(Text(line), (0, 0, 0, 2)))
    if plan.stocks:
        console.print()
        console.print(stock_over_time(plan))
        console.print()
        console.print(stocks(plan))
        console.print()
        console.print(stock_prices(plan))
    console.print()
    if plan.shortfalls:
        console.print(shortfalls(plan))
        for line in stock_reasons(plan):
            console.print(line)
    else:
        console.print("[green]Every requirement is covered.[/]")


def bound(value: float | None) -> str:
    return "no limit" if value is None else number(value, 2)


def price_sentence(kind: str, price: float) -> str:
    """What the dual of a row means, in words."""
    if kind == "pool":
        return f"one more available unit would save {number(-price, 2)} USD m"
    if kind == "cover":
        return f"one more unit required would cost {number(price, 2)} USD m"
    return f"price {number(price, 2)} USD m per unit of its bound"


def print_conflict(conflict: Conflict, console: Console) -> None:
    """A minimal set of clashing policies with sources, and the smallest relaxation."""
    console.print()
    console.print(Text("No plan: these policies cannot hold together" + (
        " (a minimal set: drop any one and a plan exists)" if conflict.minimal else
        " (a trial solve ended without a verdict, so the set may not be minimal)"),
        style="bold red"))
    for name in conflict.policies:
        console.print(Text.assemble("  ", (name, "bold"), ": ", conflict.sentences[name],
                                    " ", (f"[{conflict.sources[name]}]", "dim")))
    if conflict.relaxation:
        console.print("The smallest relaxation that gives a plan (or change the flags that "
                      "switch these policies on):")
        for r in conflict.relaxation:
            console.print(Text.assemble("  relax ", (r.name, "bold"), " by ", number(r.by, 2)))


def worth_sentence(w: PolicyWorth) -> str:
    """What re-solving without a policy, or with a link switched, says about it (and, for a
    link, which policies lapse with it)."""
    text = worth_only(w)
    if w.depend_on_it:
        text += (f"; off, it takes {', '.join(w.depend_on_it)} with it" if w.in_force
                 else f"; on, it brings {', '.join(w.depend_on_it)} in")
    return text


def worth_only(w: PolicyWorth) -> str:
    """Its signed cost in USD m (positive: it raises the objective), the number the
    reports and the JSON show, in the words of the policy's kind."""
    return KINDS.get(w.kind, Policy).worth_text(f"costs {number(w.cost or 0, 1)} USD m",
                                    number(abs(w.cost or 0), 1), w.cost, w.in_force)


def print_explanation(explanation: Explanation, console: Console, limit: int | None) -> None:
    """The explanation as sentences and tables; ``limit`` rows per list (None: all)."""
    def cut(items: list) -> list:
        return items if limit is None else items[:limit]

    def more(items: list, what: str) -> None:
        if limit is not None and len(items) > limit:
            console.print(Text(f"  ({len(items) - limit} more {what}: --all lists every one, "
                               "--format json gives them to scripts)", style="dim"))

    e = explanation
    status = e.status if e.objective is None else (
        f"{e.status}, objective {number(e.objective)} USD m")
    if e.mip is not None:
        status += f"; MIP gap {mip_gap(e.mip)}"
    changed = ", ".join(f"{k}={v}" for k, v in e.changed_flags.items())
    console.print(Text.assemble(("Mission ", "bold"), e.mission,
                                f" with {changed}" if changed else "", f" ({status})"))
    console.print(Text(e.note, style="italic"))
    if e.conflict is not None:
        print_conflict(e.conflict, console)
    if e.binding:
        console.print()
        console.print(Text("What shapes the plan (rows at their limit, by price)",
                           style="bold"))
        for b in cut(e.binding):
            console.print(Text.assemble("  ", (b.name, "bold"), ": ",
                                        price_sentence(b.kind, b.price)))
            console.print(Text.assemble("    ", b.sentence, " ", (f"[{b.source}]", "dim")))
        more(e.binding, "binding rows")
    if e.values:
        console.print()
        console.print(Text("What each requirement is worth (USD m per unit left uncovered, "
                           "in every phase; the shortfall penalty)", style="bold"))
        for v in cut(e.values):
            console.print(Text.assemble("  ", (f"{v.task} in {v.region}", "bold"), ": ",
                                        f"{number(v.value_per_unit, 2)}; {v.basis}"))
        more(e.values, "values")
    if e.policies:
        console.print()
        console.print(Text("What each policy costs and each link is worth (re-solved without "
                           "the policy, or with the link switched)", style="bold"))
        free = []
        for w in e.policies:
            if w.cost is not None and abs(w.cost) < 0.05:
                free.append(w.name)
                continue
            console.print(Text.assemble("  ", (w.name, "bold"), ": ", worth_sentence(w)))
            console.print(Text.assemble("    ", w.sentence, " ", (f"[{w.source}]", "dim")))
        if free:
            console.print(Text.assemble("  no effect on the objective: ", ", ".join(free)))
            priced = [name for name in free if name in
                      {b.policy for b in e.binding if b.kind == "policy"}]
            if priced:
                console.print(Text("    " + priced_but_free(priced)))
    for title, ranges in (("Cost ranges: the same pools do the same work while each unit "
                           "cost stays within", e.cost_ranges),
                          ("Right-hand-side ranges: each binding row keeps its price while "
                           "its bound stays within", e.rhs_ranges)):
        if not ranges:
            continue
        console.print()
        table = titled(title)
        for name, justify in [("Row or column", "left"), ("Now", "right"),
                              ("Low", "right"), ("High", "right")]:
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for r in cut(ranges):
            table.add_row(Text(r.name), number(r.value, 2), bound(r.low), bound(r.high))
        console.print(table)
        more(ranges, "ranges")
    for trace in e.shortfalls:
        console.print()
        console.print(Text.assemble(("Short: ", "bold red"),
                                    f"{trace.task} in {trace.region}, {trace.phase}, by "
                                    f"{number(trace.shortfall, 2)}"))
        if trace.empty_stocks:
            console.print(Text(f"  the stock it needs is empty: {', '.join(trace.empty_stocks)}"))
        for b in trace.blockers:  # row names in brackets are text, not rich markup
            console.print(Text(f"  {b.country} {b.pool}: {b.detail}"))
        if trace.incapable:
            console.print(Text(f"  no pool of {', '.join(trace.incapable)} can deliver it "
                               "there"))
