"""Turn the capability tables into checked, typed data, or report every mistake at once.

One ``check_*`` function per rule; each returns the problems it found, located by file, row
and column, and all of them are gathered before anything fails.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.checks import basing, bearers, platforms
from planner.checks.cells import (  # noqa: F401 (check_cells, parse_number: used by edit.py)
    check_cells,
    check_choice,
    check_columns,
    check_task_units,
    parse_number,
    split_regions,
    time_units_named,
    typed_frame,
)
from planner.errors import InputError, Problem, suggest, unknown
from planner.inputs.load import ROW, RawTable, digest_files, label_for, read_csv, read_yaml
from planner.inputs.workbook import Unpacked, is_workbook, unpacked
from planner.schema import tables as schema
from planner.schema.policy import Standing, check_policies
from planner.schema.sustainment import Stock, Use

POLICIES = "policies.yaml"


@dataclass(frozen=True)
class Capabilities:
    """The validated capability data every later step reads.

    ``pools`` has one row per (country, pool); ``deliveries`` one row per (country, pool,
    task) the pool can do; ``pool_regions`` one row per (country, pool, region) it can serve.
    """

    root: Path
    countries: pd.DataFrame
    tasks: pd.DataFrame
    regions: pd.DataFrame
    phases: pd.DataFrame
    pools: pd.DataFrame
    deliveries: pd.DataFrame
    pool_regions: pd.DataFrame
    digest: str
    standing: Standing = field(default_factory=Standing)
    # who pays for a pool's work when not its provider (planner.checks.bearers; none by default)
    cost_bearers: pd.DataFrame = field(default_factory=bearers.empty)
    # pools that are common or co-produced platforms (planner.checks.platforms; optional)
    platforms: pd.DataFrame = field(default_factory=platforms.empty)
    # pools based on another ally's territory (planner.checks.basing; optional)
    basing: pd.DataFrame = field(default_factory=basing.empty)
    # stocks.csv and stock_uses.csv (optional): for missions with stocks_from_tables: true
    stocks: tuple[Stock, ...] = ()
    stock_uses: tuple[Use, ...] = ()

    def vocabulary(self) -> dict[str, list[str]]:
        """Known names by kind, for checking references in missions and policies."""
        return {"country": list(self.countries["country"]), "task": list(self.tasks["task"]),
                "region": list(self.regions["region"]), "phase": list(self.phases["phase"]),
                "pool": list(self.pools["pool"].unique()),
                "country_pool": [f"{c}/{p}" for c, p in self.pools[["country", "pool"]]
                                 .itertuples(index=False)],
                "link": [p.name for p in self.standing.policies if p.is_link],
                "task_per": [f"{t}:{p}" for t, p in self.task_per.items()],
                "stock": [f"{s.country}/{s.stock}" for s in self.stocks]}

    @property
    def task_per(self) -> dict[str, str]:
        """Each task's time unit (day, month, year), or level for a task on station."""
        per = self.tasks["per"] if "per" in self.tasks else [schema.LEVEL] * len(self.tasks)
        return dict(zip(self.tasks["task"], per, strict=True))

    @property
    def country_codes(self) -> list[str]:
        return list(self.countries["country"])


def check_unique(raw: RawTable, key: str) -> list[Problem]:
    """No key appears twice: a duplicated pool or task would be silently merged otherwise."""
    problems = []
    first: dict[str, int] = {}
    for row in raw.rows:
        value = row.get(key, "")
        if not value:
            continue
        line = int(row[ROW])
        if value in first:
            problems.append(Problem(raw.label, f"'{value}' is duplicated (first on row "
                                    f"{first[value]})", row=line, column=key,
                                    hint="merge the two rows or rename one"))
        else:
            first[value] = line
    return problems


def check_regions_cells(raw: RawTable, regions: set[str]) -> list[Problem]:
    """Each region named in a pool's 'regions' cell exists."""
    problems = []
    for row in raw.rows:
        text = row.get("regions", "")
        if text in ("", schema.ALL_REGIONS):
            continue
        for name in split_regions(text):
            if name not in regions:
                message, hint = unknown("region", name, regions)
                problems.append(Problem(raw.label, message, row=int(row[ROW]), column="regions",
                                        hint=hint))
    return problems


