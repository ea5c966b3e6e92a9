"""The input shortcut builds the same inputs as strawberry's generic conversion."""

from typing import Any

import pytest
import strawberry
from strawberry.types import get_object_definition

from app.graphql.events import EventInput
from app.graphql.fast.inputs import build_input
from app.graphql.fast.marks import PLAIN_INPUT_TYPES, set_input_conversion


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, events: list[EventInput]) -> str:
        return repr(events)


SCHEMA = strawberry.Schema(query=Query)
QUERY = "query($events: [EventInput!]!) { echo(events: $events) }"
EVENTS: list[dict[str, Any]] = [
    {"type": "PRODUCT_VIEWED", "visitorId": "v1"},
    {"type": "PRODUCT_ADDED_TO_CART", "visitorId": 7, "productId": "gid://shopify/Product/1",
     "quantity": 2, "occurredAt": "2024-01-01T00:00:00+00:00",
     "consent": {"analytics": True, "personalization": False}, "customerToken": None},
    {"type": "SEARCH_SUBMITTED", "visitorId": "v2", "query": "mug", "dwellMs": 10, "consent": None},
]


async def test_same_inputs_as_strawberrys_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    for cls in PLAIN_INPUT_TYPES:  # restored after the test
        definition = get_object_definition(cls, strict=True)
        monkeypatch.setattr(definition, "from_input", definition.from_input)
    set_input_conversion(None)
    plain = await SCHEMA.execute(QUERY, variable_values={"events": EVENTS})
    set_input_conversion(build_input)
    fast = await SCHEMA.execute(QUERY, variable_values={"events": EVENTS})
    assert plain.errors is None and fast.errors is None
    assert fast.data == plain.data
    assert plain.data and "ConsentInput(analytics=True, personalization=False)" in plain.data["echo"]
