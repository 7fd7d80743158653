"""`planner check-sources`: every shipped number traced to a public figure or an assumption.

An analyst reads the tables row by row against their sources. This check reads them the
same way, from the ``source`` of every row of the capability tables, every flag and policy,
and every requirement, override and policy of the missions (the rows of the data-sources
page, ``docgen.sourced_rows``), split into parts at ``;`` and classified by ``docgen.cite``.
A row passes when:

- **traced**: every part that holds a number cites a ``public_facts`` row
  (``public_facts §2 'Japan Aegis destroyers' [H]``), cites a public source directly (its
  address with a confidence tag), or says ``assumption: ...``; a part with no number is a
  note and passes;
- **one format**: a ``public_facts`` citation names its row's figure in quotes, and the row
  exists (``§4: US and ROK ...`` with no quotes names no row);
- **confidence marks**: each part citing a public figure carries its tag ([H] official, [M]
  reputable secondary, [L] weak; ranges such as [L-M] or [H/M] too);
- **years stated**: each public_facts row cited has a year, and a source cited directly
  states the year of its figure;
- in a pool table, a readiness below 1 is explained (the word "readiness") and a cost per unit
  is traced (the word "cost", or a dollar figure);
- in ``countries.csv``, every country states the same GDP year (``GDP year 2024``), so
  that shares of alliance GDP compare like with like.

Pure: ``check_sources`` returns the problems; the command prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from planner.checks import facts as docgen
from planner.errors import Problem
from planner.inputs import paths

NUMBER = re.compile(r"\d")
YEAR = re.compile(r"\b(?:19|20)\d\d")  # 2024, 2024-25, the 2010s
GDP_YEAR = re.compile(r"GDP year ((?:19|20)\d\d)\b")
DOLLARS = re.compile(r"\$\s?\d")
TAGS = "[H], [M] or [L] (a range such as [L-M] or [H/M] too)"


@dataclass(frozen=True)
class Checked:
    """What the check read: how many rows, public figures and assumptions."""

    rows: int
    public: int
    assumptions: int
    problems: list[Problem]


def facts_file(explicit: Path | None, data_root: Path) -> Path:
    """The public facts: --facts, else docs/public_facts.md beside the tables' folder or here."""
    if explicit is not None:
        return explicit
    for folder in (data_root.resolve().parent, Path.cwd(), paths.PACKAGE.parent):
        candidate = folder / "docs" / docgen.FACTS_FILE
        if candidate.is_file():
            return candidate
    return Path("docs") / docgen.FACTS_FILE


