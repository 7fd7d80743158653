"""The registry of policy kinds, the only list of them: every module of this package that
defines a ``Policy`` class with ``kind: Literal["<kind>"]`` is a kind. ``AnyPolicy`` is
their pydantic union, told apart by ``kind`` (an unknown kind is an input error)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import Field, TypeAdapter

from planner.schema import policies
from planner.schema.policies.base import Policy


def discover() -> dict[str, type[Policy]]:
    """Each kind's class by its name, in the order of their ``rank`` (then name)."""
    found: dict[str, type[Policy]] = {}
    for module in pkgutil.iter_modules(policies.__path__):
        loaded = importlib.import_module(f"{policies.__name__}.{module.name}")
        for value in vars(loaded).values():
            if (isinstance(value, type) and issubclass(value, Policy)
                    and value.__module__ == loaded.__name__):
                annotation = value.model_fields["kind"].annotation
                if get_origin(annotation) is Literal:
                    [kind] = get_args(annotation)
                    found[kind] = value
    return dict(sorted(found.items(), key=lambda item: (item[1].rank, item[0])))


KINDS: dict[str, type[Policy]] = discover()

AnyPolicy = Annotated[Union[tuple(KINDS.values())],  # type: ignore[valid-type]  # noqa: UP007
                   Field(discriminator="kind")]
PolicyKind = Literal[tuple(KINDS)]  # type: ignore[valid-type]

_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyPolicy)


def make_policy(**fields: Any) -> Policy:
    """A policy of the kind ``fields['kind']`` names, validated as a file's would be."""
    return _ADAPTER.validate_python(fields)  # type: ignore[no-any-return]
