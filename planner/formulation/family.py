"""What every family of rows and columns is made of: a named row with its sentence, domain
labels, and columns made in bulk. The snapshot model (``model.py``) and the force-development
family (``force.py``) both build on it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pulp


@dataclass(frozen=True)
class Row:
    """One named constraint, with the sentence that explains it to an analyst."""

    name: str  # the domain label, e.g. pool[JPN,aegis_ddg,conflict]
    kind: str  # pool | cover | policy
    sentence: str
    source: str
    policy: str = ""  # for a policy row, the policy it comes from


def label(kind: str, *keys: str) -> str:
    """The domain name of a row or column, e.g. ``cover[isr,east_china_sea,crisis]``."""
    return f"{kind}[{','.join(keys)}]"


TRANSLATE = pulp.LpElement.trans  # PuLP's replacement of characters in names


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
