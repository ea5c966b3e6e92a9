"""Input values built straight from graphql-core's coerced values.

strawberry's generic conversion resolves every field's type again for every value: for the
events of a ``trackEvents`` batch that was most of the call's CPU time. graphql-core has
coerced and validated the value already, so the fields of an input marked ``plain_input``
(scalars, enums, or inputs marked the same way) only need their Python names. ``build_input`` is
strawberry's ``from_input`` hook of the marked types (``marks.set_input_conversion``)."""

from collections.abc import Mapping
from functools import cache
from typing import Any

from strawberry.schema.name_converter import NameConverter
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryObjectDefinition,
    StrawberryOptional,
    get_object_definition,
)

# Per field of an input type: its GraphQL name, Python name and, for an input, its type.
InputPlan = tuple[tuple[str, str, type | None], ...]


@cache
def _input_plan(converter: NameConverter, definition: StrawberryObjectDefinition) -> InputPlan:
    plan = []
    for field in definition.fields:
        kind = field.type
        inner = kind.of_type if isinstance(kind, StrawberryOptional) else kind
        nested = inner if isinstance(inner, type) and get_object_definition(inner) else None
        plan.append((converter.from_field(field), field.python_name, nested))
    return tuple(plan)


def build_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
    """An input whose fields are scalars, enums or inputs built the same way."""
    kwargs: dict[str, Any] = {}
    plan = _input_plan(context.config.name_converter, get_object_definition(cls, strict=True))
    for graphql_name, python_name, nested in plan:
        if graphql_name in value:
            field_value = value[graphql_name]
            if nested is not None and field_value is not None:
                field_value = build_input(nested, field_value, context)
            kwargs[python_name] = field_value
    return cls(**kwargs)

