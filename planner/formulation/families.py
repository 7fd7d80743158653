"""Families of columns and rows: what each kind of LP column or row is, and its index keys.

Every column and row of the model belongs to a family (``units``, ``shortfall``, ``pool``,
``cover``, ``policy``, ...) declared once, with the names of the keys that identify one
member (country, pool, task, region, phase, ...). A row carries its family, its keys as a
mapping and, for a policy row, the policy it comes from; the results (``plan.json``,
``duals.csv``) carry the same columns, so reading a dual back is a join on keys, never a
name taken apart or rebuilt by hand.

The name of a member (``pool[JPN,aegis_ddg,conflict]``) is made here, from the family and
the keys in their declared order; it is what the LP file, the solver and the CLI show.
A new family declares itself in its own module with ``declare`` and builds its rows with
``Family.row``; the registry ``FAMILIES`` is the only list (the reference and the results'
key columns read it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import pulp

from planner.formulation.names import Names

Role = Literal["column", "row"]
TRANSLATE = pulp.LpElement.trans  # PuLP's replacement of characters in names


def label(family: str, *keys: object) -> str:
    """The domain name of a row or column, e.g. ``cover[isr,east_china_sea,crisis]``."""
    return f"{family}[{','.join(map(str, keys))}]"


def pulp_parts(family: str) -> tuple[str, str, str]:
    """How a member's name reads as PuLP keeps it (``labels``): what comes before its keys,
    between them and after them, PuLP's replacement of characters made."""
    return f"{family}[".translate(TRANSLATE), ",".translate(TRANSLATE), "]".translate(TRANSLATE)


class Row(NamedTuple):
    """One named constraint: its family, its keys, the sentence that explains it to an
    analyst, its source, and for a policy row the policy it comes from. A named tuple:
    immutable as a frozen dataclass, and made four times faster (a medium theatre has
    10,000 pool and cover rows); ``_replace`` gives a changed copy."""

    name: str  # the domain label, e.g. pool[JPN,aegis_ddg,conflict]
    family: str  # pool | cover | policy | ... (a family of FAMILIES)
    sentence: str
    source: str
    policy: str  # for a policy row, the policy it comes from; "" for the others
    keys: Mapping[str, str]  # e.g. country, pool, phase

    @property
    def kind(self) -> str:
        """The family, under the name results have always used (``kind`` in duals.csv)."""
        return self.family