def line_of(path: Path, row: docgen.SourcedRow) -> int | None:
    """The line of a row in its file, for the message (None when it cannot be told)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    item = row.item
    if path.suffix == ".csv":
        wanted = [f"{item},"]
    elif ": requirements" in row.group:
        task, _, rest = item.partition(" in ")
        wanted = [f"task: {task}, region: {rest.split(' (')[0]}"]
    elif ": overrides" in row.group:
        wanted = [f"pool: {item.split('/')[-1]}"]
    elif ": flags" in row.group:
        wanted = [f"  {item}:"]
    else:
        wanted = [f"name: {item}"]
    for number, line in enumerate(lines, start=1):
        if any(line.startswith(w) or (path.suffix != ".csv" and w in line)
               for w in wanted):
            return number
    return None


def part_problems(part: str, facts: list[docgen.Fact],
                  follows: str = "") -> list[tuple[str, str]]:
    """(message, fix) for one part of a source; ``follows`` is the citation or assumption
    it continues, if any (a derivation or a note on it)."""
    found: list[tuple[str, str]] = []
    if part.lower().startswith("assumption"):
        return found
    one = docgen.cite(part, facts)
    cites_facts = bool(one.facts or one.unresolved or one.loose)
    for reference in one.unresolved:
        found.append((f"cites {reference}, which docs/public_facts.md does not have",
                      "quote the figure exactly as the row of public_facts.md names it"))
    for reference in one.loose:
        found.append((f"'{reference}' names no public_facts row",
                      "cite a row as public_facts §N 'figure' [tag], or say assumption: ..."))
    if (cites_facts or one.direct) and not docgen.CONFIDENCE.search(part):
        found.append((f"'{shorten(part)}' cites a public figure without a confidence mark",
                      f"add its tag: {TAGS}"))
    continues_facts = bool(docgen.SECTION.search(follows)) and not one.facts
    if one.direct and not one.facts and not continues_facts and not (
            YEAR.search(part) or "year NOT FOUND" in part):
        found.append((f"'{shorten(part)}' cites a source without the year of its figure",
                      "state the year (for example 'as of 2024'), or 'year NOT FOUND'"))
    for fact in one.facts:
        if not YEAR.search(fact.year):
            found.append((f"cites public_facts §{fact.section} '{fact.figure}', which has no "
                          f"year (its value: {shorten(fact.value)})",
                          "cite a row with a figure and a year, or mark the number as an "
                          "assumption"))
    if not (cites_facts or one.direct or follows) and NUMBER.search(part):
        found.append((f"'{shorten(part)}' holds a number that is neither cited nor marked "
                      "an assumption",
                      "cite its public_facts row, or start the part with 'assumption:'"))
    return found


def shorten(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def check_sources(data_root: Path, missions_root: Path, facts_path: Path) -> Checked:
    """Every problem of every shipped source, located (file, line, column source)."""
    from planner.checks.validate import load_capabilities

    facts = docgen.read_facts(facts_path)
    rows = docgen.sourced_rows(data_root, missions_root)
    problems: list[Problem] = []
    public = assumptions = 0

    def where(row: docgen.SourcedRow) -> tuple[str, Path]:
        folder, _, name = row.group.split(":")[0].partition("/")
        path = (data_root if folder == "capabilities" else missions_root) / name
        return paths.display(path), path

    def report(row: docgen.SourcedRow, message: str, fix: str) -> None:
        label, path = where(row)
        problems.append(Problem(label, f"{row.item}: {message}", line_of(path, row),
                                "source", fix))

    for row in rows:
        if not row.source.strip() or row.source.strip().lower() == "none":
            report(row, "no source", "cite a public_facts row or write 'assumption: ...'")
            continue
        cited = docgen.cite(row.source, facts)
        public += bool(cited.facts or cited.direct)
        assumptions += bool(cited.assumptions)
        follows = ""  # a part after a citation or an assumption continues it (derived)
        for part in docgen.split_parts(row.source):
            for message, fix in part_problems(part, facts, follows):
                report(row, message, fix)
            if part.lower().startswith("assumption") or docgen.SECTION.search(part) or (
                    docgen.URL.search(part) or docgen.CONFIDENCE.search(part)):
                follows = part

    caps = load_capabilities(data_root)
    pool_rows = {(r.group, r.item): r for r in rows}
    for _, pool in caps.pools.iterrows():
        row = pool_rows[(f"capabilities/{pool['country']}.csv", str(pool["pool"]))]
        text = row.source.lower()
        if float(pool["readiness"]) < 1 and "readiness" not in text:
            report(row, f"readiness {pool['readiness']:g} is not explained",
                   "say where it comes from ('assumption: readiness 0.7 ...')")
        if float(pool["cost_per_unit"]) > 0 and "cost" not in text and not DOLLARS.search(text):
            report(row, f"cost per unit {pool['cost_per_unit']:g} is not traced",
                   "cite the cost or write 'assumption: cost per unit ...'")
    years: dict[str, str] = {}
    for row in rows:
        if row.group != "capabilities/countries.csv":
            continue
        stated = set(GDP_YEAR.findall(row.source))
        if len(stated) != 1:
            report(row, "the source does not state one GDP year",
                   "write 'GDP year 2024' (the same year for every country)")
        else:
            years[row.item] = stated.pop()
    if len(set(years.values())) > 1:
        first = next(iter(years.values()))
        for row in rows:
            if row.group == "capabilities/countries.csv" and years.get(row.item) not in (
                    None, first):
                report(row, f"GDP year {years[row.item]}, while {next(iter(years))} states "
                       f"{first}", "use one GDP year for every country")
    return Checked(len(rows), public, assumptions, problems)
