"""Shopify signs the body of a delivery, not its headers: the topic could be changed in
transit, so a signed ``collections/update`` body resent as ``shop/redact`` would erase
the shop, and a product body resent as ``products/delete`` would delete the product.

Each topic's body is therefore checked against the shape Shopify sends for that topic
before the delivery is claimed: the privacy topics name the shop of the header, a delete
carries an id and nothing else (a collection's also its ``admin_graphql_api_id``, which
tells it from a product's), and a body's ``admin_graphql_api_id`` names the resource of
its topic. A body can then only be applied as the topic it was signed for (or a topic
whose body is indistinguishable from it, such as the other update topics of a resource).
"""

from collections.abc import Callable

from app.ingestion.protocol import InvalidPayload, ShopContext
from webhooks.payload import Fields

ShapeCheck = Callable[[Fields, ShopContext], None]

RESOURCE_OF_TOPIC = {
    "products": "Product",
    "collections": "Collection",
    "orders": "Order",
    "refunds": "Refund",
    "inventory_levels": "InventoryLevel",
    "inventory_items": "InventoryItem",
}
"""The ``gid://shopify/<kind>/`` a body of each topic family names itself with."""

DELETE_KEYS = {
    "products/delete": {"id", "admin_graphql_api_id"},
    "collections/delete": {"id", "published_scope", "admin_graphql_api_id"},
}


def _names_resource_of_topic(topic: str, body: Fields) -> None:
    kind = RESOURCE_OF_TOPIC.get(topic.split("/", 1)[0])
    gid = body.raw("admin_graphql_api_id")
    if kind is None or gid is None:
        return
    if not isinstance(gid, str) or not gid.startswith(f"gid://shopify/{kind}/"):
        raise InvalidPayload(f"admin_graphql_api_id: not a {kind}, as {topic} requires")


def _names_this_shop(key: str) -> ShapeCheck:
    def check(body: Fields, shop: ShopContext) -> None:
        named = (body.opt_text(key) or "").lower()
        if named != shop.domain.lower():
            raise InvalidPayload(f"{key}: does not name the shop of X-Shopify-Shop-Domain")
    return check


def _only_keys(topic: str) -> ShapeCheck:
    allowed = DELETE_KEYS[topic]

    def check(body: Fields, _: ShopContext) -> None:
        if not set(body.keys()) <= allowed:
            raise InvalidPayload(f"the body of {topic} carries more than the id of a deletion")
    return check


def _has(*keys: str) -> ShapeCheck:
    def check(body: Fields, _: ShopContext) -> None:
        for key in keys:
            if not body.has(key):
                raise InvalidPayload(f"{key}: required field is missing")
    return check


def _lacks(*keys: str) -> ShapeCheck:
    def check(body: Fields, _: ShopContext) -> None:
        for key in keys:
            if body.present(key):
                raise InvalidPayload(f"{key}: not part of this topic's body")
    return check


def _all(*checks: ShapeCheck) -> ShapeCheck:
    def check(body: Fields, shop: ShopContext) -> None:
        for each in checks:
            each(body, shop)
    return check


_PRODUCT = _lacks("line_items", "order_id")
_COLLECTION = _lacks("variants", "line_items")
_ORDER = _all(_has("line_items"), _lacks("order_id"))
_PRIVACY = _names_this_shop("shop_domain")
_INVENTORY_ITEM = _lacks("variants", "line_items", "location_id", "inventory_item_id", "order_id")

SHAPES: dict[str, ShapeCheck] = {
    "products/create": _PRODUCT,
    "products/update": _PRODUCT,
    "products/delete": _only_keys("products/delete"),
    "collections/create": _COLLECTION,
    "collections/update": _COLLECTION,
    "collections/delete": _all(_only_keys("collections/delete"), _has("admin_graphql_api_id")),
    "orders/create": _ORDER,
    "orders/paid": _ORDER,
    "orders/updated": _ORDER,
    "orders/fulfilled": _ORDER,
    "orders/cancelled": _all(_ORDER, _has("cancelled_at")),
    "refunds/create": _all(_has("order_id"), _lacks("line_items")),
    "inventory_levels/update": _lacks("variants", "line_items"),
    "inventory_items/create": _INVENTORY_ITEM,
    "inventory_items/update": _INVENTORY_ITEM,
    "customers/data_request": _all(_PRIVACY, _has("customer", "orders_requested"),
                                   _lacks("orders_to_redact")),
    "customers/redact": _all(_PRIVACY, _has("customer", "orders_to_redact"),
                             _lacks("orders_requested", "data_request")),
    "shop/redact": _all(_PRIVACY, _lacks("customer", "id")),
    "app/uninstalled": _names_this_shop("myshopify_domain"),
}


def check_shape(topic: str, body: Fields, shop: ShopContext) -> None:
    """Raise ``InvalidPayload`` unless ``body`` has the shape Shopify sends for ``topic``."""
    _names_resource_of_topic(topic, body)
    SHAPES[topic](body, shop)
