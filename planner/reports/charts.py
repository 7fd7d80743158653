"""Every chart of the planner, as inline SVG text from matplotlib: the reports' (burden
sharing, who does what, changes between plans) and the analyses' (Pareto fronts, cost
distributions, ranges of cost share).

A chart is drawn from a table, never from files or a solver: reports and analyses build
their tables and pass them here. The same table gives the same bytes on every run (no date
in the SVG, a fixed hash salt), and text in a chart is escaped by matplotlib's SVG writer.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

# Okabe-Ito: distinguishable by colour-blind readers and in greyscale print
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000"]


def svg(figure: Any) -> Markup:
    """A matplotlib figure as inline SVG text (our own markup: text inside it is escaped
    by matplotlib's SVG writer). No date in its metadata: the same figure gives the same
    bytes on every run."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return Markup(text[text.index("<svg"):])


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9,
                                "text.parse_math": False,  # a "$" in a name is text
                                "svg.hashsalt": "planner"})
    import matplotlib.pyplot as plt

    return plt


def burden_chart(table: pd.DataFrame, colours: dict[str, str]) -> Markup:
    """Cost, GDP and budget shares (a plan's burden table), grouped by measure, one colour
    per country."""
    plt = pyplot()
    measures = [("borne_share", "share of cost borne"), ("gdp_share", "GDP share"),
                ("budget_share", "defense budget share")]
    figure, axes = plt.subplots(figsize=(6.5, 2.8))
    width = 0.8 / max(len(table), 1)
    for i, row in table.iterrows():
        xs = [m + (i - (len(table) - 1) / 2) * width for m in range(len(measures))]
        axes.bar(xs, [100 * row[m] for m, _ in measures], width,
                 color=colours[row["country"]], label=row["name"])
    axes.set_xticks(range(len(measures)), [name for _, name in measures])
    axes.set_ylabel("% of alliance")
    axes.legend(frameon=False, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title("Burden sharing: share of plan cost against economic weight", loc="left")
    return svg(figure)


def heatmap(table: pd.DataFrame, countries: list[str], phase: str) -> Markup:
    """Share of each requirement delivered by each country (rows: region / task), from a
    phase's who-does-what table (a column per country and the amount required)."""
    plt = pyplot()
    shares = table[countries].div(table["required"].where(table["required"] > 0), axis=0)
    shares = shares.fillna(0.0)
    figure, axes = plt.subplots(figsize=(1.6 + 0.9 * len(countries),
                                         0.6 + 0.28 * max(len(table), 1)))
    axes.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    axes.set_xticks(range(len(countries)), countries)
    axes.set_yticks(range(len(table)), [f"{r} / {t}" for r, t in
                                        zip(table["region"], table["task"], strict=True)])
    for (i, j), value in pd.DataFrame(shares.to_numpy()).stack().items():
        if value > 0.005:
            axes.text(j, i, f"{100 * value:.0f}%", ha="center", va="center", fontsize=7,
                      color="white" if value > 0.6 else "black")
    axes.set_title(f"Who does what in {phase}: share of each requirement", loc="left")
    axes.tick_params(length=0)
    return svg(figure)


def share_change_chart(table: pd.DataFrame, colours: dict[str, str], first: str) -> Markup:
    """Change of each country's cost share from the first plan (labelled ``first``), in
    percentage points, from the share-change table (``change: <plan>`` columns)."""
    plt = pyplot()
    changes = [c for c in table.columns if c.startswith("change: ")]
    figure, axes = plt.subplots(figsize=(6.5, 0.9 + 0.5 * len(table) * len(changes)))
    labels, values, bar_colours = [], [], []
    for _, row in table.iterrows():
        for column in changes:
            suffix = f" ({column.removeprefix('change: ')})" if len(changes) > 1 else ""
            labels.append(f"{row['country']}{suffix}")
            values.append(100 * row[column])
            bar_colours.append(colours[row["country"]])
    axes.barh(range(len(values)), values, color=bar_colours)
    axes.set_yticks(range(len(values)), labels)
    axes.invert_yaxis()
    axes.axvline(0, color="black", linewidth=0.8)
    for y, value in enumerate(values):
        text = "0.0 pp" if abs(value) < 0.05 else f"{value:+.1f} pp"
        axes.text(value, y, f" {text} ", va="center",
                  ha="left" if value >= 0 else "right", fontsize=8)
    axes.margins(x=0.3)
    axes.set_xlabel(f"change in share of plan cost from {first} (percentage points)")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title("Who pays more, who pays less", loc="left")
    return svg(figure)


def allocation_change_chart(changes: pd.DataFrame, colours: dict[str, str], first: str,
                            second: str, top: int = 15) -> Markup | None:
    """The largest changes in delivered amounts (the plan labelled ``second`` against
    ``first``), from the allocation-change table; none when nothing changed."""
    if changes.empty:
        return None
    plt = pyplot()
    column = f"change: {second}"
    changes = changes.reindex(changes[column].abs().sort_values(ascending=False).index)[:top]
    figure, axes = plt.subplots(figsize=(6.5, 0.8 + 0.3 * len(changes)))
    axes.barh(range(len(changes)), changes[column],
              color=[colours[c] for c in changes["country"]])
    axes.set_yticks(range(len(changes)), [f"{c} {t} in {r}, {h}" for c, t, r, h in zip(
        changes["country"], changes["task"], changes["region"], changes["phase"],
        strict=True)])
    axes.invert_yaxis()
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(f"change in delivered amount, {second} against {first} (task units)")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(f"Largest changes in who does what (top {len(changes)})", loc="left")
    return svg(figure)


# --- the analyses' charts -----------------------------------------------------------

def stocks_chart(levels: pd.DataFrame) -> Markup:
    """Inventory over the days, one line per country and stock, one line style per plan;
    straight between period ends, as use and production are spread evenly in a period."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6.5, 3.0))
    styles = ["-", "--", ":", "-."]
    plans = list(dict.fromkeys(levels["plan"]))
    keys = list(dict.fromkeys(zip(levels["country"], levels["stock"], strict=True)))
    for n, plan in enumerate(plans):
        for k, (country, stock) in enumerate(keys):
            line = levels[(levels["plan"] == plan) & (levels["country"] == country)
                          & (levels["stock"] == stock)]
            if line.empty:
                continue
            name = f"{country} {stock}" + (f" ({plan})" if len(plans) > 1 else "")
            axes.plot(line["day"], line["level"], styles[n % len(styles)],
                      color=PALETTE[k % len(PALETTE)], label=name, marker="o", markersize=3)
    axes.set_xlabel("day")
    axes.set_ylabel("in stock")
    axes.legend(frameon=False, fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title("Stocks at the end of each period", loc="left")
    return svg(figure)


def front_chart(front: pd.DataFrame, measure: str, axis: str, percent: bool = False) -> str:
    """The front as SVG: the measure across, total cost (objective) up."""
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(6, 3.6))
    x = front[measure] * (100 if percent else 1)
    ax.plot(x, front["objective"], marker="o", color="#0072B2")
    ax.set_xlabel(axis + (" (%)" if percent else ""))
    ax.set_ylabel("total cost incl. shortfall penalty (USD m)")
    ax.grid(alpha=0.3)
    return str(svg(figure))


def range_chart(shares: pd.DataFrame, ranges: pd.DataFrame) -> str:
    """Each ally's range of cost share, as bars from least to most, the least-cost plan
    marked."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6.5, 0.5 + 0.45 * max(len(shares), 1)))
    for i, row in enumerate(shares.itertuples(index=False)):
        axis.barh(i, row.most_cost_share - row.least_cost_share, left=row.least_cost_share,
                  color="#8fb3d9", height=0.5)
        axis.plot([row.least_cost_plan_share], [i], marker="|", markersize=16, color="#1f3b5c")
    axis.set_yticks(range(len(shares)), [str(c) for c in shares["country"]])
    axis.set_xlim(0, 1)
    axis.set_xlabel("share of employment cost within the slack (mark: least-cost plan)")
    axis.invert_yaxis()
    figure.tight_layout()
    return str(svg(figure))


def cost_histogram(objective: np.ndarray, base: float | None, seed: int) -> str:
    """The objective over the draws, with the plan at the tables' readiness marked."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6.5, 2.8))
    bins = int(min(40, max(5, np.sqrt(len(objective)))))
    axes.hist(objective, bins=bins, color=PALETTE[0])
    if base is not None:
        axes.axvline(base, color=PALETTE[1], linewidth=1.2, label="at the tables' readiness")
    axes.axvline(float(objective.mean()), color="black", linewidth=1.0, linestyle="--",
                 label="mean over the draws")
    axes.legend(frameon=False, fontsize=8)
    axes.set_xlabel("cost: employment + shortfall penalty (USD m)")
    axes.set_ylabel("draws")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(f"Cost over {len(objective)} readiness draws (seed {seed})", loc="left")
    return str(svg(figure))  # no date in it: the same draws give the same chart


def forces_chart(fleets: pd.DataFrame, colours: dict[str, str]) -> Markup:
    """Forces over time (a multi-year plan's fleets): one panel per country, one line per
    pool that changes (units owned in each operating year; dashed where fewer are
    fielded)."""
    plt = pyplot()
    moved = fleets[(fleets["retired"] > 0) | (fleets["delivered"] > 0)
                   | (fleets["fielded"] < fleets["owned"] - 1e-6)]
    changed = list(dict.fromkeys(zip(moved["country"], moved["pool"], strict=True)))
    countries = list(dict.fromkeys(c for c, _ in changed)) or ["-"]
    figure, panels = plt.subplots(1, len(countries), figsize=(3.2 * len(countries), 2.8),
                                  squeeze=False)
    for axes, country in zip(panels[0], countries, strict=True):
        for c, pool in changed:
            if c != country:
                continue
            rows = fleets[(fleets["country"] == c) & (fleets["pool"] == pool)]
            line, = axes.plot(rows["year"], rows["owned"], marker="o", markersize=3,
                              label=pool)
            if (rows["fielded"] < rows["owned"] - 1e-6).any():
                axes.plot(rows["year"], rows["fielded"], linestyle="--",
                          color=line.get_color(), linewidth=1)
        axes.set_title(country, loc="left", color=colours.get(country, "black"))
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(frameon=False, fontsize=6)
    panels[0][0].set_ylabel("units owned (dashed: fielded)")
    figure.suptitle("Forces over time", x=0.01, ha="left")
    return svg(figure)
