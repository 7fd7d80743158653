"""Turn the capability tables into checked, typed data, or report every mistake at once.

One ``check_*`` function per rule; each returns the problems it found, located by file, row
and column, and all of them are gathered before anything fails.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.checks import bearers, platforms
from planner.errors import InputError, Problem, suggest, unknown
from planner.inputs.load import ROW, RawTable, digest_files, label_for, read_csv, read_yaml
from planner.inputs.workbook import Unpacked, is_workbook, unpacked
from planner.schema import tables as schema
from planner.schema.policy import Standing, check_policies

POLICIES = "policies.yaml"
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


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

    def vocabulary(self) -> dict[str, list[str]]:
        """Known names by kind, for checking references in missions and policies."""
        return {"country": list(self.countries["country"]), "task": list(self.tasks["task"]),
                "region": list(self.regions["region"]), "phase": list(self.phases["phase"]),
                "pool": list(self.pools["pool"].unique()),
                "country_pool": [f"{c}/{p}" for c, p in self.pools[["country", "pool"]]
                                 .itertuples(index=False)],
                "link": [p.name for p in self.standing.policies if p.is_link]}

    @property
    def country_codes(self) -> list[str]:
        return list(self.countries["country"])


def parse_number(text: str, column: schema.Column) -> tuple[float | None, str | None, str | None]:
    """A number from a cell, or (None, message, hint). Blank gives the column default."""
    if text == "":
        if column.required:
            return None, "the cell is blank", f"enter a number ({column.unit or 'a value'})"
        return (None if column.default is None else float(column.default)), None, None
    cleaned = text.replace(",", "") if THOUSANDS.match(text) else text
    try:
        if "_" in cleaned:  # float() accepts 1_000, a spreadsheet does not
            raise ValueError(cleaned)
        value = float(cleaned)
    except ValueError:
        return None, f"'{text}' is not a number", f"enter a number ({column.unit or 'a value'})"
    if not math.isfinite(value):
        return None, f"'{text}' is not a finite number", "enter a finite number"
    if abs(value) > schema.LARGEST:
        return None, f"{text} is too large for the solver (above {schema.LARGEST:g})", (
            f"check the unit: {column.unit or 'the column'}")
    if column.minimum is not None and value < column.minimum:
        return None, f"{text} is below the minimum {column.minimum:g}", (
            f"enter a value of at least {column.minimum:g}"
        )
    if column.maximum is not None and value > column.maximum:
        return None, f"{text} is above the maximum {column.maximum:g}", (
            f"enter a value of at most {column.maximum:g}"
        )
    return value, None, None


def check_columns(raw: RawTable, expected: tuple[str, ...], extra_ok: set[str]) -> list[Problem]:
    """Every required column present; every other column one the schema knows."""
    problems = []
    header_row = raw.header_row
    unknown_names = [n for n in raw.header if n and n not in expected and n not in extra_ok]
    renamed: set[str] = set()
    for name in expected:
        if name not in raw.header:
            typo = next((n for n in unknown_names if n not in renamed
                         and suggest(n, [name]) is not None), None)
            if typo is not None:  # one message for a misspelt header, not two
                renamed.add(typo)
                problems.append(Problem(raw.label, f"column '{typo}' should be '{name}'",
                                        row=header_row, column=typo,
                                        hint=f"rename the header to {name}"))
                continue
            problems.append(
                Problem(raw.label, f"missing required column '{name}'", row=header_row,
                        hint=f"add a column named '{name}'")
            )
    for name in raw.header:
        if name in renamed:
            continue
        if name and name not in expected and name not in extra_ok:
            problems.append(
                Problem(raw.label, f"unknown column '{name}'", row=header_row, column=name,
                        hint=suggest(name, [*expected, *extra_ok])
                        or f"expected columns: {', '.join(expected)}")
            )
    return problems


def check_cells(raw: RawTable, columns: tuple[schema.Column, ...]) -> list[Problem]:
    """Identifiers well formed, numbers numeric and in range, required text present."""
    problems = []
    for row in raw.rows:
        for column in columns:
            if column.name not in raw.header:
                continue
            text = row[column.name]
            where = dict(row=int(row[ROW]), column=column.name)
            if column.kind == "number":
                _, message, hint = parse_number(text, column)
                if message:
                    problems.append(Problem(raw.label, message, hint=hint, **where))
            elif text == "":
                if column.required:
                    problems.append(Problem(raw.label, "the cell is blank",
                                            hint=f"enter {column.description[0].lower()}"
                                            f"{column.description[1:]}", **where))
            elif column.kind == "id" and not re.match(schema.ID_PATTERN, text):
                problems.append(Problem(raw.label, f"'{text}' is not a valid identifier",
                                        hint="use lower_snake_case letters, digits and _",
                                        **where))
            elif column.kind == "country" and not re.match(schema.COUNTRY_PATTERN, text):
                problems.append(Problem(raw.label, f"'{text}' is not an ISO 3166 alpha-3 code",
                                        hint="use three capital letters, e.g. JPN", **where))
    return problems


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


def split_regions(text: str) -> list[str]:
    return [part.strip() for part in text.split(schema.REGION_SEPARATOR) if part.strip()]


def typed_frame(raw: RawTable, columns: tuple[schema.Column, ...]) -> pd.DataFrame:
    """The table with numbers parsed and defaults filled; call only after the checks pass."""
    records = []
    for row in raw.rows:
        record: dict[str, object] = {}
        for column in columns:
            text = row.get(column.name, "")
            record[column.name] = (
                parse_number(text, column)[0] if column.kind == "number" else text
            )
        records.append(record)
    return pd.DataFrame.from_records(records, columns=[c.name for c in columns])


def pool_task_columns(tasks: list[str]) -> set[str]:
    """The task and task-cost column names a pool table may carry."""
    return set(tasks) | {f"{t}{schema.TASK_COST_SUFFIX}" for t in tasks}


def check_pool_tasks(raw: RawTable, tasks: list[str]) -> list[Problem]:
    """Task cells numeric; a task cost without a delivery is a mistake worth flagging."""
    problems = []
    for task in tasks:
        cost_name = f"{task}{schema.TASK_COST_SUFFIX}"
        if cost_name in raw.header and task not in raw.header:
            problems.append(Problem(raw.label, f"column '{cost_name}' has no '{task}' column "
                                    "beside it", row=raw.header_row, column=cost_name,
                                    hint=f"add a '{task}' column or remove '{cost_name}'"))
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


def pool_frames(
    raw: RawTable, country: str, tasks: list[str], regions: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pools, deliveries and served regions of one country, in long form."""
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
            amount = parse_number(text, schema.TASK_DELIVERY)[0] or 0.0
            cost = parse_number(row.get(f"{task}{schema.TASK_COST_SUFFIX}", ""),
                                schema.TASK_COST)[0] or 0.0
            if amount > 0:
                deliveries.append((country, pool, task, amount, cost))
        cell = row["regions"]
        names = regions if cell == schema.ALL_REGIONS else split_regions(cell)
        served.extend((country, pool, r) for r in names)
    return (
        pools,
        pd.DataFrame(deliveries, columns=["country", "pool", "task", "delivers", "task_cost"]),
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
        found += check_pool_tasks(raw, tasks)
        problems += found
        if not found:
            pool_parts.append(pool_frames(raw, country, tasks, regions))
    standing, found = load_standing(root, {"country": countries, "task": tasks,
                                           "region": regions, "phase": keys("phases", "phase")})
    problems += found
    pool_keys = {(c, p) for part in pool_parts
                 for c, p in part[0][["country", "pool"]].itertuples(index=False)}
    cost_bearers, found = bearers.load_bearers(
        root, {"country": countries, "task": tasks, "region": regions}, pool_keys)
    problems += found
    marked, found = platforms.load_platforms(root, countries, pool_keys)
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
