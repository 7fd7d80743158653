"""The theatre map: a schematic SVG of the mission's regions, who covers what in one phase,
and where the plan falls short.

One map for every edge that shows a plan (the HTML report and the exercise page), so
analysts and teams read the same picture. It is drawn from the Plan alone, as plain SVG
markup built here (no matplotlib: the exercise page redraws it after every move, within
milliseconds); every name from the tables passes through ``escape``.

Regions sit where they lie on a schematic of the western Pacific: the Korean Peninsula
north-west, Japan north-east, the East China Sea between them and Taiwan, the Philippines
and the South China Sea south, the rear (Guam, the United States) east. A region the map
does not know takes a place in a row along the bottom, so a new region in the tables is
still drawn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from markupsafe import Markup, escape

from planner.results.plan import SHORTFALL_TOLERANCE, Plan

WIDTH, HEIGHT = 720, 470
BOX_W, BOX_H = 170, 74
# Centre of each known region on the schematic.
PLACES: dict[str, tuple[int, int]] = {
    "korean_peninsula": (250, 60),
    "japan": (470, 80),
    "east_china_sea": (330, 180),
    "taiwan_strait": (230, 280),
    "philippines": (330, 385),
    "south_china_sea": (105, 385),
    "rear": (610, 280),
}
LABELS = {"rear": "rear (Guam, US)"}  # what a bare id would not say
SHORT = "#C0392B"
NOTHING = "#bbbbbb"


@dataclass(frozen=True)
class RegionCover:
    """One region in one phase: each country's part of the requirements, and what is short.

    ``parts`` and ``short`` are averages over the region's requirements of the share each
    country delivers and the share left short, so tasks of different units weigh alike."""

    region: str
    tasks: int
    parts: dict[str, float]
    short: float
    short_tasks: list[tuple[str, float, float]]  # task, shortfall, required


def cover_by_region(plan: Plan, phase: str) -> dict[str, RegionCover]:
    """Every region with a requirement in ``phase``, in the order the plan lists them."""
    delivered: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for a in plan.allocations:
        if a.phase == phase:
            by = delivered[(a.region, a.task)]
            by[a.country] = by.get(a.country, 0.0) + a.delivered
    sums: dict[str, dict[str, float]] = {}
    shorts: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    short_share: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for c in plan.coverage:
        if c.phase != phase:
            continue
        counts[c.region] += 1
        parts = sums.setdefault(c.region, {})
        if c.required > 0:
            for country, amount in delivered.get((c.region, c.task), {}).items():
                parts[country] = parts.get(country, 0.0) + min(amount / c.required, 1.0)
            short_share[c.region] += min(max(c.shortfall, 0.0) / c.required, 1.0)
        if c.shortfall > SHORTFALL_TOLERANCE:
            shorts[c.region].append((c.task, c.shortfall, c.required))
    return {region: RegionCover(region, counts[region],
                                {k: v / counts[region] for k, v in parts.items()},
                                short_share[region] / counts[region], shorts[region])
            for region, parts in sums.items()}


def regions_of(plan: Plan) -> list[str]:
    """The regions the mission requires anything in, known places first."""
    named = list(dict.fromkeys(c.region for c in plan.coverage))
    return [r for r in PLACES if r in named] + [r for r in named if r not in PLACES]


def place(region: str, extra: list[str]) -> tuple[int, int]:
    if region in PLACES:
        return PLACES[region]
    step = WIDTH // (len(extra) + 1)
    return (step * (extra.index(region) + 1) - BOX_W // 4, HEIGHT + 20)


def theatre_map(plan: Plan, phase: str, colours: dict[str, str]) -> Markup:
    """The map of ``phase``: one box per region with a bar of who covers its requirements
    (each country's colour, the uncovered part hatched red) and the tasks left short."""
    regions = regions_of(plan)
    extra = [r for r in regions if r not in PLACES]
    lowest = max((place(r, extra)[1] for r in regions), default=0)
    height = lowest + BOX_H // 2 + 34
    cover = cover_by_region(plan, phase)
    names = {c.country: c.name for c in plan.countries}
    hatch = escape(phase)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="theatre-map" viewBox="0 0 {WIDTH} '
           f'{height}" role="img" data-phase="{escape(phase)}" '
           f'aria-label="Theatre map: who covers what in {escape(phase)}">',
           f"<defs><pattern id=\"short-hatch-{hatch}\" width=\"6\" height=\"6\" "
           "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
           f"<rect width=\"6\" height=\"6\" fill=\"#f6d5d1\"/><line x1=\"0\" y1=\"0\" x2=\"0\" "
           f"y2=\"6\" stroke=\"{SHORT}\" stroke-width=\"3\"/></pattern></defs>",
           f'<rect width="{WIDTH}" height="{height}" fill="#eef4f8" rx="8"/>',
           f'<text x="12" y="{height - 10}" font-size="11" fill="#555">Schematic, not to scale. '
           f"Bars: each ally's share of the region's requirements in {escape(phase)}; "
           "red hatching: short.</text>"]
    home = PLACES["rear"]
    for region in regions:  # sea lanes from the rear: where the reinforcement comes from
        if region != "rear":
            x, y = place(region, extra)
            out.append(f'<line x1="{home[0]}" y1="{home[1]}" x2="{x}" y2="{y}" '
                       'stroke="#c9d6e0" stroke-dasharray="4 4"/>')
    for region in regions:
        out.append(region_box(region, place(region, extra), cover.get(region), colours,
                              names, hatch))
    out.append("</svg>")
    return Markup("".join(out))


