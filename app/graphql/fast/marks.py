"""Marks that GraphQL types carry for the fast path; without it they mean nothing.

Kept apart from the fast path's modules, which import graphql-core's and strawberry's
internals: the types import only this, so they load whatever those libraries hold."""

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.types import get_object_definition

T = TypeVar("T")

SHARED_VIEW_TYPES: set[type] = set()
"""Classes marked by ``shared_view``."""
# Where a shared view keeps its plain data: per selection's id, the selection (so that its
# id is not reused while the entry lives) and the data. It lives and dies with the view.
BUILT = "__plain_data__"

PLAIN_INPUT_TYPES: list[type] = []
"""Classes marked by ``plain_input``."""


def shared_view(cls: type[T]) -> type[T]:
    """Marks an output type whose instances are shared by requests and never changed once
    built (the view of an immutable catalog row, say): the executor builds the plain data
    of each instance once per selection and keeps it on the instance."""
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: a shared view keeps its data in its __dict__")
    SHARED_VIEW_TYPES.add(cls)
    return cls


def plain_input(cls: type[T]) -> type[T]:
    """Marks a strawberry input type whose fields are scalars, enums or input types marked
    the same way (no lists of inputs): the fast path builds its instances straight from the
    values graphql-core has coerced (``app.graphql.fast.inputs``)."""
    PLAIN_INPUT_TYPES.append(cls)
    return cls


def set_input_conversion(build: Callable[..., Any] | None) -> None:
    """Builds the marked input types by ``build`` (strawberry's ``from_input`` hook), or by
    strawberry's generic conversion (None). The hook is on the types: it holds for the
    whole process."""
    for cls in PLAIN_INPUT_TYPES:
        get_object_definition(cls, strict=True).from_input = build