@dataclass(frozen=True)
class Family:
    """A kind of column or row: its name, its index keys in order, and what a member is.
    ``optional`` keys may be left out by a member (a policy row names only what it is
    about: ``policy[name]``, ``policy[name,phase]``, ``policy[name,task,region]``)."""

    name: str
    role: Role
    keys: tuple[str, ...]
    meaning: str
    optional: tuple[str, ...] = ()

    def label(self, keys: Mapping[str, object]) -> str:
        """The member's name: the family and its keys' values in declared order (an
        optional key it does not have is left out)."""
        unknown = set(keys) - set(self.keys)
        missing = [k for k in self.keys if k not in keys and k not in self.optional]
        if unknown or missing:
            raise ValueError(f"family {self.name} has keys {', '.join(self.keys)}; got "
                             f"{', '.join(keys)}")
        return label(self.name, *(keys[k] for k in self.keys if k in keys))

    def row(self, keys: Mapping[str, object], sentence: str, source: str,
            policy: str = "") -> Row:
        """A row of this family, named from its keys (for a family keyed by ``policy``,
        the policy given is its key unless ``keys`` names it)."""
        if self.role != "row":
            raise ValueError(f"{self.name} is a family of columns, not rows")
        if policy and "policy" in self.keys and "policy" not in keys:
            keys = {"policy": policy, **keys}
        ordered = {k: str(keys[k]) for k in self.keys if k in keys}
        return Row(self.label(keys), self.name, sentence, source, policy, ordered)

    def rows(self, keys: Mapping[str, Sequence[object]], sentences: Sequence[str],
             sources: Sequence[str]) -> list[Row]:
        """Many rows of this family at once, the i-th of each key's values, sentences and
        sources making the i-th row; the same rows ``row`` makes one by one, named by the
        same ``label``, its checks made once for all (a medium theatre's 10,584 pool and
        cover rows: about 21 ms against 40)."""
        if self.role != "row" or set(keys) != set(self.keys):
            raise ValueError(f"family {self.name} has keys {', '.join(self.keys)}; got "
                             f"{', '.join(keys)}")
        values = [keys[k] if all(type(v) is str for v in keys[k]) else [str(v) for v in keys[k]]
                  for k in self.keys]
        name, order, head = self.name, self.keys, f"{self.name}["
        members = list(zip(*values, strict=True))
        named, keyed = members_named(head, order, members)
        if not (len(named) == len(sentences) == len(sources)):
            raise ValueError(f"{len(named)} rows of family {name}, {len(sentences)} sentences "
                             f"and {len(sources)} sources")
        # tuple.__new__ skips the named tuple's own __new__ (its arguments parsed by name):
        # a quarter of the time, over thousands of rows
        return list(map(tuple.__new__, repeat(Row, len(named)), zip(
            named, repeat(name), sentences, sources, repeat(""), keyed)))

    def labels(self, frame: pd.DataFrame, keys: Sequence[str] | None = None,
               factorized: Mapping[str, tuple[np.ndarray, Any]] | None = None) -> list[str]:
        """Names for every row of a table (its key columns), as PuLP keeps them: ``label``
        with PuLP's replacement of characters (``units_JPN,aegis_ddg,isr,japan,crisis_``).
        The replacement is character by character, so it is made once per distinct value.
        ``factorized``: the key columns' codes and distinct values, where already made."""
        return labels(self.name, frame, keys or self.keys, factorized)

    def lazy_labels(self, frame: pd.DataFrame,
                    factorized: Mapping[str, tuple[np.ndarray, Any]] | None = None) -> Names:
        """The names ``labels`` gives, made only as they are read: a plain solve reads
        none of a units column's (``names.Names``)."""
        return lazy_labels(self.name, frame, self.keys, factorized)


def members_named(head: str, order: tuple[str, ...], members: list[tuple[str, ...]]
                  ) -> tuple[list[str], list[dict[str, str]]]:
    """Each member's name (as ``label``: ``head``, the texts joined by commas, ``]``) and
    keys. Written out for two and three keys, the families with thousands of rows: a dict
    display costs a third of ``dict(zip(...))``."""
    if len(order) == 3:
        k0, k1, k2 = order
        return ([f"{head}{a},{b},{c}]" for a, b, c in members],
                [{k0: a, k1: b, k2: c} for a, b, c in members])
    if len(order) == 2:
        k0, k1 = order
        return ([f"{head}{a},{b}]" for a, b in members],
                [{k0: a, k1: b} for a, b in members])
    return ([head + ",".join(member) + "]" for member in members],
            [dict(zip(order, member, strict=True)) for member in members])


FAMILIES: dict[str, Family] = {}


def declare(name: str, role: Role, keys: Iterable[str], meaning: str,
            optional: Iterable[str] = ()) -> Family:
    """Add a family to the registry (from the module that builds it). Declaring the same
    family twice in the same way is harmless (a module imported again); in another way is
    an error: two modules would disagree about what a name means."""
    family = Family(name, role, tuple(keys), meaning, tuple(optional))
    known = FAMILIES.setdefault(name, family)
    if known != family:
        raise ValueError(f"family {name} is declared twice, differently")
    return known


