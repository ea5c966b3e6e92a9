"""Variable coercion with a short path for list variables.

graphql-core coerces a variable's value by asking of its type, at every item and field,
what kind of type it is, after a separate walk that checks the value's nesting depth: for
a ``trackEvents`` batch of 50 events of 12 fields, or ``rerankSearch``'s 100 ids, that is
a sixth of the request's CPU. For a list variable, ``list_coercer`` plans the walk once per
variable of a parsed operation: the same steps as graphql-core's ``coerce_input_value``,
in the same order, with the type tests made once. It only answers for a value that graphql-core would accept, and then
with the same result; for anything else it answers ``Undefined``, and graphql-core's own
path coerces the value and reports the error. A type that refers to itself, or nests
deeper than graphql-core's nesting limit, and ``@oneOf`` inputs are left to graphql-core;
for the others the depth check cannot fail (a value only nests as far as its type)."""

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    VariableDefinitionNode,
    is_required_input_field,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.pyutils import is_iterable
from graphql.utilities.coerce_input_value import coerce_default_value

from app.process.lru import Lru

Coerce = Callable[[Any], Any]


class NoShortPath(Exception):
    """The type is left to graphql-core."""


def _leaf(leaf: GraphQLScalarType | GraphQLEnumType) -> Coerce:
    coerce = leaf.coerce_input_value

    def coerce_leaf(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        try:
            return coerce(value)
        except Exception:  # noqa: BLE001  graphql-core's path reports it
            return Undefined

    return coerce_leaf


def _non_null(inner: Coerce) -> Coerce:
    def coerce_non_null(value: Any) -> Any:
        if value is None or value is Undefined:
            return Undefined
        return inner(value)

    return coerce_non_null


def _list(item: Coerce) -> Coerce:
    def coerce_list(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if not is_iterable(value):  # a single value stands for a list of one
            single = item(value)
            return Undefined if single is Undefined else [single]
        coerced: list[Any] = []
        append = coerced.append
        for entry in value:
            one = item(entry)
            if one is Undefined:
                return Undefined
            append(one)
        return coerced

    return coerce_list


def _input_object(input_type: GraphQLInputObjectType, depth: int,
                  within: frozenset[int]) -> Coerce:
    if input_type.is_one_of:
        raise NoShortPath
    inside = within | {id(input_type)}
    plan = [(name, field.out_name or name, field, is_required_input_field(field),
             _coercer(field.type, depth + 1, inside))
            for name, field in input_type.fields.items()]
    names = frozenset(input_type.fields)
    out_type = input_type.out_type

    def coerce_input_object(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if not isinstance(value, dict):
            return Undefined
        for name, entry in value.items():
            if entry is not Undefined and name not in names:
                return Undefined
        coerced: dict[str, Any] = {}
        for name, out_name, field, required, coerce in plan:
            entry = value.get(name, Undefined)
            if entry is Undefined:
                if required:
                    return Undefined
                default = coerce_default_value(field)
                if default is not Undefined:
                    coerced[out_name] = default
                continue
            one = coerce(entry)
            if one is Undefined:
                return Undefined
            coerced[out_name] = one
        return out_type(coerced)

    return coerce_input_object


def _coercer(type_: GraphQLInputType, depth: int, within: frozenset[int]) -> Coerce:
    """``depth``: how deep graphql-core's nesting check counts a value of this type here."""
    if depth > MAX_NESTING_DEPTH:
        raise NoShortPath
    if isinstance(type_, GraphQLNonNull):
        return _non_null(_coercer(type_.of_type, depth, within))
    if isinstance(type_, GraphQLList):
        return _list(_coercer(type_.of_type, depth + 1, within))
    if isinstance(type_, GraphQLInputObjectType):
        if id(type_) in within:  # refers to itself: its values may nest without bound
            raise NoShortPath
        return _input_object(type_, depth, within)
    if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
        return _leaf(type_)
    raise NoShortPath


def list_coercer(type_: GraphQLInputType) -> Coerce | None:
    """The short path for values of a list type, or ``None`` (graphql-core's path)."""
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not isinstance(inner, GraphQLList):
        return None
    try:
        return _coercer(type_, 0, frozenset())
    except NoShortPath:
        return None


# Per variable definition of a parsed operation (documents come from the parser's cache, so
# a query sent again brings the same nodes) and schema: its plan, or None. Held with the
# node and the schema, so that their ids are not reused. graphql-core makes new wrapper
# types (``[ID!]!``) for every request, so a plan kept by its type would be made again
# for every request, and kept alive in the cache long enough for the garbage collector to
# walk it again and again.
_PLANS: Lru[tuple[int, int], tuple[GraphQLSchema, VariableDefinitionNode, Coerce | None]] = Lru(1024)


def _plan(schema: GraphQLSchema, definition: VariableDefinitionNode) -> Coerce | None:
    known = _PLANS.get((id(schema), id(definition)))
    if known is None or known[0] is not schema or known[1] is not definition:
        signature = get_variable_signature(schema, definition)
        type_ = getattr(signature, "type", None)  # an error for an unknown type
        known = (schema, definition, None if type_ is None else list_coercer(type_))
        _PLANS.put((id(schema), id(definition)), known)
    return known[2]


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def coerce_list_variables(schema: GraphQLSchema, document: DocumentNode,
                          operation_name: str | None,
                          raw: dict[str, Any] | None) -> dict[str, Any]:
    """The coerced values of the operation's list variables that the short path accepts,
    by name; every other variable is left to graphql-core."""
    operation = _operation(document, operation_name)
    if operation is None or not raw:
        return {}
    coerced: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        value = raw.get(name, Undefined)
        if value is Undefined or value is None:
            continue
        coerce = _plan(schema, definition)
        if coerce is not None:
            one = coerce(value)
            if one is not Undefined:
                coerced[name] = one
    return coerced
