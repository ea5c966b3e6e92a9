"""Shopify: REST-format webhook payloads, signed with base64 HMAC-SHA256 of the raw body.

Verification uses the ``X-Shopify-Hmac-Sha256`` header and the shop's webhook secrets
(two at once during a rotation); the shop is named by ``X-Shopify-Shop-Domain``;
redeliveries repeat ``X-Shopify-Webhook-Id`` and ``X-Shopify-Event-Id``.

The headers are not signed: each body is checked against the shape of its topic
(``webhooks.shopify_shapes``) and destructive topics are confirmed through the Admin API
when the shop has a token (``webhooks.shopify_confirm``)."""

from collections.abc import Callable, Sequence

from app.catalog.changes import ProductChange, VariantChange
from app.ingestion.changes import (
    Change,
    Customer,
    DeleteCollection,
    DeleteProduct,
    ExportCustomer,
    RecordOrder,
    RecordRefund,
    RedactCustomer,
    RedactShop,
    SetInventoryLevel,
    SetUnitCost,
    UninstallShop,
    UpsertCollection,
    UpsertProduct,
)
from app.ingestion.protocol import InvalidPayload, ShopContext
from app.inventory.service import CostChange, LevelChange
from app.orders.changes import OrderChange, OrderLineChange, RefundChange, RefundLineChange
from app.orders.recommendations import (
    CART_ATTRIBUTE,
    LINE_PROPERTY,
    named_value,
    recommendation_id,
    recommendation_ids,
)
from webhooks.checks import check_changes
from webhooks.payload import Fields, parse_datetime
from webhooks.protocol import Envelope, Headers, ShopHint
from webhooks.shopify_confirm import AdminApi, confirm
from webhooks.shopify_shapes import check_shape
from webhooks.signatures import matches_any

Normalizer = Callable[[Fields, ShopContext], list[Change]]
AdminFactory = Callable[[ShopContext], AdminApi | None]
"""The Admin API of a shop, or ``None`` when it has no token."""
MAX_TOPIC_CHARS = 128
MAX_DELIVERY_ID_CHARS = 255
MAX_UNIT_COST = 1e12
"""A unit cost beyond this (or below zero) is not one: the cost stays unknown."""


def _tags(raw: object) -> tuple[str, ...]:
    if isinstance(raw, list):
        return tuple(str(t).strip() for t in raw if str(t).strip())
    if isinstance(raw, str):
        return tuple(t.strip() for t in raw.split(",") if t.strip())
    return ()


def _variant(v: Fields) -> VariantChange:
    # Older API versions say whether Shopify tracks stock; newer ones omit the field.
    tracked = v.has("inventory_management") or not v.present("inventory_management")
    if v.opt_text("inventory_policy") == "continue":
        tracked = False  # sold even when out of stock
    return VariantChange(
        platform_id=v.id(),
        title=v.opt_text("title"),
        sku=v.opt_text("sku"),
        price=v.opt_number("price"),
        inventory_item_id=v.opt_id("inventory_item_id"),
        inventory_quantity=v.opt_int("inventory_quantity"),
        inventory_tracked=tracked,
    )


def _image(p: Fields) -> str | None:
    image = p.opt_object("image")
    if image is not None and image.opt_text("src"):
        return image.opt_text("src")
    for first in p.objects("images"):
        return first.opt_text("src")
    return None


def product_change(p: Fields, shop: ShopContext) -> ProductChange:
    handle = p.opt_text("handle")
    return ProductChange(
        platform_id=p.id(),
        title=p.text("title"),
        handle=handle,
        body_text=p.opt_text("body_html") or "",
        vendor=p.opt_text("vendor"),
        product_type=p.opt_text("product_type"),
        tags=_tags(p.raw("tags")),
        status=p.opt_text("status") or "active",
        published=p.opt_datetime("published_at") is not None,
        currency=shop.currency,
        image_url=_image(p),
        url=f"https://{shop.domain}/products/{handle}" if handle else None,
        updated_at=p.opt_datetime("updated_at"),
        variants=tuple(_variant(v) for v in p.objects("variants")),
    )


