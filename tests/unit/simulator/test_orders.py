"""Simulated checkouts are what Shopify sends: the body passes the webhook adapter's shape
check and normalizes to the order, the signature verifies with the shop's secret only, and
the recommendation ids ride in the line property and the cart attribute."""

import json
from datetime import UTC, datetime

import pytest

from app.ids import ShopId
from app.ingestion.protocol import ShopContext
from app.simulator.orders import (
    CartLine,
    SimulatedOrder,
    cart_attribute,
    order_payload,
    signature,
    webhook_headers,
)
from webhooks.payload import Fields
from webhooks.shopify import order_change
from webhooks.shopify_shapes import check_shape
from webhooks.signatures import matches_any

SECRET = "shop-webhook-secret"
PLACED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ORDER = SimulatedOrder(
    order_id=123_456_700_001, customer_id="12347", currency="GBP",
    lines=(CartLine("85123A", "White Heart", 2.55, 2, "rec-1"),
           CartLine("22423", "Cake Stand", 10.95, 1, None)),
    clicked_lists=("rec-1", "rec-2", "rec-1"), placed_at=PLACED)


def test_the_body_has_the_shape_of_orders_create_and_normalizes_to_the_order() -> None:
    body = order_payload(ORDER)
    check_shape("orders/create", Fields.of(body), ShopContext(ShopId(1), "s.example", "GBP"))
    change = order_change(Fields.of(body))
    assert change.platform_id == str(ORDER.order_id)
    assert change.customer_id == "12347"
    assert change.placed_at == PLACED
    assert [(line.product_id, line.quantity, line.price) for line in change.lines] == [
        ("85123A", 2, 2.55), ("22423", 1, 10.95)]
    assert len({line.platform_id for line in change.lines}) == 2


def test_the_recommendation_ids_ride_in_line_properties_and_the_cart_attribute() -> None:
    body = json.loads(order_payload(ORDER))
    properties = [line["properties"] for line in body["line_items"]]
    assert properties == [[{"name": "_affinity_rec", "value": "rec-1"}], []]
    assert body["note_attributes"] == [{"name": "_affinity_recs", "value": "rec-2,rec-1"}]
    assert body["total_price"] == "16.05"


def test_the_cart_attribute_keeps_the_latest_twenty_distinct_ids_most_recent_last() -> None:
    ids = [f"r{n}" for n in range(30)] + ["r5"]
    kept = cart_attribute(ids).split(",")
    assert len(kept) == 20 and kept[-1] == "r5" and kept[0] == "r11"
    assert len(set(kept)) == 20


def test_the_signature_verifies_with_the_shop_secret_and_no_other() -> None:
    body = order_payload(ORDER)
    headers = webhook_headers("s.example", SECRET, body, "delivery-1", PLACED)
    assert matches_any(headers["X-Shopify-Hmac-Sha256"], body, [SECRET])
    assert not matches_any(headers["X-Shopify-Hmac-Sha256"], body, ["another-secret"])
    assert not matches_any(signature(SECRET, body + b" "), body, [SECRET])
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == "s.example"
    assert headers["X-Shopify-Webhook-Id"] == "delivery-1"


@pytest.mark.parametrize("order_id", [1, 10**14])
def test_line_ids_are_distinct_across_orders(order_id: int) -> None:
    other = SimulatedOrder(order_id + 1, "1", "GBP", ORDER.lines, (), PLACED)
    first = {line["id"] for line in json.loads(order_payload(
        SimulatedOrder(order_id, "1", "GBP", ORDER.lines, (), PLACED)))["line_items"]}
    second = {line["id"] for line in json.loads(order_payload(other))["line_items"]}
    assert not first & second
