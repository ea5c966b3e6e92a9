"""What the fast path takes from graphql-core and strawberry beyond their documented use.

It overrides methods of graphql-core's executor (which strawberry's execution context
inherits) and calls them back with positional arguments, reads the executor's state, builds
graphql-core's variable containers and sets strawberry's ``from_input`` hook of input
types: as in graphql-core 3.3 and strawberry 0.341, the ranges ``pyproject.toml`` pins.
``problems`` says in one sentence each what of this the installed versions lack, by name and
parameter names, without importing the fast path's modules (whose imports would fail)."""

import importlib
import inspect
from functools import cache
from typing import Any, NamedTuple

EXECUTOR = "strawberry.schema.schema:StrawberryGraphQLCoreExecutionContext"


class Needed(NamedTuple):
    """A name the fast path uses, as ``module:Qualified.name``; for a callable, the
    parameters it passes by position (the first ones, in order) and those it reads or
    passes by name (anywhere)."""

    where: str
    leading: tuple[str, ...] = ()
    named: tuple[str, ...] = ()


NEEDED = (
    # Overridden, and called back through super() with positional arguments.
    Needed(f"{EXECUTOR}.build", ("schema", "document", "root_value", "context_value",
                                 "raw_variable_values", "operation_name")),
    Needed(f"{EXECUTOR}.execute_fields", ("self", "parent_type", "source_value", "path",
                                          "grouped_field_set", "position_context")),
    Needed(f"{EXECUTOR}.complete_list_value", ("self", "return_type", "field_details_list",
                                               "info", "path", "result", "position_context")),
    # Called, and the executor's state read (attributes named as these parameters).
    Needed(f"{EXECUTOR}.collect_subfields", ("self", "return_type", "field_details_list")),
    Needed("graphql.execution.executor:Executor.__init__", named=(
        "fragments", "operation", "variable_values", "middleware_manager", "is_awaitable")),
    Needed("graphql.execution.collect_fields:CollectedFields",
           ("grouped_field_set", "new_defer_usages")),
    Needed("graphql.execution.values:VariableValues", ("sources", "coerced")),
    Needed("graphql.execution.values:VariableValueSource", ("signature", "value")),
    Needed("graphql.execution.get_variable_signature:get_variable_signature",
           ("schema", "var_def_node")),
    Needed("graphql.utilities.coerce_input_value:coerce_default_value", ("input_value",)),
    Needed("graphql.language.parser:MAX_NESTING_DEPTH"),
    Needed("graphql:GraphQLInputObjectType", named=("fields", "out_type", "is_one_of")),
    *(Needed(f"graphql.type.scalars:serialize_{name}", ("output_value",))
      for name in ("string", "id", "boolean", "float", "int")),
    # strawberry: its attribute-read resolvers, and the input hook.
    Needed("strawberry.types.field:StrawberryField", named=("python_name", "base_resolver")),
    Needed("strawberry.types.field:StrawberryField.default_resolver"),
    Needed("strawberry.types.base:StrawberryObjectDefinition", named=("fields", "from_input")),
    Needed("strawberry.types.base:StrawberryOptional"),
    Needed("strawberry.types.arguments:InputContext", named=("config",)),
    Needed("strawberry.schema.name_converter:NameConverter.from_field", ("self", "field")),
)


def _find(where: str) -> Any:
    module, _, qualified = where.partition(":")
    found: Any = importlib.import_module(module)
    for name in qualified.split("."):
        found = getattr(found, name)
    return found


def problem(needed: Needed) -> str | None:
    """What the installed library lacks of ``needed``, in a sentence, or None."""
    try:
        found = _find(needed.where)
    except (ImportError, AttributeError):
        return f"{needed.where} is missing"
    if not needed.leading and not needed.named:
        return None
    try:
        parameters = tuple(inspect.signature(found).parameters)
    except (TypeError, ValueError):
        return f"{needed.where} has no signature to check"
    if parameters[:len(needed.leading)] != needed.leading:
        return (f"{needed.where} takes ({', '.join(parameters)}); the fast path passes "
                f"({', '.join(needed.leading)}, ...) in this order")
    absent = [name for name in needed.named if name not in parameters]
    if absent:
        return f"{needed.where} has no parameter {', '.join(absent)}"
    return None


@cache
def problems() -> tuple[str, ...]:
    """What the installed graphql-core and strawberry lack of what the fast path uses."""
    return tuple(found for found in map(problem, NEEDED) if found is not None)
