"""Who pays and who provides: the cost bearer of a pool's work where it is not the provider.

The United States pays Korean and Japanese yards to overhaul its ships and bought Korean
155 mm rounds; the country whose pool does the work (the provider) is then not the one whose
budget carries it (the bearer). ``cost_bearers.csv`` in the capability folder (optional)
says so, one row per case:

    country,pool,task,region,bearer,share,source
    KOR,shipyard_mro,ship_mro,*,USA,1,"public_facts §3 ..."

``task`` and ``region`` may be ``*`` (every one); ``share`` is the part of the cost the bearer
pays (the provider pays the rest). A bearer moves cost between countries in the burden
table; it never changes what the LP minimises (the alliance's total cost), so the plan's
allocation is the same with or without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from planner.checks.optional import frame, optional_frame
from planner.errors import Problem, unknown
from planner.inputs.load import ROW, RawTable

FILE = "cost_bearers.csv"
COLUMNS = ["country", "pool", "task", "region", "bearer", "share", "source"]
EVERY = "*"
TYPES = {"share": float}


def empty() -> pd.DataFrame:
    return frame([], COLUMNS, TYPES)


def load_bearers(root: Path, vocabulary: dict[str, list[str]],
                 pools: set[tuple[str, str]]) -> tuple[pd.DataFrame, list[Problem]]:
    """The cost bearers of a capability folder (none when the file is absent), with every
    problem located by file, row and column."""
    return optional_frame(
        root, FILE, lambda raw: check_bearers(raw, vocabulary, pools), COLUMNS, TYPES)


def check_bearers(raw: RawTable, vocabulary: dict[str, list[str]],
                  pools: set[tuple[str, str]]) -> list[Problem]:
    """Countries, pools, tasks and regions exist; a share in (0, 1]; no work borne twice
    over 1 in all; a source on every row (``read_optional`` has checked the columns)."""
    problems = []
    total: dict[tuple[str, str, str, str], float] = {}
    seen: dict[tuple[str, ...], int] = {}
    for row in raw.rows:
        line = int(row[ROW])
        same = (row["country"], row["pool"], row["task"], row["region"], row["bearer"])
        if same in seen:  # a row given twice: both named, the sum of shares not checked
            for at, other in ((seen[same], line), (line, seen[same])):
                problems.append(Problem(
                    raw.label, f"the share {row['bearer']} bears of {row['country']}/"
                    f"{row['pool']} ({row['task']}, {row['region']}) is given twice "
                    f"(rows {min(at, other)} and {max(at, other)})", row=at, column="pool",
                    hint="keep one of the rows"))
            continue
        seen[same] = line

        def bad(column: str, message: str, hint: str | None = None, line: int = line) -> None:
            problems.append(Problem(raw.label, message, row=line, column=column, hint=hint))

        for column, kind in (("country", "country"), ("bearer", "country")):
            if row[column] not in vocabulary["country"]:
                bad(column, *unknown(kind, row[column], vocabulary["country"]))
        loaded = {c for c, _ in pools}  # a country whose table has problems is not checked
        if row["country"] in loaded and (row["country"], row["pool"]) not in pools:
            own = [p for c, p in pools if c == row["country"]]
            bad("pool", f"{row['country']} has no pool '{row['pool']}'",
                unknown("pool", row["pool"], own)[1])
        for column, kind in (("task", "task"), ("region", "region")):
            if row[column] != EVERY and row[column] not in vocabulary[kind]:
                message, hint = unknown(kind, row[column], vocabulary[kind])
                bad(column, message, f"{hint}; or * for every {kind}")
        if row["bearer"] == row["country"]:
            bad("bearer", "the bearer is the provider itself", "leave the row out: a "
                "provider bears its own cost unless a row says otherwise")
        try:
            share = float(row["share"])
        except ValueError:
            bad("share", f"'{row['share']}' is not a number", "a share between 0 and 1")
            continue
        if not 0 < share <= 1:
            bad("share", f"{row['share']} is not a share in (0, 1]",
                "the part of the cost the bearer pays, e.g. 1 for all of it")
            continue
        key = (row["country"], row["pool"], row["task"], row["region"])
        total[key] = total.get(key, 0.0) + share
        if total[key] > 1 + 1e-9:
            bad("share", f"the shares borne of {row['country']}/{row['pool']} "
                f"({row['task']}, {row['region']}) add up to more than 1",
                "lower one of the shares")
        if not row["source"] or not re.search(r"\S", row["source"]):
            bad("source", "the source is blank", "cite a public_facts row or write "
                "'assumption: ...'")
    return problems


def payers(work: pd.DataFrame, bearers: pd.DataFrame) -> pd.DataFrame:
    """Who pays what share of each row of ``work`` (allocations or the model's units: keys
    country, pool, task, region): one row per (position in ``work``, payer, share), in the
    order of the positions. The most specific bearer row applies (an exact task or region
    over ``*``); the shares of a row add up to 1, the provider paying what no bearer does.
    Built by merging, not row by row: a model has up to a million units columns."""
    keys = pd.DataFrame({"position": np.arange(len(work)),
                         **{k: work[k].to_numpy(dtype=object)
                            for k in ("country", "pool", "task", "region")}})
    if not len(bearers) or not len(keys):
        return pd.DataFrame({"position": keys["position"], "payer": keys["country"],
                             "share": np.ones(len(keys))})
    rows = bearers.rename(columns={"task": "bearer_task", "region": "bearer_region"}).assign(
        specific=(bearers["task"] != EVERY).astype(int) + (bearers["region"] != EVERY))
    matched = keys.merge(rows[["country", "pool", "bearer_task", "bearer_region", "bearer",
                               "share", "specific"]], on=["country", "pool"])
    matched = matched[((matched["bearer_task"] == matched["task"])
                       | (matched["bearer_task"] == EVERY))
                      & ((matched["bearer_region"] == matched["region"])
                         | (matched["bearer_region"] == EVERY))]
    matched = matched[matched["specific"] == matched.groupby("position")["specific"]
                      .transform("max")]
    paid = matched.groupby("position")["share"].sum().reindex(keys["position"],
                                                              fill_value=0.0)
    rest = 1.0 - paid.to_numpy(dtype=float)
    own = keys[rest > 1e-12].assign(payer=lambda f: f["country"], share=rest[rest > 1e-12])
    found = pd.concat([matched.rename(columns={"bearer": "payer"})[["position", "payer",
                                                                     "share"]],
                       own[["position", "payer", "share"]]], ignore_index=True)
    return found.sort_values("position", kind="stable").reset_index(drop=True)


def borne(allocations: pd.DataFrame, bearers: pd.DataFrame) -> pd.DataFrame:
    """Each allocation's cost split between its provider and its bearers: one row per
    (payer, allocation) with the ``cost`` that payer carries; they add up to its cost."""
    shares = payers(allocations, bearers)
    cost = allocations["cost"].to_numpy(dtype=float) if len(allocations) else np.zeros(0)
    return shares.assign(cost=cost[shares["position"].to_numpy(dtype=int)]
                         * shares["share"].to_numpy(dtype=float))