def _product(p: Fields, shop: ShopContext) -> list[Change]:
    return [UpsertProduct(product_change(p, shop))]


def _product_delete(p: Fields, _: ShopContext) -> list[Change]:
    return [DeleteProduct(p.id())]


def _inventory_level(p: Fields, _: ShopContext) -> list[Change]:
    return [SetInventoryLevel(LevelChange(
        inventory_item_id=p.id("inventory_item_id"),
        location_id=p.id("location_id"),
        available=p.opt_int("available"),
        updated_at=p.opt_datetime("updated_at"),
    ))]


def _inventory_item(p: Fields, _: ShopContext) -> list[Change]:
    cost = p.opt_number("cost")
    return [SetUnitCost(CostChange(
        inventory_item_id=p.id(),
        cost=cost if cost is not None and 0 <= cost <= MAX_UNIT_COST else None,
        updated_at=p.opt_datetime("updated_at"),
    ))]


def _collection(p: Fields, _: ShopContext) -> list[Change]:
    return [UpsertCollection(p.id(), p.opt_text("title") or "", p.opt_text("handle"),
                             p.opt_datetime("updated_at"))]


def _collection_delete(p: Fields, _: ShopContext) -> list[Change]:
    return [DeleteCollection(p.id())]


def refund_change(r: Fields, order_id: str | None = None) -> RefundChange:
    return RefundChange(
        platform_id=r.id(),
        order_platform_id=order_id or r.id("order_id"),
        lines=tuple(RefundLineChange(line.id("line_item_id"), line.int("quantity"))
                    for line in r.objects("refund_line_items")),
    )


def order_change(o: Fields, cancelled: bool = False) -> OrderChange:
    customer = o.opt_object("customer")
    placed = o.opt_datetime("created_at") or o.opt_datetime("processed_at")
    if placed is None:
        raise InvalidPayload("created_at: required field is missing")
    return OrderChange(
        platform_id=o.id(),
        customer_id=customer.opt_id("id") if customer is not None else None,
        placed_at=placed,
        lines=tuple(
            OrderLineChange(
                platform_id=line.id(),
                product_id=line.opt_id("product_id"),  # null for deleted or custom items
                variant_id=line.opt_id("variant_id"),
                quantity=line.int("quantity"),
                price=line.opt_number("price"),
                recommendation_id=recommendation_id(named_value(line.raw("properties"),
                                                                LINE_PROPERTY)),
            )
            for line in o.objects("line_items")
        ),
        cancelled=cancelled or o.opt_datetime("cancelled_at") is not None,
        currency=o.opt_text("currency"),
        updated_at=o.opt_datetime("updated_at"),
        recommendation_ids=recommendation_ids(named_value(o.raw("note_attributes"),
                                                          CART_ATTRIBUTE)),
    )


def _order(o: Fields, _: ShopContext) -> list[Change]:
    order = order_change(o)
    refunds: list[Change] = [RecordRefund(refund_change(r, order.platform_id))
                             for r in o.objects("refunds")]
    return [RecordOrder(order), *refunds]


def _order_cancelled(o: Fields, _: ShopContext) -> list[Change]:
    return [RecordOrder(order_change(o, cancelled=True))]


def _refund(r: Fields, _: ShopContext) -> list[Change]:
    return [RecordRefund(refund_change(r))]


def _customer(p: Fields, orders_key: str) -> Customer:
    customer = p.opt_object("customer")
    if customer is None:
        raise InvalidPayload("customer: required field is missing")
    found = Customer(
        customer_id=customer.opt_id("id"),
        email=customer.opt_text("email"),
        phone=customer.opt_text("phone"),
        order_ids=p.ids(orders_key),
    )
    if not (found.customer_id or found.email or found.order_ids):
        raise InvalidPayload("customer: neither an id, an email nor orders to identify them")
    return found


