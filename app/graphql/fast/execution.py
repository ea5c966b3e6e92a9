"""GraphQL execution with a short path for plain data.

A list of 100 products asks graphql-core for 100 × 11 scalar fields; for each it builds a
path, a resolve info and an awaitable check, then completes the value: most of the time of
a large response. A field with no resolver of its own (strawberry's attribute read) and no
arguments, whose type is a scalar, an enum, a concrete object type whose selected fields
are all such fields, or a list of these, needs none of that. This executor plans such
"plain" fields once per operation and builds their values directly: read the attribute,
serialize leaves with the field's own type, recurse into objects and lists, exactly what
graphql-core would do.
The list a resolver returns (``products(first: 100)``) is built the same way, as a
whole, when its items are such objects.

Anything else (resolvers, arguments, abstract types, ``@defer``/``@stream``), and any
value that graphql-core would turn into an error (a null in a non-null field, a value the
scalar refuses, an attribute that raises), goes through graphql-core's own path for that
field: plain fields only read attributes, so computing one again is harmless, and results
and errors are the same as without this executor (``tests/unit/test_graphql_execution``
compares the two)."""

from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache
from operator import attrgetter
from types import CodeType
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
)
from graphql.execution.values import VariableValues, VariableValueSource
from graphql.pyutils import Path, is_iterable
from graphql.type.scalars import (
    serialize_boolean,
    serialize_float,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

from app.graphql.fast.marks import BUILT, SHARED_VIEW_TYPES
from app.graphql.fast.variables import coerce_list_variables
from app.process.lru import Lru

TYPENAME = "__typename"
IsAwaitable = Callable[[Any], bool]


def _built_view(selection: object, view: object) -> dict[str, Any] | None:
    """The plain data built before for this view and selection (an object completion or a
    shared plan)."""
    kept = view.__dict__.get(BUILT)
    found = None if kept is None else kept.get(id(selection))
    return found[1] if found is not None and found[0] is selection else None


def _keep_view(selection: object, view: object, data: dict[str, Any]) -> None:
    kept = view.__dict__.get(BUILT)
    if kept is None:
        kept = view.__dict__[BUILT] = {}
    kept[id(selection)] = (selection, data)


class NotPlain(Exception):
    """This value needs graphql-core's path (it reports the error, if any)."""


# Classes whose instances are never awaitable: the built-in ones a field's value usually is,
# and each strawberry output type met without an ``__await__`` (``_never_awaitable``). The
# awaitable check of every other value (about 0.4 µs each, four hundred in a list of 100
# recommendations) is skipped for them.
_NEVER_AWAITABLE: set[type] = {str, int, float, bool, list, tuple, dict}


def _never_awaitable(cls: type) -> bool:
    return hasattr(cls, "__strawberry_definition__") and not hasattr(cls, "__await__")


class Completion:
    """How a value of one output type becomes response data."""

    def __init__(self, non_null: bool) -> None:
        self.non_null = non_null

    def complete(self, value: Any, is_awaitable: IsAwaitable) -> Any:
        if value is None:
            if self.non_null:
                raise NotPlain
            return None
        cls = value.__class__
        if cls not in _NEVER_AWAITABLE:
            if is_awaitable(value):
                raise NotPlain
            if _never_awaitable(cls):
                _NEVER_AWAITABLE.add(cls)
        return self.present(value, is_awaitable)

    def present(self, value: Any, is_awaitable: IsAwaitable) -> Any:
        raise NotImplementedError


class LeafCompletion(Completion):
    def __init__(self, leaf_type: GraphQLScalarType | GraphQLEnumType, non_null: bool) -> None:
        super().__init__(non_null)
        self.serialize = leaf_type.serialize

    def present(self, value: Any, is_awaitable: IsAwaitable) -> Any:
        serialized = self.serialize(value)
        if serialized is None or serialized is Undefined:
            raise NotPlain
        return serialized


class ListCompletion(Completion):
    def __init__(self, item: Completion, non_null: bool) -> None:
        super().__init__(non_null)
        self.item = item

    def present(self, value: Any, is_awaitable: IsAwaitable) -> Any:
        if value.__class__ is not list and not is_iterable(value):
            raise NotPlain
        item = self.item
        return [item.complete(v, is_awaitable) for v in value]


class PlainField:
    def __init__(self, read: Callable[[Any], Any] | None, completion: Completion | None,
                 constant: str | None = None) -> None:
        self.read = read
        self.completion = completion
        self.constant = constant

    def value(self, source: Any, is_awaitable: IsAwaitable) -> Any:
        if self.read is None or self.completion is None:
            return self.constant  # __typename
        return self.completion.complete(self.read(source), is_awaitable)


def _reader(resolve: Callable[..., Any], definition: object) -> Callable[[Any], Any]:
    """What strawberry's resolver of a field without a resolver of its own does."""
    if (isinstance(definition, StrawberryField) and definition.base_resolver is None
            and definition.default_resolver is getattr):
        return attrgetter(definition.python_name)
    return lambda source: resolve(source, None)


# Values that a built-in scalar's serializer returns unchanged: the test a generated
# object builder makes inline before it calls the serializer (the general path) at all.
PASSTHROUGH: dict[Callable[[Any], Any], str] = {
    serialize_string: "{v}.__class__ is str",
    serialize_id: "{v}.__class__ is str",
    serialize_boolean: "{v}.__class__ is bool",
    serialize_float: "{v}.__class__ is float and {v} - {v} == 0.0",  # finite
    serialize_int: "{v}.__class__ is int and -2147483648 <= {v} <= 2147483647",
}


class ObjectCompletion(Completion):
    """An object's selected fields, built by a function generated for this selection.

    The generated function reads each attribute once and keeps a built-in scalar's value
    as it is where its serializer would return it unchanged (a ``str`` for String, a
    finite ``float`` for Float, ...); every other value takes the field's general
    completion, which serializes it or raises ``NotPlain``."""

    def __init__(self, fields: list[tuple[str, PlainField]], non_null: bool) -> None:
        super().__init__(non_null)
        self.fields = fields
        self._build = _object_builder(fields)

    def present(self, value: Any, is_awaitable: IsAwaitable) -> Any:
        if value.__class__ not in SHARED_VIEW_TYPES:
            return self._build(value, is_awaitable)
        data = _built_view(self, value)
        if data is None:
            data = self._build(value, is_awaitable)  # raises NotPlain: nothing is kept
            _keep_view(self, value, data)
        return data


@lru_cache(maxsize=1024)
def _compiled(source: str) -> CodeType:
    """Compiled once per shape: the source names only slots, never a field or a value."""
    return compile(source, "<plain object builder>", "exec")


def _object_builder(fields: list[tuple[str, PlainField]]) -> Callable[[Any, IsAwaitable], Any]:
    namespace: dict[str, Any] = {}
    lines = ["def build(source, is_awaitable):"]
    for n, (_, field) in enumerate(fields):
        value = f"v{n}"
        if field.read is None or field.completion is None:
            namespace[f"constant{n}"] = field.constant
            lines.append(f"    {value} = constant{n}")
            continue
        namespace[f"read{n}"], namespace[f"complete{n}"] = field.read, field.completion.complete
        lines.append(f"    {value} = read{n}(source)")
        completion = field.completion
        test = (PASSTHROUGH.get(completion.serialize)
                if isinstance(completion, LeafCompletion) else None)
        if test is None:
            lines.append(f"    {value} = complete{n}({value}, is_awaitable)")
        else:
            lines.append(f"    if not ({test.format(v=value)}):")
            lines.append(f"        {value} = complete{n}({value}, is_awaitable)")
    namespace.update({f"key{n}": name for n, (name, _) in enumerate(fields)})
    entries = ", ".join(f"key{n}: v{n}" for n in range(len(fields)))
    lines.append(f"    return {{{entries}}}")
    exec(_compiled("\n".join(lines)), namespace)  # noqa: S102  defines ``build``
    build: Callable[[Any, IsAwaitable], Any] = namespace["build"]
    return build


def _has_directives(node: Any) -> bool:
    """Whether the node or anything selected under it carries a directive."""
    if getattr(node, "directives", None):
        return True
    selection_set = getattr(node, "selection_set", None)
    return selection_set is not None and any(
        _has_directives(selection) for selection in selection_set.selections)


# Plans shared across requests (see ``_shared_fields``), and which operations have no
# directives; each entry holds the nodes its key names by id. Bounded like the parser cache.
_SHARED_PLANS: Lru[tuple[Any, ...], tuple[Any, list[PlainField | None]]] = Lru(4096)
_DIRECTIVE_FREE: Lru[int, tuple[Any, bool]] = Lru(1024)
# The plain completions of lists that resolvers return (see ``complete_list_value``), per
# list type and field nodes, which each entry holds.
_RESOLVED_LISTS: Lru[tuple[Any, ...], tuple[Any, Completion | None]] = Lru(4096)


class PlainDataExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context; plain fields are built directly (see the module),
    list variables coerced by the short path of ``app.graphql.fast.variables``."""

    @classmethod
    def build(cls, schema: GraphQLSchema, document: DocumentNode, root_value: Any = None,
              context_value: Any = None, raw_variable_values: dict[str, Any] | None = None,
              *args: Any, **kwargs: Any) -> Any:
        operation_name = args[0] if args else kwargs.get("operation_name")
        short = coerce_list_variables(schema, document, operation_name, raw_variable_values)
        if not short or raw_variable_values is None:
            return super().build(schema, document, root_value, context_value,
                                 raw_variable_values, *args, **kwargs)
        # graphql-core coerces an empty list in their place (valid for every list type, so
        # no error can come of it), then the values coerced here replace those.
        stand_ins = {**raw_variable_values, **{name: [] for name in short}}
        built = super().build(schema, document, root_value, context_value, stand_ins,
                              *args, **kwargs)
        if isinstance(built, list):  # errors of other variables or of the operation
            return built
        variables = built.variable_values
        sources = {**variables.sources, **{
            name: VariableValueSource(variables.sources[name].signature, raw_variable_values[name])
            for name in short}}
        built.variable_values = VariableValues(sources, {**variables.coerced, **short})
        return built

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Any, list[tuple[str, PlainField | None, Any]],
                                     list[PlainField | None] | None]] = {}
        manager = self.middleware_manager  # resolvers wrapped by extensions: no short path
        self._wrapped = manager is not None and bool(manager.middlewares)

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any
              ) -> tuple[list[tuple[str, PlainField | None, Any]], list[PlainField | None] | None]:
        """The fields with their plain field (or None), and the plain fields' list if it is
        shared by requests (it then identifies the selection across requests)."""
        # Memoized on the field set's identity, as graphql-core memoizes the collection
        # itself; the set is kept alive with its plan so that its id is not reused.
        key = id(grouped_field_set)
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1], cached[2]
        fields, shared = self._shared_fields(parent_type, grouped_field_set)
        plan = [(name, field, details)
                for (name, details), field in zip(grouped_field_set.items(), fields, strict=True)]
        self._plans[key] = (grouped_field_set, plan, fields if shared else None)
        return plan, fields if shared else None

    def _shared_fields(self, parent_type: GraphQLObjectType,
                       grouped_field_set: Any) -> tuple[list[PlainField | None], bool]:
        """The plain fields of a field set, and whether they are shared by every request
        that sends the same parsed document (the parser cache returns the same one) without
        directives: only ``@skip``/``@include`` (by variables) and ``@defer``/``@stream``
        make the plan of the same field nodes differ between requests."""
        def build() -> list[PlainField | None]:
            return [None if self._wrapped else self._plain_field(parent_type, details)
                    for details in grouped_field_set.values()]

        if not self._directive_free():
            return build(), False
        nodes = tuple(d.node for details in grouped_field_set.values() for d in details)
        key = (id(parent_type), self._wrapped, tuple(grouped_field_set), tuple(map(id, nodes)))
        shared = _SHARED_PLANS.get(key)
        if shared is None:
            shared = ((parent_type, nodes), build())  # held, so that no id above is reused
            _SHARED_PLANS.put(key, shared)
        return shared[1], True

    def _directive_free(self) -> bool:
        operation = self.operation
        known = _DIRECTIVE_FREE.get(id(operation))
        if known is None or known[0] is not operation:
            free = not any(_has_directives(node)
                           for node in (operation, *self.fragments.values()))
            known = (operation, free)
            _DIRECTIVE_FREE.put(id(operation), known)
        return known[1]

    def _plain_field(self, parent_type: GraphQLObjectType, details: Any) -> PlainField | None:
        node = details[0].node
        if node.name.value == TYPENAME:
            return PlainField(None, None, parent_type.name)
        field_def = parent_type.fields.get(node.name.value)
        if field_def is None or field_def.args or any(d.node.arguments for d in details):
            return None
        resolve = field_def.resolve
        if resolve is None or not getattr(resolve, "_is_default", False):
            return None  # a resolver of its own, or not strawberry's attribute read
        completion = self._completion(field_def.type, details)
        if completion is None:
            return None
        return PlainField(_reader(resolve, field_def.extensions.get("strawberry-definition")),
                          completion)

    def complete_list_value(self, return_type: GraphQLList[GraphQLOutputType],
                            field_details_list: Any, info: Any, path: Path, result: Any,
                            position_context: Any) -> Any:
        """A list that a resolver returned (``products(first: 100)``, say) is built by the
        plain path as a whole, where its items are plain data; otherwise, and on any value
        graphql-core must report, graphql-core completes it item by item."""
        completion = self._resolved_list(return_type, field_details_list)
        if completion is not None and result.__class__ is list:
            with suppress(Exception):  # NotPlain, or an error graphql-core will report
                return completion.present(result, self.is_awaitable)
        return super().complete_list_value(return_type, field_details_list, info, path, result,
                                           position_context)

    def _resolved_list(self, list_type: GraphQLList[GraphQLOutputType],
                       field_details_list: Any) -> Completion | None:
        """The plain completion of a resolver's list, shared by requests sending the same
        document without directives (none where there are: @stream, @skip by variables)."""
        if self._wrapped or not self._directive_free():
            return None
        nodes = tuple(d.node for d in field_details_list)
        key = (id(list_type), tuple(map(id, nodes)))
        found = _RESOLVED_LISTS.get(key)
        if found is None:
            found = ((list_type, nodes), self._completion(list_type, field_details_list))
            _RESOLVED_LISTS.put(key, found)
        return found[1]

    def _completion(self, output_type: GraphQLOutputType, details: Any) -> Completion | None:
        non_null = isinstance(output_type, GraphQLNonNull)
        inner = output_type.of_type if isinstance(output_type, GraphQLNonNull) else output_type
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            return LeafCompletion(inner, non_null)
        if isinstance(inner, GraphQLList):
            if any(d.node.directives for d in details):
                return None  # @stream
            item = self._completion(inner.of_type, details)
            return None if item is None else ListCompletion(item, non_null)
        if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
            grouped, new_defer_usages, *_ = self.collect_subfields(inner, details)
            if new_defer_usages:
                return None
            fields: list[tuple[str, PlainField]] = []
            for name, sub_details in grouped.items():
                field = self._plain_field(inner, sub_details)
                if field is None:
                    return None
                fields.append((name, field))
            return ObjectCompletion(fields, non_null)
        return None  # interfaces and unions

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        plan, selection = self._plan(parent_type, grouped_field_set)
        view = selection is not None and source_value.__class__ in SHARED_VIEW_TYPES
        if view:
            data = _built_view(selection, source_value)
            if data is not None:
                return data
        results: dict[str, Any] = {}
        other: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        for name, field, details in plan:
            if field is None or not _built(field, source_value, is_awaitable, name, results):
                other[name] = details
        if not other:
            if view:
                _keep_view(selection, source_value, results)
            return results
        done = super().execute_fields(parent_type, source_value, path, other, position_context)
        if isinstance(done, dict):
            return _in_order(grouped_field_set, results, done)

        async def in_order() -> dict[str, Any]:
            return _in_order(grouped_field_set, results, await done)

        return in_order()


def _built(field: PlainField, source: Any, is_awaitable: IsAwaitable, name: str,
           results: dict[str, Any]) -> bool:
    """Build a plain field's value into ``results``; False if graphql-core must do it."""
    try:
        results[name] = field.value(source, is_awaitable)
    except Exception:  # noqa: BLE001  NotPlain, or an error graphql-core will report
        return False
    return True


def _in_order(grouped_field_set: Any, plain: dict[str, Any],
              other: dict[str, Any]) -> dict[str, Any]:
    if not plain:
        return other
    return {name: plain[name] if name in plain else other[name]
            for name in grouped_field_set if name in plain or name in other}