def region_box(region: str, centre: tuple[int, int], cover: RegionCover | None,
               colours: dict[str, str], names: dict[str, str], hatch: str) -> str:
    """One region: its name, the bar of who covers it, and its shortfalls."""
    x, y = centre[0] - BOX_W // 2, centre[1] - BOX_H // 2
    short = bool(cover and cover.short_tasks)
    stroke = SHORT if short else "#5b6b78"
    title = region_title(region, cover, names)
    dashed = "" if cover else ' stroke-dasharray="3 3"'
    parts = [f'<g class="region" data-region="{escape(region)}" data-short="{int(short)}">',
             f"<title>{escape(title)}</title>",
             f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="white" '
             f'stroke="{stroke}" stroke-width="{3 if short else 1}"{dashed}/>',
             f'<text x="{x + 8}" y="{y + 16}" font-size="12" font-weight="600">'
             f"{escape(LABELS.get(region, region.replace('_', ' ')))}</text>"]
    bar_x, bar_y, bar_w = x + 8, y + 24, BOX_W - 16
    if cover is None:
        parts.append(f'<text x="{bar_x}" y="{bar_y + 14}" font-size="11" fill="{NOTHING}">'
                     "nothing required</text>")
    else:
        at = float(bar_x)
        for country, colour in colours.items():
            share = cover.parts.get(country, 0.0)
            if share <= 1e-9:
                continue
            width = bar_w * share
            parts.append(f'<rect class="part" data-country="{escape(country)}" '
                         f'data-share="{share:.4f}" x="{at:.1f}" y="{bar_y}" '
                         f'width="{width:.1f}" height="14" fill="{escape(colour)}"/>')
            if width > 26:
                parts.append(f'<text x="{at + 3:.1f}" y="{bar_y + 11}" font-size="9" '
                             f'fill="white">{escape(country)}</text>')
            at += width
        if cover.short > 1e-9:
            parts.append(f'<rect class="short" data-share="{cover.short:.4f}" x="{at:.1f}" '
                         f'y="{bar_y}" width="{bar_w * cover.short:.1f}" height="14" '
                         f'fill="url(#short-hatch-{hatch})"/>')
        parts.append(f'<rect x="{bar_x}" y="{bar_y}" width="{bar_w}" height="14" '
                     'fill="none" stroke="#8899a6"/>')
        lines = [f"short: {t.replace('_', ' ')} {s:,.1f}/{r:,.1f}"
                 for t, s, r in cover.short_tasks[:1]]
        if len(cover.short_tasks) > 1:
            lines.append(f"and {len(cover.short_tasks) - 1} more task"
                         f"{'s' if len(cover.short_tasks) > 2 else ''} short")
        if not lines:
            lines = [f"{cover.tasks} requirement{'s' if cover.tasks != 1 else ''} covered"]
        for i, line in enumerate(lines):
            parts.append(f'<text x="{bar_x}" y="{bar_y + 28 + 12 * i}" font-size="10" '
                         f'fill="{SHORT if short else "#333"}">{escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)


def region_title(region: str, cover: RegionCover | None, names: dict[str, str]) -> str:
    """The tooltip: every country's share and every shortfall, in words."""
    if cover is None:
        return f"{region}: nothing required in this phase"
    shares = ", ".join(f"{names.get(c, c)} {100 * s:.0f}%" for c, s in
                       sorted(cover.parts.items(), key=lambda kv: -kv[1]))
    shorts = "; ".join(f"{t} short {s:,.1f} of {r:,.1f}" for t, s, r in cover.short_tasks)
    return f"{region}: {shares or 'no one'}" + (f"; {shorts}" if shorts else "")
