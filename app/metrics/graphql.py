"""Timing of storefront GraphQL operations, labelled by root field and placement.

Labels come from fixed sets so that no client can make new time series: the operation is
the root field when the document selects one field of the schema's root types (the same
field under several aliases counts as one), ``multiple`` when it selects several, ``other``
otherwise (introspection, unknown fields, a document that does not parse); the placement
is the ``placement`` argument when it is one of the placements, else ``none``. One timing
per operation (not per field): the request path pays two clock reads."""

import time
from collections.abc import Callable, Collection, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    EnumValueNode,
    FieldNode,
    OperationDefinitionNode,
    StringValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from app.metrics.registry import NO_PLACEMENT, Metrics
from app.recommendations.types import Placement

OTHER = "other"
MULTIPLE = "multiple"
PLACEMENTS = frozenset(p.value for p in Placement)
PLACEMENT_ARGUMENT = "placement"


def root_fields(document: DocumentNode | None, operation_name: str | None) -> list[FieldNode]:
    """The root fields of the operation that runs (fragments at the root not followed)."""
    if document is None:
        return []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return []
    return [s for s in operations[0].selection_set.selections if isinstance(s, FieldNode)]


def operation_label(fields: list[FieldNode], known: Collection[str]) -> str:
    names = {field.name.value for field in fields}
    if len(names) > 1:
        return MULTIPLE if names <= set(known) else OTHER
    return names.pop() if names and names <= set(known) else OTHER


def placement_label(fields: list[FieldNode], variables: dict[str, Any] | None) -> str:
    for field in fields:
        for argument in field.arguments or ():
            if argument.name.value != PLACEMENT_ARGUMENT:
                continue
            value = argument.value
            given: object = None
            if isinstance(value, EnumValueNode | StringValueNode):
                given = value.value
            elif isinstance(value, VariableNode):
                given = (variables or {}).get(value.name.value)
            given = getattr(given, "value", given)  # an enum member, once coerced
            return given if isinstance(given, str) and given in PLACEMENTS else NO_PLACEMENT
    return NO_PLACEMENT


class RootFields:
    """The root fields of one schema's query and mutation types, read once."""

    def __init__(self) -> None:
        self._names: frozenset[str] | None = None

    def of(self, schema: Any) -> frozenset[str]:
        if self._names is None:
            core = schema._schema  # graphql-core's schema under strawberry's
            self._names = frozenset(name for root in (core.query_type, core.mutation_type)
                                    if root is not None for name in root.fields)
        return self._names


class OperationTimings(SchemaExtension):
    """Observes each operation's time, from parsing to the result, in ``metrics``."""

    def __init__(self, metrics: Metrics, roots: RootFields) -> None:
        self._metrics = metrics
        self._roots = roots

    @classmethod
    def factory(cls, metrics: Metrics) -> Callable[[], "OperationTimings"]:
        """For one schema's ``extensions`` (an extension is made per request)."""
        roots = RootFields()
        return lambda: cls(metrics, roots)

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        context = self.execution_context
        fields = root_fields(context.graphql_document, context.operation_name)
        self._metrics.observe_graphql(operation_label(fields, self._roots.of(context.schema)),
                                      placement_label(fields, context.variables), elapsed)