def check_tables_present(root: Path, countries: list[str]) -> list[Problem]:
    """Each country has its pool table, and no stray table is silently ignored."""
    problems = []
    expected = {t.filename for t in schema.REFERENCE_TABLES} | {f"{c}.csv" for c in countries}
    expected.add(bearers.FILE)  # optional, checked by planner.checks.bearers
    expected |= {t.filename for t in schema.OPTIONAL_TABLES}  # planner.checks.platforms
    expected |= {t.filename for t in schema.STOCK_TABLES}  # planner.checks.stock_tables
    for country in countries:
        path = root / f"{country}.csv"
        if not path.exists():
            problems.append(Problem(label_for(path, root), f"missing pool table for {country}",
                                    hint=f"add {country}.csv or remove {country} from "
                                    "countries.csv"))
    for path in sorted(root.glob("*.csv")):
        if path.name not in expected:
            stem = path.stem
            hint = suggest(stem, countries)
            problems.append(Problem(label_for(path, root),
                                    f"unexpected table: '{stem}' is not a country in "
                                    "countries.csv",
                                    hint=hint or "add the country to countries.csv or remove "
                                    "the file"))
    return problems


def check_home_regions(raw: RawTable, regions: set[str]) -> list[Problem]:
    """Each country's home region, when given, exists."""
    problems = []
    for row in raw.rows:
        name = row.get("home_region", "")
        if name and name not in regions:
            message, hint = unknown("region", name, regions)
            problems.append(Problem(raw.label, message, row=int(row[ROW]),
                                    column="home_region", hint=hint))
    return problems


def pool_task_columns(tasks: list[str]) -> set[str]:
    """The task, task-cost and task-time-unit column names a pool table may carry."""
    return set(tasks) | {f"{t}{suffix}" for t in tasks
                         for suffix in (schema.TASK_COST_SUFFIX, schema.TASK_PER_SUFFIX)}


def check_pool_tasks(raw: RawTable, tasks: list[str],
                     task_per: dict[str, str] | None = None) -> list[Problem]:
    """Task cells numeric; a task cost or time unit without a delivery is a mistake worth
    flagging, and so is a time unit for a task that is a level (``task_per``: each task's
    ``per`` in tasks.csv)."""
    problems = []
    task_per = task_per or {}
    for task in tasks:
        for name in (f"{task}{schema.TASK_COST_SUFFIX}", f"{task}{schema.TASK_PER_SUFFIX}"):
            if name in raw.header and task not in raw.header:
                problems.append(Problem(raw.label, f"column '{name}' has no '{task}' column "
                                        "beside it", row=raw.header_row, column=name,
                                        hint=f"add a '{task}' column or remove '{name}'"))
    problems += check_delivery_units(raw, [t for t in tasks if t in raw.header], task_per)
    tasks = [t for t in tasks if t in raw.header]
    for row in raw.rows:
        line = int(row[ROW])
        for task in tasks:
            delivery = row.get(task, "")
            cost_name = f"{task}{schema.TASK_COST_SUFFIX}"
            cost = row.get(cost_name, "")
            if delivery:
                _, message, hint = parse_number(delivery, schema.TASK_DELIVERY)
                if message:
                    problems.append(Problem(raw.label, message, row=line, column=task, hint=hint))
            if cost:
                _, message, hint = parse_number(cost, schema.TASK_COST)
                if message:
                    problems.append(Problem(raw.label, message, row=line, column=cost_name,
                                            hint=hint))
                elif not delivery:
                    problems.append(Problem(raw.label, f"a cost is given for {task} but the "
                                            f"pool does not deliver {task}", row=line,
                                            column=cost_name,
                                            hint=f"fill the {task} column or clear this cell"))
    return problems


def check_delivery_units(raw: RawTable, tasks: list[str],
                         task_per: dict[str, str]) -> list[Problem]:
    """Each '<task>_per' cell is a time unit, given beside a delivery of a flow task."""
    problems = []
    for task in tasks:
        name = f"{task}{schema.TASK_PER_SUFFIX}"
        if name not in raw.header:
            continue
        if name not in raw.header or task not in task_per:
            continue  # a task whose per is not valid is reported in tasks.csv
        per = task_per[task]
        for row in raw.rows:
            text = row.get(name, "")
            if not text:
                continue
            where: dict[str, object] = dict(row=int(row[ROW]), column=name)
            found = check_choice(raw.label, text, schema.TASK_PER, where)
            if found:
                problems += found
            elif per == schema.LEVEL:
                problems.append(Problem(raw.label, f"{task} is a level on station (per in "
                                        f"tasks.csv), so its delivery has no time unit",
                                        hint="clear this cell, or set the task's per in "
                                        "tasks.csv if it is a flow", **where))  # type: ignore[arg-type]
            elif not row.get(task, ""):
                problems.append(Problem(raw.label, f"a time unit is given for {task} but the "
                                        f"pool does not deliver {task}",
                                        hint=f"fill the {task} column or clear this cell",
                                        **where))  # type: ignore[arg-type]
    return problems


