"""Metric labels come from fixed sets whatever a client sends."""

import pytest
from graphql import parse
from starlette.responses import JSONResponse, PlainTextResponse

from app.metrics.graphql import operation_label, placement_label, root_fields
from app.metrics.reasons import REASONS, reason_label
from app.metrics.webhooks import outcome_of

KNOWN = {"recommendations", "similarProducts", "trackEvents"}


@pytest.mark.parametrize(("reason", "label"), [
    ("visitorId is required", "visitorId"),
    ("productId is longer than 255 characters", "productId"),
    ("unknown event type", "type"),
    ("PRODUCT_VIEWED needs a productId", "missing_product"),
    ("SEARCH_SUBMITTED needs a query", "missing_query"),
    ("customerId needs a customerToken signed for this shop", "customer_proof"),
    ("occurredAt is in the future", "occurredAt"),
    ("at most 500 events per request (all trackEvents together)", "batch_too_large"),
    ("anything a future check may say about <script>", "other"),
])
def test_rejection_reasons_map_to_fixed_labels(reason: str, label: str) -> None:
    assert reason_label(reason) == label
    assert label in REASONS


def _fields(query: str, name: str | None = None) -> list:  # type: ignore[type-arg]
    return root_fields(parse(query), name)


def test_the_operation_is_its_one_known_root_field() -> None:
    assert operation_label(_fields("{ recommendations(placement: HOME) { id } }"), KNOWN) \
        == "recommendations"
    aliased = "{ a: similarProducts(productId: 1) { id } b: similarProducts(productId: 2) { id } }"
    assert operation_label(_fields(aliased), KNOWN) == "similarProducts"
    both = "{ similarProducts(productId: 1) { id } recommendations(placement: HOME) { id } }"
    assert operation_label(_fields(both), KNOWN) == "multiple"


def test_unknown_fields_and_introspection_are_other() -> None:
    assert operation_label(_fields("{ __schema { types { name } } }"), KNOWN) == "other"
    assert operation_label(_fields("{ made_up_field_123 }"), KNOWN) == "other"
    assert operation_label(_fields("{ recommendations { id } nope }"), KNOWN) == "other"
    assert operation_label([], KNOWN) == "other"


def test_the_named_operation_of_several_is_the_one_labelled() -> None:
    document = "query A { similarProducts(productId: 1) { id } } mutation B { trackEvents }"
    assert operation_label(_fields(document, "B"), KNOWN) == "trackEvents"
    assert operation_label(_fields(document, None), KNOWN) == "other"  # ambiguous


def test_the_placement_is_a_known_one_or_none() -> None:
    literal = _fields("{ recommendations(placement: CART) { id } }")
    assert placement_label(literal, None) == "CART"
    variable = _fields("query($p: Placement!) { recommendations(placement: $p) { id } }")
    assert placement_label(variable, {"p": "PRODUCT"}) == "PRODUCT"
    assert placement_label(variable, {"p": "x" * 10_000}) == "none"
    assert placement_label(variable, None) == "none"
    assert placement_label(_fields("{ similarProducts(productId: 1) { id } }"), None) == "none"


@pytest.mark.parametrize(("response", "outcome"), [
    (JSONResponse({"status": "accepted"}), "accepted"),
    (JSONResponse({"status": "duplicate"}), "duplicate"),
    (JSONResponse({"error": "unauthorized", "message": "..."}, 401), "unauthorized"),
    (JSONResponse({"error": "invalid_payload", "topic": "t"}, 400), "invalid_payload"),
    (JSONResponse({"status": "something new"}), "other"),
    (PlainTextResponse("oops", 500), "other"),
])
def test_webhook_outcomes_are_read_from_the_answer(response: JSONResponse, outcome: str) -> None:
    assert outcome_of(response) == outcome
