"""WooCommerce: REST v3 resource payloads, signed with base64 HMAC-SHA256 of the raw body
(``X-WC-Webhook-Signature``). The shop is the site named by ``X-WC-Webhook-Source``
(its host is the shop's domain); ``X-WC-Webhook-Delivery-ID`` identifies a delivery.
Saving a webhook in WooCommerce first sends a form-encoded ``webhook_id=N`` ping.

As on Shopify, the topic header is not signed: a body must have the shape of its topic
(a deletion is ``{"id": N}`` and nothing else; products and orders are told apart by
their line items)."""

import re
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from app.catalog.changes import ProductChange
from app.ingestion.changes import CancelOrder, Change, DeleteProduct, RecordOrder, UpsertProduct
from app.ingestion.protocol import InvalidPayload, ShopContext
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.recommendations import (
    CART_ATTRIBUTE,
    LINE_PROPERTY,
    named_value,
    recommendation_id,
    recommendation_ids,
)
from webhooks.checks import check_changes
from webhooks.payload import Fields
from webhooks.protocol import Envelope, Headers, ShopHint
from webhooks.signatures import matches_any

Normalizer = Callable[[Fields, ShopContext], list[Change]]
PING = re.compile(rb"^\s*webhook_id=\d+\s*$")
NOT_COUNTED = {"cancelled", "refunded", "failed", "trash"}


def _names(p: Fields, key: str) -> tuple[str, ...]:
    return tuple(name for item in p.objects(key) if (name := item.opt_text("name")))


def _slugs(p: Fields, key: str) -> tuple[str, ...]:
    return tuple(slug for item in p.objects(key) if (slug := item.opt_text("slug")))


def _image(p: Fields) -> str | None:
    for image in p.objects("images"):
        return image.opt_text("src")
    return None


def _available(p: Fields) -> bool | None:
    stock_status = p.opt_text("stock_status")
    if stock_status is not None:
        return stock_status != "outofstock"
    return None


def product_change(p: Fields, shop: ShopContext) -> ProductChange:
    status = p.opt_text("status") or "publish"
    categories = _names(p, "categories")
    return ProductChange(
        platform_id=p.id(),
        title=p.text("name"),
        handle=p.opt_text("slug"),
        body_text=p.opt_text("description") or p.opt_text("short_description") or "",
        product_type=categories[0] if categories else None,
        tags=_names(p, "tags"),
        status="active" if status == "publish" else "draft",
        published=status == "publish" and p.opt_text("catalog_visibility") != "hidden",
        price_min=p.opt_number("price"),
        price_max=p.opt_number("price"),
        currency=shop.currency,
        image_url=_image(p),
        url=p.opt_text("permalink"),
        available=_available(p),
        inventory_quantity=p.opt_int("stock_quantity") if p.opt_bool("manage_stock") else None,
        updated_at=p.opt_datetime("date_modified_gmt") or p.opt_datetime("date_modified"),
        collections=_slugs(p, "categories") or None,
    )


def order_change(o: Fields) -> OrderChange:
    placed = o.opt_datetime("date_created_gmt") or o.opt_datetime("date_created")
    if placed is None:
        raise InvalidPayload("date_created_gmt: required field is missing")
    return OrderChange(
        platform_id=o.id(),
        customer_id=o.opt_id("customer_id"),  # 0 for a guest
        placed_at=placed,
        lines=tuple(
            OrderLineChange(
                platform_id=line.id(),
                product_id=line.opt_id("product_id"),
                variant_id=line.opt_id("variation_id"),
                quantity=line.int("quantity"),
                price=line.opt_number("price"),
                # Cart item data saved as order item meta ({key, value}).
                recommendation_id=recommendation_id(named_value(line.raw("meta_data"),
                                                                LINE_PROPERTY)),
            )
            for line in o.objects("line_items")
        ),
        cancelled=(o.opt_text("status") or "") in NOT_COUNTED,
        currency=o.opt_text("currency"),
        updated_at=o.opt_datetime("date_modified_gmt") or o.opt_datetime("date_modified"),
        recommendation_ids=recommendation_ids(named_value(o.raw("meta_data"), CART_ATTRIBUTE)),
    )


def _product(p: Fields, shop: ShopContext) -> list[Change]:
    if p.present("line_items"):
        raise InvalidPayload("line_items: not part of a product")
    return [UpsertProduct(product_change(p, shop))]


def _order(o: Fields, _: ShopContext) -> list[Change]:
    if not o.has("line_items"):
        raise InvalidPayload("line_items: required field is missing")
    return [RecordOrder(order_change(o))]


def _deletion(p: Fields) -> str:
    if p.keys() != {"id"}:
        raise InvalidPayload("the body of a deletion carries more than an id")
    return p.id()


NORMALIZERS: dict[str, Normalizer] = {
    "product.created": _product,
    "product.updated": _product,
    "product.deleted": lambda p, _: [DeleteProduct(_deletion(p))],
    "order.created": _order,
    "order.updated": _order,
    "order.deleted": lambda o, _: [CancelOrder(_deletion(o))],
}
MAX_TOPIC_CHARS = 128
MAX_DELIVERY_ID_CHARS = 255


def site_domain(source: str) -> str | None:
    """``https://www.example.com/`` → ``www.example.com``."""
    value = source.strip()
    host = urlsplit(value if "://" in value else f"https://{value}").hostname
    return host.lower() if host else None


class WooCommerceAdapter:
    platform = "woocommerce"
    applies_body_as_sent = True

    def is_ping(self, headers: Headers, body: bytes) -> bool:
        return "x-wc-webhook-topic" not in headers and PING.match(body) is not None

    def shop_hint(self, headers: Headers, body: bytes) -> ShopHint | None:
        domain = site_domain(headers.get("x-wc-webhook-source", ""))
        return ShopHint(domain=domain) if domain else None

    def verify(self, headers: Headers, body: bytes, secrets: Sequence[str]) -> bool:
        return matches_any(headers.get("x-wc-webhook-signature"), body, secrets)

    def envelope(self, headers: Headers, body: bytes) -> Envelope:
        topic = headers.get("x-wc-webhook-topic", "").strip()
        delivery_id = headers.get("x-wc-webhook-delivery-id", "").strip()
        if not topic:
            raise InvalidPayload("the X-WC-Webhook-Topic header is missing")
        if not delivery_id:
            raise InvalidPayload("the X-WC-Webhook-Delivery-ID header is missing")
        if len(topic) > MAX_TOPIC_CHARS or len(delivery_id) > MAX_DELIVERY_ID_CHARS:
            raise InvalidPayload("the X-WC-Webhook-Topic or -Delivery-ID header is too long")
        return Envelope(topic=topic, delivery_id=delivery_id)

    def handles(self, topic: str) -> bool:
        return topic in NORMALIZERS

    def validate(self, topic: str, body: bytes, shop: ShopContext) -> None:
        check_changes(NORMALIZERS[topic](Fields.of(body), shop))

    async def changes(self, topic: str, body: bytes, shop: ShopContext) -> list[Change]:
        return check_changes(NORMALIZERS[topic](Fields.of(body), shop))