def pool_frames(
    raw: RawTable, country: str, tasks: list[str], regions: list[str],
    task_per: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pools, deliveries and served regions of one country, in long form. A delivery given
    per another time unit than its task's ('<task>_per') is converted to the task's:
    ``given`` and ``given_per`` keep what the table says."""
    task_per = task_per or {}
    pools = typed_frame(raw, schema.POOLS.columns)
    pools.insert(0, "country", country)
    deliveries = []
    served = []
    for row in raw.rows:
        pool = row["pool"]
        for task in tasks:
            text = row.get(task, "")
            if not text:
                continue
            given = parse_number(text, schema.TASK_DELIVERY)[0] or 0.0
            cost = parse_number(row.get(f"{task}{schema.TASK_COST_SUFFIX}", ""),
                                schema.TASK_COST)[0] or 0.0
            per = task_per.get(task, schema.LEVEL)
            given_per = row.get(f"{task}{schema.TASK_PER_SUFFIX}", "") or per
            amount = given if given_per == per else given * schema.rate_factor(given_per,
                                                                                per)
            if amount > 0:
                deliveries.append((country, pool, task, amount, cost, given, given_per))
        cell = row["regions"]
        names = regions if cell == schema.ALL_REGIONS else split_regions(cell)
        served.extend((country, pool, r) for r in names)
    return (
        pools,
        pd.DataFrame(deliveries, columns=["country", "pool", "task", "delivers", "task_cost",
                                          "given", "given_per"]),
        pd.DataFrame(served, columns=["country", "pool", "region"]),
    )


def checked_workbook(book: Unpacked) -> Capabilities:
    """An unpacked workbook's capabilities, checked by the folder loader's rules, every
    problem named by sheet, row and column."""
    try:
        return load_capabilities(book.folder)
    except InputError as exc:
        raise InputError([book.relabel(p) for p in exc.problems]) from None


def load_workbook_capabilities(path: Path) -> Capabilities:
    """Capabilities from a workbook (``--data tables.xlsx``)."""
    from planner.inputs.paths import display

    with unpacked(path, display(path)) as book:
        return dataclasses.replace(checked_workbook(book), root=path)


def workbook_files(path: Path, label: str) -> dict[str, bytes]:
    """A workbook's tables as the files of a capability folder (checked as --data would)."""
    with unpacked(path, label) as book:
        checked_workbook(book)
        return {p.name: p.read_bytes() for p in sorted(book.folder.iterdir())}


def load_capabilities(root: Path) -> Capabilities:
    """Read and check every capability table under ``root``; raise InputError with all problems."""
    root = Path(root)
    if is_workbook(root):  # one sheet per table, checked by the same rules
        return load_workbook_capabilities(root)
    if not root.is_dir():
        raise InputError([Problem(str(root), "the capability folder does not exist",
                                  hint="pass --data DIR with countries.csv, tasks.csv, ...")])
    problems: list[Problem] = []
    reference: dict[str, RawTable] = {}
    for table in schema.REFERENCE_TABLES:
        path = root / table.filename
        if not path.exists():
            problems.append(Problem(label_for(path, root), f"missing table {table.filename}",
                                    hint=f"add it with columns {', '.join(table.column_names)}"))
            continue
        raw, found = read_csv(path, label_for(path, root))
        problems += found
        if raw is None:
            continue
        problems += check_columns(raw, table.column_names, set())
        problems += check_cells(raw, table.columns)
        problems += check_unique(raw, table.key)
        if table is schema.TASKS:
            problems += check_task_units(raw)
        reference[table.name] = raw

    unreadable = [t for t in schema.REFERENCE_TABLES
                  if t.name not in reference or t.key not in reference[t.name].header]
    if unreadable:
        # every other table is checked against these names: without them each reference
        # would be reported as unknown, burying the one mistake that matters
        raise InputError(sorted(problems, key=lambda p: (p.file, p.row or 0)))

    def keys(name: str, key: str) -> list[str]:
        """The well-formed keys of a table (a malformed one is already reported, and must not
        become a file name to look for)."""
        raw = reference.get(name)
        pattern = schema.COUNTRY_PATTERN if key == "country" else schema.ID_PATTERN
        return [r[key] for r in raw.rows if re.match(pattern, r.get(key, ""))] if raw else []

    countries, tasks = keys("countries", "country"), keys("tasks", "task")
    choices = schema.TASKS.column("per").choices
    task_per = {r["task"]: r.get("per", "") or schema.LEVEL for r in reference["tasks"].rows
                if r.get("task") in tasks and (r.get("per", "") or schema.LEVEL) in choices}
    regions = keys("regions", "region")
    for table in schema.REFERENCE_TABLES:
        raw = reference.get(table.name)
        if raw is not None and not raw.rows:
            problems.append(Problem(raw.label, "the table has a header but no rows",
                                    hint=f"add at least one {table.key}"))
    problems += check_tables_present(root, countries)
    if "countries" in reference:
        problems += check_home_regions(reference["countries"], set(regions))

    pool_parts = []
    pool_rows: dict[str, dict[str, dict[str, str]]] = {}  # for the stock tables' checks
    for country in countries:
        path = root / f"{country}.csv"
        if not path.exists():
            continue
        raw, found = read_csv(path, label_for(path, root))
        problems += found
        if raw is None:
            continue
        found = check_columns(raw, schema.POOLS.column_names, pool_task_columns(tasks))
        found += check_cells(raw, schema.POOLS.columns)
        found += check_unique(raw, "pool")
        found += check_regions_cells(raw, set(regions))
        found += check_pool_tasks(raw, tasks, task_per)
        problems += found
        if not found:  # the stock tables' uses are checked against a table that loads
            pool_rows[country] = {row["pool"]: row for row in raw.rows}
            pool_parts.append(pool_frames(raw, country, tasks, regions, task_per))
    names = {"country": countries, "task": tasks, "region": regions,
             "phase": keys("phases", "phase")}
    standing, found = load_standing(root, names)
    problems += found
    from planner.checks.stock_tables import load_stock_tables

    stocks, stock_uses, found, stock_files = load_stock_tables(
        root, pool_rows, names, None if found else standing.flags)
    problems += found
    pool_keys = {(c, p) for part in pool_parts
                 for c, p in part[0][["country", "pool"]].itertuples(index=False)}
    cost_bearers, found = bearers.load_bearers(
        root, {"country": countries, "task": tasks, "region": regions}, pool_keys)
    problems += found
    marked, found = platforms.load_platforms(root, countries, pool_keys)
    problems += found
    based, found = basing.load_basing(root, countries, pool_keys)
    problems += found
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.file, p.row or 0)))

    frames = {name: typed_frame(raw, t.columns) for t in schema.REFERENCE_TABLES
              for name, raw in reference.items() if t.name == name}
    files = [root / t.filename for t in schema.REFERENCE_TABLES]
    files += [root / f"{c}.csv" for c in countries]
    files += [root / POLICIES] if (root / POLICIES).exists() else []
    files += [root / bearers.FILE] if (root / bearers.FILE).exists() else []
    files += [root / platforms.FILE] if (root / platforms.FILE).exists() else []
    files += [root / basing.FILE] if (root / basing.FILE).exists() else []
    files += stock_files
    return Capabilities(
        root=root,
        countries=frames["countries"],
        tasks=frames["tasks"],
        regions=frames["regions"],
        phases=frames["phases"],
        pools=pd.concat([p[0] for p in pool_parts], ignore_index=True),
        deliveries=pd.concat([p[1] for p in pool_parts], ignore_index=True),
        pool_regions=pd.concat([p[2] for p in pool_parts], ignore_index=True),
        digest=digest_files(files, root),
        standing=standing,
        cost_bearers=cost_bearers,
        platforms=marked,
        basing=based,
        stocks=stocks,
        stock_uses=stock_uses,
    )


def load_standing(root: Path, vocabulary: dict[str, list[str]]) -> tuple[Standing, list[Problem]]:
    """Scenario flags and standing policies from policies.yaml (optional: none if absent)."""
    from planner.schema.mission import validated

    path = root / POLICIES
    if not path.exists():
        return Standing(), []
    label = label_for(path, root)
    try:
        document, where = read_yaml(path, label)
        standing = validated(Standing, document, where)
    except InputError as exc:
        return Standing(), exc.problems
    return standing, check_policies(standing.policies, vocabulary, standing.flags, where,
                                    ("policies",))
