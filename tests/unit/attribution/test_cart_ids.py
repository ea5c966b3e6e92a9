"""The recommendation ids an order carries back from the cart: kept when well formed,
dropped (never failing the order) otherwise."""

import json
from pathlib import Path

from app.ids import ShopId
from app.ingestion.changes import RecordOrder, SetUnitCost
from app.ingestion.protocol import ShopContext
from app.orders.recommendations import MAX_CART_IDS, named_value, recommendation_ids
from webhooks.backfill import mapping
from webhooks.payload import Fields
from webhooks.shopify import NORMALIZERS, ShopifyAdapter
from webhooks.woocommerce import NORMALIZERS as WOO_NORMALIZERS

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "shopify"
SHOP = ShopContext(id=ShopId(1), domain="snowdevil.myshopify.com", currency="EUR")


def _changes(topic: str, name: str) -> list[object]:
    body = (PAYLOADS / name).read_bytes()
    ShopifyAdapter().validate(topic, body, SHOP)
    return list(NORMALIZERS[topic](Fields.of(body), SHOP))


def test_a_recorded_order_keeps_the_ids_of_its_lines_and_of_its_cart() -> None:
    [change, *_] = _changes("orders/create", "orders_create_recommended.json")
    assert isinstance(change, RecordOrder)
    order = change.order
    assert [line.recommendation_id for line in order.lines] == ["rec-home-7f3a", None]
    assert order.recommendation_ids == ("rec-cart-0001", "rec-product-42", "rec-home-7f3a")


def test_an_order_without_attributes_carries_no_ids() -> None:
    [change, *_] = _changes("orders/create", "orders_create.json")
    assert isinstance(change, RecordOrder)
    assert change.order.recommendation_ids == ()
    assert all(line.recommendation_id is None for line in change.order.lines)


def test_malformed_attributes_are_dropped() -> None:
    assert recommendation_ids(None) == ()
    assert recommendation_ids(42) == ()
    assert recommendation_ids("x" * 5000) == ()  # longer than 20 ids could be
    assert recommendation_ids("a b, <script>, ok-1") == ("ok-1",)
    assert named_value("not a list", "_affinity_recs") is None
    assert named_value([1, "x", {"name": "_affinity_recs", "value": "r1"}], "_affinity_recs") == "r1"


def test_at_most_twenty_ids_are_kept_the_latest_once_each() -> None:
    sent = ",".join(f"r{i}" for i in range(30)) + ",r3"
    kept = recommendation_ids(sent)
    assert len(kept) == MAX_CART_IDS
    assert kept[-1] == "r3" and kept.count("r3") == 1
    assert kept[0] == "r11"


def test_an_inventory_item_update_carries_its_unit_cost() -> None:
    [change] = _changes("inventory_items/update", "inventory_items_update.json")
    assert isinstance(change, SetUnitCost)
    assert (change.cost.inventory_item_id, change.cost.cost) == ("808950810", 120.5)


def test_a_negative_cost_is_no_cost() -> None:
    body = (PAYLOADS / "inventory_items_update.json").read_text().replace('"120.50"', '"-3"')
    [change] = NORMALIZERS["inventory_items/update"](Fields.of(body.encode()), SHOP)
    assert isinstance(change, SetUnitCost) and change.cost.cost is None


def test_a_woocommerce_order_keeps_the_ids_saved_as_meta_data() -> None:
    order = json.loads((PAYLOADS.parent / "woocommerce" / "order_created.json").read_text())
    order["meta_data"] = [{"id": 1, "key": "_affinity_recs", "value": "rec-a,rec-b"}]
    order["line_items"][0]["meta_data"] = [{"id": 2, "key": "_affinity_rec", "value": "rec-b"}]
    [change] = WOO_NORMALIZERS["order.created"](Fields(order), SHOP)
    assert isinstance(change, RecordOrder)
    assert change.order.recommendation_ids == ("rec-a", "rec-b")
    assert change.order.lines[0].recommendation_id == "rec-b"


def test_the_backfill_reads_unit_costs_and_cart_attributes() -> None:
    product = {"id": "gid://shopify/Product/1", "title": "Mug", "updatedAt": "2024-01-10T10:00:00Z",
               "variants": {"nodes": [
                   {"id": "gid://shopify/ProductVariant/11",
                    "inventoryItem": {"id": "gid://shopify/InventoryItem/111", "tracked": True,
                                      "unitCost": {"amount": "3.25"}}},
                   {"id": "gid://shopify/ProductVariant/12",
                    "inventoryItem": {"id": "gid://shopify/InventoryItem/112", "unitCost": None}},
               ]}}
    [cost] = mapping.unit_costs(Fields(product))
    assert (cost.inventory_item_id, cost.cost) == ("111", 3.25)

    order = {"id": "gid://shopify/Order/9", "createdAt": "2024-01-10T10:00:00Z",
             "customAttributes": [{"key": "_affinity_recs", "value": "rec-1,rec-2"}],
             "lineItems": {"nodes": [
                 {"id": "gid://shopify/LineItem/91", "quantity": 1,
                  "customAttributes": [{"key": "_affinity_rec", "value": "rec-2"}]}]}}
    change = mapping.order_change(Fields(order))
    assert change.recommendation_ids == ("rec-1", "rec-2")
    assert change.lines[0].recommendation_id == "rec-2"
