"""The public figures a source cites: public_facts.md's rows, and every shipped source
classified part by part (shared by ``planner check-sources`` and the data-sources page)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from planner.inputs import paths
from planner.schema import tables as schema

FACTS_FILE = "public_facts.md"
URL = re.compile(r"https?://[^\s,;)\]]+[^\s,;)\].]")


DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2212": "-"})
SECTION = re.compile(r"§\s*(\d+)")
CONFIDENCE = re.compile(r"\[[HML](?:[-/\u2013][HML])?\]")
QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class Fact:
    """One row of public_facts.md."""

    section: str
    section_title: str
    figure: str
    value: str
    year: str
    source: str

    @property
    def anchor(self) -> str:
        return f"§{self.section} {self.figure}"


def read_facts(path: Path) -> list[Fact]:
    """The rows of public_facts.md's tables, with their section numbers."""
    facts: list[Fact] = []
    section, title = "", ""
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"##\s+(\d+)\.\s+(.*)", line)
        if heading:
            section, title = heading.group(1), heading.group(2).strip()
            continue
        if not section or not line.startswith("|") or re.match(r"\|\s*(figure|-)", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4:
            facts.append(Fact(section, title, cells[0], cells[1], cells[2],
                              " | ".join(cells[3:])))
    return facts


def normal(name: str) -> str:
    return " ".join(name.translate(DASHES).lower().split())


def without_note(name: str) -> str:
    """A figure name without its trailing parenthesis: 'GSOMIA (signed 2016)' -> 'GSOMIA'."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", name)


def resolve(section: str, name: str, facts: list[Fact], prefix: bool = False) -> list[Fact]:
    """The rows of a section a reference names, by figure name (dashes and case aside)."""
    wanted = normal(name)
    here = [f for f in facts if f.section == section]
    exact = [f for f in here if normal(f.figure) == wanted
             or normal(without_note(f.figure)) == wanted]
    if exact or not prefix:
        return exact
    return [f for f in here if wanted.startswith(normal(without_note(f.figure)))]


def split_parts(source: str) -> list[str]:
    """A source's parts, split at ';' outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(source):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == ";" and not depth:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    return [p.strip() for p in parts if p.strip()]


@dataclass
class Cited:
    """What one source cites: public_facts rows, references not found, assumptions."""

    facts: list[Fact] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # quoted, not in public_facts.md
    loose: list[str] = field(default_factory=list)  # unquoted, matching no row
    direct: list[str] = field(default_factory=list)  # public sources cited with their address
    assumptions: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        public = bool(self.facts or self.unresolved or self.loose or self.direct)
        if public and self.assumptions:
            return "public + assumption"
        if public:
            return "public"
        return "assumption" if self.assumptions else "other"


def cite(source: str, facts: list[Fact]) -> Cited:
    """Classify a source's parts: public figures (resolved to rows) and assumptions.

    A part naming a section (``public_facts §2 'Japan Aegis destroyers'``, or ``§1: US GDP
    ...; US military expenditure ...``) cites public figures; a part starting with
    ``assumption`` is an assumption (a section it mentions is context, e.g. a figure NOT
    FOUND); a part with a web address or a confidence tag ([H], [M], [L]) cites a public
    source directly; a part after a public part without a section of its own names another
    figure of that section when one matches.
    """
    cited = Cited()
    last, section = "other", ""
    for part in split_parts(source):
        if part.lower().startswith("assumption"):
            cited.assumptions.append(part.split(":", 1)[-1].strip())
            last = "assumption"
        elif SECTION.search(part):
            section = references(part, facts, cited)
            last = "public"
        elif last == "public" and (found := resolve(section, part, facts, prefix=True)):
            add(cited, found, "")
        elif URL.search(part) or CONFIDENCE.search(part):
            cited.direct.append(part)
            last = "direct"
        elif last == "assumption":
            cited.assumptions[-1] += f"; {part}"
        else:
            cited.other.append(part)
    return cited


def references(part: str, facts: list[Fact], cited: Cited) -> str:
    """Add the public_facts rows one part names: quoted figures ('...') after each section
    mark, or, with no quotes, the text after 'N:'. Returns the last section named."""
    marks = list(SECTION.finditer(part))
    section = ""
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        section = mark.group(1)
        span = part[mark.end():following.start() if following else len(part)]
        names = QUOTED.findall(span)
        for name in names:
            add(cited, resolve(section, name, facts), f"§{section} '{name}'")
        listed = span.lstrip(" :").strip()
        if not names and listed:
            found = resolve(section, listed, facts, prefix=True)
            add(cited, found, "")
            if not found:
                cited.loose.append(f"§{section}: {listed}")
    return section


def add(cited: Cited, found: list[Fact], reference: str) -> None:
    for fact in found:
        if fact not in cited.facts:
            cited.facts.append(fact)
    if not found and reference:
        cited.unresolved.append(reference)


@dataclass(frozen=True)
class SourcedRow:
    """One shipped row with a source: where it is, what it is, what it says."""

    group: str  # capabilities/JPN.csv, missions/baseline.yaml: requirements, ...
    item: str
    source: str


def sourced_rows(data_root: Path, missions_root: Path) -> list[SourcedRow]:
    """Every shipped row that carries a source, in file order."""
    from planner.checks.validate import load_capabilities
    from planner.inputs.load import read_yaml

    caps = load_capabilities(data_root)
    rows: list[SourcedRow] = []
    for entry in schema.REFERENCE_TABLES:
        frame = getattr(caps, entry.name)
        rows += [SourcedRow(f"capabilities/{entry.filename}", str(key), str(src))
                 for key, src in zip(frame[entry.key], frame["source"], strict=True)]
    marked = caps.platforms
    rows += [SourcedRow("capabilities/platforms.csv", f"{c}/{p}", str(s))
             for c, p, s in zip(marked["country"], marked["pool"], marked["source"], strict=True)]
    based = caps.basing
    rows += [SourcedRow("capabilities/basing.csv", f"{c}/{p}", str(s))
             for c, p, s in zip(based["country"], based["pool"], based["source"], strict=True)]
    for country in caps.countries["country"]:
        pools = caps.pools[caps.pools["country"] == country]
        rows += [SourcedRow(f"capabilities/{country}.csv", str(p), str(s))
                 for p, s in zip(pools["pool"], pools["source"], strict=True)]
    rows += [SourcedRow(f"capabilities/{schema.STOCKS.filename}", f"{s.country}/{s.stock}",
                        s.source) for s in caps.stocks]
    rows += [SourcedRow(f"capabilities/{schema.STOCK_USES.filename}",
                        f"{u.country}/{u.pool} {u.task} {u.stock}", u.source)
             for u in caps.stock_uses]
    standing = caps.standing
    rows += [SourcedRow("capabilities/policies.yaml: flags", name, flag.source)
             for name, flag in standing.flags.items()]
    rows += [SourcedRow("capabilities/policies.yaml: policies", p.name, p.source)
             for p in standing.policies]
    for path in paths.mission_files(missions_root):
        document, _ = read_yaml(path, f"missions/{path.name}")
        label = f"missions/{path.name}"
        for req in document.get("requirements") or []:
            phases = req.get("amount") if isinstance(req.get("amount"), dict) else {
                req.get("phase"): req.get("amount")}
            amounts = ", ".join(f"{k} {v:g}" if isinstance(v, int | float) else f"{k} {v}"
                                for k, v in phases.items())
            rows.append(SourcedRow(f"{label}: requirements",
                                   f"{req.get('task')} in {req.get('region')} ({amounts})",
                                   str(req.get("note", ""))))
        for override in document.get("overrides") or []:
            rows.append(SourcedRow(f"{label}: overrides",
                                   f"{override.get('country')}/{override.get('pool')}",
                                   str(override.get("source", ""))))
        for policy in document.get("policies") or []:
            rows.append(SourcedRow(f"{label}: policies", str(policy.get("name")),
                                   str(policy.get("source", ""))))
    return rows