def _data_request(p: Fields, _: ShopContext) -> list[Change]:
    request = p.opt_object("data_request")
    request_id = request.opt_id("id") if request is not None else None
    return [ExportCustomer(_customer(p, "orders_requested"), request_id)]


def _redact(p: Fields, _: ShopContext) -> list[Change]:
    return [RedactCustomer(_customer(p, "orders_to_redact"))]


NORMALIZERS: dict[str, Normalizer] = {
    "products/create": _product,
    "products/update": _product,
    "products/delete": _product_delete,
    "inventory_levels/update": _inventory_level,
    "inventory_items/create": _inventory_item,
    "inventory_items/update": _inventory_item,
    "collections/create": _collection,
    "collections/update": _collection,
    "collections/delete": _collection_delete,
    "orders/create": _order,
    "orders/paid": _order,
    "orders/updated": _order,
    "orders/fulfilled": _order,
    "orders/cancelled": _order_cancelled,
    "refunds/create": _refund,
    "customers/data_request": _data_request,
    "customers/redact": _redact,
    "shop/redact": lambda _p, _s: [RedactShop()],
    "app/uninstalled": lambda _p, _s: [UninstallShop()],
}


def _header(headers: Headers, name: str, limit: int) -> str:
    value = headers.get(name, "").strip()
    if len(value) > limit:
        raise InvalidPayload(f"the {name} header is longer than {limit} characters")
    return value


class ShopifyAdapter:
    platform = "shopify"
    applies_body_as_sent = True

    def __init__(self, admin_for: AdminFactory | None = None) -> None:
        self._admin_for = admin_for

    def is_ping(self, headers: Headers, body: bytes) -> bool:
        return False

    def shop_hint(self, headers: Headers, body: bytes) -> ShopHint | None:
        domain = headers.get("x-shopify-shop-domain", "").strip().lower()
        return ShopHint(domain=domain) if domain else None

    def verify(self, headers: Headers, body: bytes, secrets: Sequence[str]) -> bool:
        return matches_any(headers.get("x-shopify-hmac-sha256"), body, secrets)

    def envelope(self, headers: Headers, body: bytes) -> Envelope:
        topic = _header(headers, "x-shopify-topic", MAX_TOPIC_CHARS)
        webhook_id = _header(headers, "x-shopify-webhook-id", MAX_DELIVERY_ID_CHARS)
        if not topic:
            raise InvalidPayload("the X-Shopify-Topic header is missing")
        if not webhook_id:
            raise InvalidPayload("the X-Shopify-Webhook-Id header is missing")
        triggered = _header(headers, "x-shopify-triggered-at", 64)
        try:
            triggered_at = parse_datetime(triggered) if triggered else None
        except (TypeError, ValueError, OverflowError):
            triggered_at = None
        return Envelope(topic=topic, delivery_id=webhook_id,
                        event_id=_header(headers, "x-shopify-event-id",
                                         MAX_DELIVERY_ID_CHARS) or None,
                        triggered_at=triggered_at)

    def handles(self, topic: str) -> bool:
        return topic in NORMALIZERS

    def validate(self, topic: str, body: bytes, shop: ShopContext) -> None:
        self._normalized(topic, Fields.of(body), shop)

    async def changes(self, topic: str, body: bytes, shop: ShopContext) -> list[Change]:
        fields = Fields.of(body)
        changes = self._normalized(topic, fields, shop)
        api = self._admin_for(shop) if self._admin_for is not None else None
        if api is not None:
            await confirm(topic, api, fields)
        return changes

    @staticmethod
    def _normalized(topic: str, fields: Fields, shop: ShopContext) -> list[Change]:
        check_shape(topic, fields, shop)
        return check_changes(NORMALIZERS[topic](fields, shop))
