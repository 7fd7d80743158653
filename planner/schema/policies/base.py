"""What every policy kind shares: the common keys, the refusals several kinds make, and the
interface a kind implements (its rows, its checks, what explain says about it).

A kind's module (``planner/schema/policies/<kind>.py``) holds one class deriving from
``Policy`` (or ``Conditional``) with ``kind: Literal["<kind>"]``; the registry finds it.
Nothing here imports PuLP or pandas: a kind builds its rows through the ``RowContext`` the
formulation layer hands it (``planner.formulation.policy_rows``), whose expressions compare
to PuLP rows without the kind naming PuLP.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from planner.errors import Problem, Refusal, refusal, unknown
from planner.schema import tables as schema

Identifier = Annotated[str, Field(pattern=schema.ID_PATTERN)]
CountryCode = Annotated[str, Field(pattern=schema.COUNTRY_PATTERN)]
Condition = dict[Identifier, Identifier | list[Identifier]]


LISTED_TWICE = refusal(
    "Policy", "A name given twice in a policy's list of tasks, regions or phases "
    "(a phase named twice would make two rows of the same name).",
    "{names} is listed more than once: give each name once",
    {"kind": "forbid", "country": "JPN", "task": "isr", "phase": ["crisis", "crisis"]})


def each_once(values: list[str]) -> list[str]:
    """A list of names gives each once (``LISTED_TWICE``)."""
    twice = list(dict.fromkeys(v for i, v in enumerate(values) if v in values[:i]))
    if twice:
        raise LISTED_TWICE.error(names=", ".join(repr(v) for v in twice))
    return values


Names = Identifier | Annotated[list[Identifier], AfterValidator(each_once)] | None


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def names(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def condition_holds(when: Condition, unless: Condition, flags: dict[str, str]) -> bool:
    """Every ``when`` flag has (one of) its values and no ``unless`` flag does."""
    def matches(condition: Condition) -> list[bool]:
        return [flags.get(flag) in ([v] if isinstance(v, str) else v)
                for flag, v in condition.items()]

    return all(matches(when)) and not any(matches(unless))


# Refusals several kinds make (a kind's own are declared in its module). Examples leave out
# name, sentence and source.
ONE_COUNTRY = refusal(
    "Policy", "Any kind but `lead_nation` without a `country`, or with a list of them.",
    "a {kind} policy needs one 'country'",
    {"kind": "forbid", "country": ["USA", "JPN"], "task": "isr"})
NEEDS_TASK = refusal(
    "Policy", "A `retain_at_home`, or a `share_cap` / `share_floor` of the delivered amount "
    "(`of: delivered`, the default), without a `task`.",
    "a {kind} policy needs a 'task'", {"kind": "share_cap", "country": "USA", "value": 0.5})
NEEDS_VALUE = refusal(
    "Policy", "A `share_cap`, `share_floor`, `retain_at_home` or `budget_cap` without a "
    "`value`.", "a {kind} policy needs a 'value'", {"kind": "budget_cap", "country": "JPN"})

Value = Annotated[float, Field(ge=0, le=schema.LARGEST, allow_inf_nan=False)]


@dataclass(frozen=True)
class PolicyRow:
    """One row a policy adds: its keys beyond the policy's name, by key (the ``policy``
    family of ``planner.formulation.families`` names it ``policy[name,...]``), the
    constraint (made by the formulation's expressions) and the sentence it explains."""

    keys: dict[str, str]  # named: {"phase": ...}, {"task": ..., "region": ...}, ...
    constraint: Any
    sentence: str


class Selection(Protocol):
    """Which units columns a policy speaks about (made by ``RowContext.select``)."""

    def __and__(self, other: Selection) -> Selection: ...
    def __or__(self, other: Selection) -> Selection: ...
    def any(self) -> bool: ...


class RowContext(Protocol):
    """What the formulation offers a kind to build its rows with (see
    ``planner.formulation.policy_rows.Context``): selections of the units columns and their
    weighted totals, which compare (``<=``, ``>=``, ``==``) to rows."""

    phases: list[str]  # the mission's phases, in order
    countries: list[str]  # the countries taking part, in table order
    homes: dict[str, str]  # each country's home region, where it has one
    links: tuple[Any, ...]  # the active links
    required: dict[tuple[str, str, str], float]  # the requirements by task, region, phase

    def select(self, country: Names = None, task: Names = None, region: Names = None,
               phase: Names = None) -> Selection: ...
    def nothing(self) -> Selection: ...
    def based_in(self, host: str) -> Selection: ...
    def total(self, chosen: Selection, weight: str | None = None, times: float = 1.0
              ) -> Any: ...


class Policy(Frozen):
    """One legal or political constraint on a country. The keys below are those of every
    kind; each kind has a section of its own with all its keys.

    ``task``, ``region`` and ``phase`` each take one name or a list of names.

    ``when`` and ``unless`` are conditions on scenario flags: the policy holds only when every
    ``when`` flag has (one of) the given value(s), and no ``unless`` flag does.
    """

    # Keys this kind refuses when they are given (not left at their default): the refusal
    # it raises for each, checked before the keys other kinds own.
    refuses: ClassVar[dict[str, Refusal]] = {}
    # Keys this kind owns that other kinds refuse with a refusal of this kind's.
    owns: ClassVar[dict[str, Refusal]] = {}
    rank: ClassVar[int] = 100  # where the kind is listed (the reference's order)
    is_link: ClassVar[bool] = False  # a link: its rows come in when it is inactive
    binary: ClassVar[bool] = False  # its rows need binary columns (the mission is a MIP)
    # a share of what several countries do together: fairness sets it aside for a coalition
    # of the country alone
    is_share: ClassVar[bool] = False

    name: Identifier = Field(
        description="Identifier of the policy; its LP rows are named policy[<name>...]. A "
        "mission policy with a standing policy's name replaces it.")
    kind: str = Field(description="What the policy says: one of the Policy kinds below, each "
                      "with its own keys.")
    sentence: str = Field(description="The constraint in one plain sentence; plans and "
                          "reports print it.")
    source: str = Field(description="Where it comes from: a public_facts row, or "
                        "'assumption: ...'.")

    @model_validator(mode="before")
    @classmethod
    def _keys_of_other_kinds(cls, data: Any) -> Any:
        """A key this kind does not take: left out when at the default of the kind that
        owns it (as every policy once had it), else the refusal of this kind or of the
        owner; a key no kind owns is left to be reported as unknown."""
        if not isinstance(data, dict):
            return data
        kept = dict(data)
        for key, value in data.items():
            if key in cls.model_fields:
                continue
            owners = [k for k in every_kind() if key in k.model_fields]
            if owners and any(value == k.model_fields[key].get_default(
                    call_default_factory=True) for k in owners):
                del kept[key]
            elif key in cls.refuses:
                raise cls.refuses[key].error(kind=data.get("kind"))
            else:
                found = next((k.owns[key] for k in owners if key in k.owns), None)
                if found is not None:
                    raise found.error(kind=data.get("kind"))
        return kept

    @property
    def countries(self) -> list[str]:
        """The countries the policy names (for a link, both; for a lead, the candidates)."""
        return names(getattr(self, "country", None))

    def conditions(self) -> list[tuple[str, Condition]]:
        """The conditions on flags, each with its key (``when``, ``active_unless``)."""
        return []

    def applies(self, flags: dict[str, str], active: Collection[str] | None = None) -> bool:
        """Whether the policy puts rows in the LP under these flags, given the names of the
        active links (``None``: as the flags make them)."""
        return True

    def active(self, flags: dict[str, str]) -> bool:
        """For a link: whether it is active under these flags (other kinds: never a link)."""
        return False

    def concerns_only(self, countries: set[str]) -> bool:
        """Whether the policy is about countries taking part (else it is set aside)."""
        return all(c in countries for c in self.countries)

    def demand_cells(self, phases: list[str]) -> list[tuple[str, str, str]]:
        """(task, region, phase) where units may be employed for this policy's sake even
        where the mission requires nothing."""
        return []

    def rewards_overshoot(self, ctx: RowContext) -> Selection | None:
        """The units whose delivering more than a requirement this policy may reward (a
        lead-nation bound leaves their cells alone); ``None``: none."""
        return None

    def rows(self, ctx: RowContext) -> list[PolicyRow]:
        """The rows the policy adds to the LP (none when no column is concerned)."""
        raise NotImplementedError(f"the {self.kind} kind defines no rows")

    def check(self, vocabulary: dict[str, list[str]], links: list[str], where: Any,
              path: tuple[Any, ...]) -> list[Problem]:
        """Names of countries, tasks, regions, phases and links the tables define."""
        problems = []
        for field, kind in (("country", "country"), ("partner", "country"), ("task", "task"),
                            ("region", "region"), ("phase", "phase")):
            for value in names(getattr(self, field, None)):
                if value not in vocabulary[kind]:
                    message, hint = unknown(kind, value, vocabulary[kind])
                    problems.append(where.problem((*path, field), message, hint))
        for at, link in enumerate(getattr(self, "depends_on", [])):
            if link not in links:
                message, hint = unknown("link", link, links)
                problems.append(where.problem((*path, "depends_on", at), message, hint))
        return problems

    @classmethod
    def worth_text(cls, cost: str, amount: str, signed: float | None, in_force: bool) -> str:
        """What explain says a policy costs (``signed``: the objective without it minus
        with it, ``None`` when there is no plan without it); ``cost`` and ``amount`` are
        the formatted signed and absolute values."""
        if signed is None:
            return "without it there is no feasible plan"
        return (f"{cost} in this mission" if signed > 0 else f"{cost}: without it the "
                f"objective would be {amount} higher (a side effect on penalties)")


class Conditional(Policy):
    """A policy that holds under conditions on the scenario flags and the links it exists
    by (every kind but ``link``)."""

    when: Condition = Field(
        default={}, description="Conditions on scenario flags, flag: value or flag: [values]: "
        "the policy holds only when every one matches.")
    unless: Condition = Field(
        default={}, description="Conditions on scenario flags: the policy does not hold when "
        "any matches.")
    depends_on: list[Identifier] = Field(
        default=[], description="Links (by name) this policy exists by, e.g. US forces "
        "staying in Korea by the US-Korea alliance: it holds only while each is active, and "
        "switching one off (a flag, explain, resilience's --links) sets it aside too.")

    def conditions(self) -> list[tuple[str, Condition]]:
        return [("when", self.when), ("unless", self.unless)]

    def applies(self, flags: dict[str, str], active: Collection[str] | None = None) -> bool:
        return condition_holds(self.when, self.unless, flags) and (
            active is None or all(link in active for link in self.depends_on))


class OneCountry(Conditional):
    """A conditional policy about one country's units, within an optional scope."""

    country: CountryCode | list[CountryCode] | None = Field(
        default=None, description="The country concerned (one code).")

    @model_validator(mode="after")
    def _one_country(self) -> OneCountry:
        if self.country is None or isinstance(self.country, list):
            raise ONE_COUNTRY.error(kind=self.kind)
        return self


def every_kind(model: type[Policy] = Policy) -> list[type[Policy]]:
    """Every class deriving from ``model`` (the kinds and what they share), as the registry
    has imported them: the owners of a key, found without naming the registry."""
    found = []
    for sub in model.__subclasses__():
        found += [sub, *every_kind(sub)]
    return found