def family(name: str) -> Family:
    """A declared family by name."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"no family {name!r}: declared are {', '.join(FAMILIES)}") from None


def key_columns(families: Iterable[str]) -> list[str]:
    """The key columns of a table that holds members of these families: every key of each,
    once, in the order keys first appear in the registry (country, pool, task, region,
    phase, ...), so every table lists them alike."""
    wanted = {k for name in families if name in FAMILIES for k in FAMILIES[name].keys}
    every = dict.fromkeys(k for declared in FAMILIES.values() for k in declared.keys)
    return [k for k in every if k in wanted]


def labels(name: str, frame: pd.DataFrame, keys: Sequence[str],
           factorized: Mapping[str, tuple[np.ndarray, Any]] | None = None) -> list[str]:
    """See ``Family.labels``; for a family given by name."""
    return lazy_labels(name, frame, keys, factorized).tolist()


def lazy_labels(name: str, frame: pd.DataFrame, keys: Sequence[str],
                factorized: Mapping[str, tuple[np.ndarray, Any]] | None = None) -> Names:
    """The names ``labels`` gives, made only as they are read (``names.Names``)."""
    parts = []
    for key in keys:
        codes, distinct = (factorized[key] if factorized and key in factorized
                           else pd.factorize(frame[key]))
        clean = np.array([str(v).translate(TRANSLATE) for v in distinct] + [""],  # [-1]: NaN
                         dtype=object)
        parts.append((codes, clean))
    return Names([(parts, pulp_parts(name))])


def new_columns(names: Iterable[str], categories: Iterable[str]) -> list[pulp.LpVariable]:
    """Columns with a lower bound of 0, made in bulk; ``names`` as PuLP keeps them (``labels``
    gives them).

    ``LpProblem.add_variable`` costs about 6 microseconds a column (a regular-expression
    check of the name, finite-bound checks, a deprecation hook), and a large mission has
    close to a million columns. Names built from validated identifiers and a bound of 0 need
    none of the checks, so this sets the attributes PuLP's constructor sets, in its order
    (``tests/test_highs.py`` compares them with ``add_variable``'s), in a sixth of the time.
    """
    make = object.__new__
    columns = []
    for name, category in zip(names, categories, strict=False):  # categories may repeat()
        var = make(pulp.LpVariable)
        var._LpElement__name = name  # type: ignore[attr-defined]
        var.hash = id(var)
        var.modified = True
        var._lowbound_original = var.lowBound = 0
        var._upbound_original = var.upBound = None
        var.cat = category
        var.varValue = None
        var.dj = None
        columns.append(var)
    return columns


def legacy_keys(family_name: str, name: str) -> tuple[dict[str, str], str]:
    """Keys and policy of a row in a plan saved before rows carried them (its name alone):
    the only place a name is read apart, and only for such files."""
    inside = name[name.find("[") + 1:-1] if name.endswith("]") and "[" in name else ""
    parts = inside.split(",") if inside else []
    declared = FAMILIES.get(family_name)
    if declared is None or not parts:
        return {}, ""
    if declared.name == "policy":
        return {"policy": parts[0]}, parts[0]
    if len(parts) != len(declared.keys):
        return {}, ""
    return dict(zip(declared.keys, parts, strict=True)), ""


# The families of the division-of-labor model (planner.formulation.model builds them).
UNITS = declare("units", "column", ("country", "pool", "task", "region", "phase"),
                "Units of a country's pool employed on a task in a region in a phase.")
SHORTFALL = declare("shortfall", "column", ("task", "region", "phase"),
                    "The part of a requirement left uncovered, priced by its penalty.")
LEAD = declare("lead", "column", ("policy", "country", "task", "region"),
               "1 when the country leads the task in the region under a lead-nation policy.")
POOL = declare("pool", "row", ("country", "pool", "phase"),
               "A pool's units employed in a phase, over all its tasks and regions, are at "
               "most its quantity times its readiness.")
COVER = declare("cover", "row", ("task", "region", "phase"),
                "What the alliance delivers of a requirement, plus its shortfall, is at least "
                "the amount required.")
POLICY = declare("policy", "row", ("policy", "country", "task", "region", "phase"),
                 "A legal or political constraint in force (one row, or one per phase, or "
                 "per task and region for a lead-nation choice).",
                 optional=("country", "task", "region", "phase"))
