"""The optional stock tables (stocks.csv, stock_uses.csv): checked by the same rules as the
other capability tables, every mistake located by file, row and column, and turned into the
Stock and Use entries a mission would declare (planner/schema/sustainment.py), so that a
mission opting in with ``stocks_from_tables: true`` plans with them exactly as with its own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from planner.checks.cells import (
    check_cells,
    check_columns,
    parse_number,
    split_regions,
    time_units_named,
    typed_frame,
)
from planner.errors import Problem, unknown
from planner.inputs.load import ROW, RawTable, label_for, read_csv
from planner.schema import tables as schema
from planner.schema.policy import Flag
from planner.schema.sustainment import Stock, Use


def read_stock_table(root: Path, table: schema.Table) -> tuple[RawTable | None, list[Problem]]:
    """One stock table's cells checked on their own (None when the file is absent)."""
    path = root / table.filename
    if not path.exists():
        return None, []
    raw, problems = read_csv(path, label_for(path, root))
    if raw is None:
        return None, problems
    required = tuple(c.name for c in table.columns if c.required)
    optional = {c.name for c in table.columns if not c.required}
    problems += check_columns(raw, required, optional)
    problems += check_cells(raw, table.columns)
    return raw, problems


def check_unique_keys(raw: RawTable, names: tuple[str, ...], what: str) -> list[Problem]:
    """No key (several columns) given twice: the second row would silently replace the first."""
    problems = []
    first: dict[tuple[str, ...], int] = {}
    for row in raw.rows:
        key = tuple(row.get(n, "") for n in names)
        line = int(row[ROW])
        if key in first:
            problems.append(Problem(raw.label, f"{what} {'/'.join(key)} is given twice (first "
                                    f"on row {first[key]})", row=line, column=names[-1],
                                    hint="keep one row"))
        else:
            first.setdefault(key, line)
    return problems


def known(raw: RawTable, row: dict[str, str], column: str, kind: str,
          names: list[str] | set[str]) -> list[Problem]:
    """The cell names one of ``names`` (a blank or malformed cell is reported elsewhere)."""
    value = row.get(column, "")
    if not value or value in names:
        return []
    message, hint = unknown(kind, value, names)
    return [Problem(raw.label, message, row=int(row[ROW]), column=column, hint=hint)]


def check_stocks(raw: RawTable, countries: list[str]) -> list[Problem]:
    """Countries known; a stock's unit is a count (its rate's time unit goes in ``per``), and
    the same stock has the same unit in every country (it can be transferred between them)."""
    problems = check_unique_keys(raw, ("country", "stock"), "stock")
    unit_of: dict[str, tuple[str, int]] = {}
    for row in raw.rows:
        line = int(row[ROW])
        problems += known(raw, row, "country", "country", countries)
        unit = row.get("unit", "") or str(schema.STOCKS.column("unit").default)
        named = time_units_named(unit)
        if named:
            problems.append(Problem(raw.label, f"the unit '{unit}' is per "
                                    f"{', '.join(sorted(named))}: a stock is counted, its "
                                    "rates are per `per`", row=line, column="unit",
                                    hint="write the unit as a count (missiles) and the time "
                                    "unit of production and surge in per"))
        stock = row.get("stock", "")
        if stock in unit_of and unit_of[stock][0] != unit:
            other, at = unit_of[stock]
            problems.append(Problem(raw.label, f"{stock} is counted in '{unit}' here but in "
                                    f"'{other}' on row {at}: one stock, one unit", row=line,
                                    column="unit", hint="give the same unit in every country, "
                                    "or name the two items differently"))
        unit_of.setdefault(stock, (unit, line))
    return problems


def parse_condition(text: str) -> tuple[dict[str, str | list[str]], str | None]:
    """A ``when`` or ``unless`` cell (flag=value;flag=a|b) as a condition, or its mistake."""
    condition: dict[str, str | list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(schema.CONDITION_SEPARATOR))):
        flag, equals, values = (s.strip() for s in part.partition("="))
        if not equals or not flag or not values:
            return {}, f"'{part}' is not flag=value"
        if flag in condition:
            return {}, f"flag '{flag}' is given twice"
        chosen = [v.strip() for v in values.split(schema.VALUE_SEPARATOR) if v.strip()]
        condition[flag] = chosen[0] if len(chosen) == 1 else chosen
    return condition, None


def check_condition(raw: RawTable, row: dict[str, str], column: str,
                    flags: dict[str, Flag] | None) -> list[Problem]:
    """A condition cell names declared flags (policies.yaml) and their values (``flags``
    None: policies.yaml did not load, its problems are reported there)."""
    condition, mistake = parse_condition(row.get(column, ""))
    where = dict(row=int(row[ROW]), column=column)
    if mistake:
        return [Problem(raw.label, mistake, hint="write flag=value, several separated by "
                        f"'{schema.CONDITION_SEPARATOR}', e.g. "
                        "japan_situation=survival_threatening", **where)]  # type: ignore[arg-type]
    if flags is None:
        return []
    problems = []
    for flag, values in condition.items():
        if flag not in flags:
            message, hint = unknown("flag", flag, flags)
            problems.append(Problem(raw.label, message, hint=hint, **where))  # type: ignore[arg-type]
            continue
        for value in [values] if isinstance(values, str) else values:
            if value not in flags[flag].values:
                message, hint = unknown(f"value of {flag}", value, flags[flag].values)
                problems.append(Problem(raw.label, message, hint=hint, **where))  # type: ignore[arg-type]
    return problems


