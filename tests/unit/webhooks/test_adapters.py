"""Normalizers: platform JSON in, platform-neutral changes out, clear errors otherwise."""

import json
from pathlib import Path

import pytest

from app.ids import ShopId
from app.ingestion.changes import RecordOrder, RecordRefund, SetInventoryLevel, UpsertProduct
from app.ingestion.protocol import InvalidPayload, ShopContext
from webhooks.backfill.shopify_admin import _throttle_wait
from webhooks.bigcommerce import BigCommerceAdapter
from webhooks.payload import Fields
from webhooks.shopify import NORMALIZERS, ShopifyAdapter
from webhooks.woocommerce import NORMALIZERS as WOO_NORMALIZERS
from webhooks.woocommerce import WooCommerceAdapter, site_domain

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads"
SHOP = ShopContext(id=ShopId(1), domain="snowdevil.myshopify.com", currency="EUR")


def shopify(topic: str, name: str) -> list[object]:
    return list(NORMALIZERS[topic](Fields.of((PAYLOADS / "shopify" / name).read_bytes()), SHOP))


def test_a_rest_product_becomes_a_product_change() -> None:
    [change] = shopify("products/create", "products_create.json")
    assert isinstance(change, UpsertProduct)
    p = change.product
    assert (p.platform_id, p.title, p.handle, p.status, p.published) == (
        "632910392", "IPod Nano - 8GB", "ipod-nano", "active", True)
    assert p.tags == ("Emotive", "Flash Memory", "MP3", "Music")
    assert p.url == "https://snowdevil.myshopify.com/products/ipod-nano"
    assert p.currency == "EUR" and p.image_url and p.image_url.endswith("ipod-nano.png?v=1704205723")
    assert [(v.platform_id, v.price, v.inventory_item_id, v.inventory_quantity) for v in p.variants] == [
        ("808950810", 199.0, "808950810", 10), ("49148385", 199.0, "49148385", 20)]
    assert p.updated_at is not None and p.updated_at.utcoffset() is not None


def test_nulls_shopify_sends_are_tolerated() -> None:
    [order] = shopify("orders/create", "orders_create_guest.json")
    assert isinstance(order, RecordOrder)
    assert order.order.customer_id is None
    custom = [line for line in order.order.lines if line.product_id is None]
    assert len(custom) == 1 and custom[0].variant_id is None


def test_orders_carry_their_refunds_and_cancellation() -> None:
    [order] = shopify("orders/cancelled", "orders_cancelled.json")
    assert isinstance(order, RecordOrder) and order.order.cancelled
    [refund] = shopify("refunds/create", "refunds_create.json")
    assert isinstance(refund, RecordRefund)
    assert refund.refund.order_platform_id == "820982911946154508"
    assert [(line.line_id, line.quantity) for line in refund.refund.lines] == [("866550311766439020", 1)]


def test_inventory_levels_keep_their_location() -> None:
    [level] = shopify("inventory_levels/update", "inventory_levels_update.json")
    assert isinstance(level, SetInventoryLevel)
    assert (level.level.inventory_item_id, level.level.location_id, level.level.available) == (
        "808950810", "905684977", 0)


@pytest.mark.parametrize(("body", "message"), [
    (b"{", "the body is not valid JSON"),
    (b"[]", "the body is not a JSON object"),
    (b'{"id": 1, "title": "x", "variants": {}}', "variants: not a list"),
    (b'{"id": 1, "title": "x", "variants": [{"id": 2, "inventory_quantity": 1.5}]}',
     "variants[0].inventory_quantity: not an integer (got a number)"),
    (b'{"id": true, "title": "x"}', "id: not an id (got a boolean)"),
    (b'{"title": "x"}', "id: required field is missing"),
])
def test_invalid_payloads_name_the_field_at_fault(body: bytes, message: str) -> None:
    with pytest.raises(InvalidPayload) as raised:
        ShopifyAdapter().validate("products/update", body, SHOP)
    assert raised.value.message.startswith(message)


def test_headers_are_read_case_insensitively_by_the_receiver_contract() -> None:
    envelope = ShopifyAdapter().envelope(
        {"x-shopify-topic": "orders/paid", "x-shopify-webhook-id": "b54557e4",
         "x-shopify-event-id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
         "x-shopify-triggered-at": "2023-03-29T18:00:27.877041743Z"}, b"{}")
    assert (envelope.topic, envelope.delivery_id) == ("orders/paid", "b54557e4")
    assert envelope.event_id == "98880550-7158-44d4-b7cd-2c97c8a091b5"
    assert envelope.triggered_at is None or envelope.triggered_at.year == 2023
    with pytest.raises(InvalidPayload, match="X-Shopify-Webhook-Id"):
        ShopifyAdapter().envelope({"x-shopify-topic": "orders/paid"}, b"{}")


def test_woocommerce_ping_and_site() -> None:
    woo = WooCommerceAdapter()
    assert woo.is_ping({}, b"webhook_id=15")
    assert not woo.is_ping({"x-wc-webhook-topic": "order.created"}, b"webhook_id=15")
    assert site_domain("https://Shop.Example.com/") == "shop.example.com"
    assert site_domain("https://example.com/store/") == "example.com"
    body = (PAYLOADS / "woocommerce" / "product_updated.json").read_bytes()
    [change] = WOO_NORMALIZERS["product.updated"](Fields.of(body), SHOP)
    assert isinstance(change, UpsertProduct)
    assert change.product.available is False and change.product.collections == ("clothing", "t-shirts")


def test_bigcommerce_names_its_store_in_the_producer() -> None:
    adapter = BigCommerceAdapter(lambda shop: pytest.fail("no API call expected"))
    body = json.dumps({"producer": "stores/abc123", "scope": "store/order/created",
                       "data": {"type": "order", "id": 7}, "hash": "h"}).encode()
    hint = adapter.shop_hint({}, body)
    assert hint is not None and hint.store_key == "abc123"
    assert adapter.shop_hint({}, b"not json") is None
    assert adapter.envelope({}, body).delivery_id == "h"


def test_throttle_wait_follows_the_bucket() -> None:
    cost = {"requestedQueryCost": 752, "throttleStatus": {"currentlyAvailable": 666,
                                                          "restoreRate": 50.0}}
    assert _throttle_wait(cost) == pytest.approx(1.72)
    assert _throttle_wait(None) == 2.0