def check_uses(raw: RawTable, countries: list[str],
               pools: dict[str, dict[str, dict[str, str]]], tasks: list[str],
               regions: list[str], phases: list[str], stocks: set[tuple[str, str]],
               flags: dict[str, Flag] | None) -> list[Problem]:
    """Each use names a country's pool that delivers the task, a stock of that country in
    stocks.csv, known phases and regions, and declared flags. ``pools``: the pool rows of
    each country whose table could be read (the others' are reported there)."""
    problems = check_unique_keys(raw, ("country", "pool", "task", "stock"), "use")
    for row in raw.rows:
        line = int(row[ROW])
        country, pool, task = row.get("country", ""), row.get("pool", ""), row.get("task", "")
        problems += known(raw, row, "country", "country", countries)
        problems += known(raw, row, "task", "task", tasks)
        if country in pools:
            problems += known(raw, row, "pool", f"pool of {country}", list(pools[country]))
            found = pools[country].get(pool)
            if found is not None and task in tasks and not found.get(task, ""):
                problems.append(Problem(raw.label, f"{country}/{pool} does not deliver {task} "
                                        f"(its {task} cell is blank)", row=line,
                                        column="task", hint="name a task the pool does"))
        stock = row.get("stock", "")
        if country in countries and stock and (country, stock) not in stocks:
            problems.append(Problem(raw.label, f"{country} has no stock '{stock}' in "
                                    f"{schema.STOCKS.filename}", row=line, column="stock",
                                    hint=unknown("stock", stock, sorted(
                                        s for c, s in stocks if c == country))[1]
                                    + f"; or add the row to {schema.STOCKS.filename}"))
        for name in split_regions(row.get("phases", "")):
            problems += known(raw, {**row, "phases": name}, "phases", "phase", phases)
        cell = row.get("regions", "")
        if cell not in ("", schema.ALL_REGIONS):
            for name in split_regions(cell):
                problems += known(raw, {**row, "regions": name}, "regions", "region", regions)
        problems += check_condition(raw, row, "when", flags)
        problems += check_condition(raw, row, "unless", flags)
    return problems


def stock_entries(raw: RawTable) -> tuple[Stock, ...]:
    """The stocks of a checked stocks.csv, as a mission would declare them."""
    frame = typed_frame(raw, schema.STOCKS.columns)
    return tuple(Stock(**{k: v for k, v in record.items()})
                 for record in frame.to_dict("records"))


def use_entries(raw: RawTable) -> tuple[Use, ...]:
    """The uses of a checked stock_uses.csv, as a mission would declare them."""
    uses = []
    for row in raw.rows:
        phases = split_regions(row.get("phases", ""))
        regions = row.get("regions", "")
        uses.append(Use(
            country=row["country"], pool=row["pool"], task=row["task"], stock=row["stock"],
            per_day=parse_number(row["per_day"], schema.STOCK_USES.column("per_day"))[0],
            phase=phases or None,
            region=None if regions in ("", schema.ALL_REGIONS) else split_regions(regions),
            when=parse_condition(row.get("when", ""))[0],
            unless=parse_condition(row.get("unless", ""))[0], source=row["source"]))
    return tuple(uses)


def load_stock_tables(root: Path, pools: dict[str, dict[str, dict[str, str]]],
                      vocabulary: dict[str, list[str]], flags: dict[str, Flag] | None
                      ) -> tuple[tuple[Stock, ...], tuple[Use, ...], list[Problem], list[Path]]:
    """The stocks and uses of a capability folder (none when it has no stock tables), every
    problem found, and the files read. ``pools``: each country's pool rows by pool name;
    ``flags``: the declared flags (None when policies.yaml does not load)."""
    raw_stocks, problems = read_stock_table(root, schema.STOCKS)
    raw_uses, found = read_stock_table(root, schema.STOCK_USES)
    problems += found
    stocks: set[tuple[str, str]] = set()
    if raw_stocks is not None:
        problems += check_stocks(raw_stocks, vocabulary["country"])
        stocks = {(r.get("country", ""), r.get("stock", "")) for r in raw_stocks.rows}
    if raw_uses is not None:
        problems += check_uses(raw_uses, vocabulary["country"], pools, vocabulary["task"],
                               vocabulary["region"],
                               vocabulary["phase"], stocks, flags)
    files = [t for t in (raw_stocks, raw_uses) if t is not None]
    if problems:
        return (), (), problems, [t.path for t in files]
    try:
        entries = (stock_entries(raw_stocks) if raw_stocks else (),
                   use_entries(raw_uses) if raw_uses else ())
    except ValidationError as exc:  # a cell the checks above let through: say where
        return (), (), [Problem(files[0].label, f"a row cannot be read ({exc.errors()[0]['msg']})",
                                hint="check the row")], []
    return entries[0], entries[1], [], [t.path for t in files]
