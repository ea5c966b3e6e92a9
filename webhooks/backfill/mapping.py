"""Admin GraphQL nodes → platform-neutral changes. Ids become the numeric ids REST
webhooks use (``gid://shopify/Product/632910392`` → ``632910392``), so the backfill
and the webhooks write the same rows."""

from typing import Any

from app.catalog.changes import ProductChange, VariantChange
from app.ingestion.changes import UpsertCollection
from app.ingestion.protocol import InvalidPayload, ShopContext
from app.inventory.service import CostChange
from app.orders.changes import OrderChange, OrderLineChange, RefundChange, RefundLineChange
from app.orders.recommendations import (
    CART_ATTRIBUTE,
    LINE_PROPERTY,
    named_value,
    recommendation_id,
    recommendation_ids,
)
from webhooks.payload import Fields


def legacy_id(gid: str | None) -> str | None:
    if not gid:
        return None
    return gid.split("?", 1)[0].rsplit("/", 1)[-1] or None


def _gid(node: Fields, key: str = "id") -> str:
    value = legacy_id(node.text(key))
    if value is None:
        raise InvalidPayload(f"{key}: not a global id")
    return value


def _ref(node: Fields, key: str) -> str | None:
    inner = node.opt_object(key)
    return legacy_id(inner.opt_text("id")) if inner is not None else None


def _nodes(node: Fields, key: str) -> list[Fields]:
    connection = node.opt_object(key)
    return list(connection.objects("nodes")) if connection is not None else []


def collection_change(node: Fields) -> UpsertCollection:
    return UpsertCollection(_gid(node), node.opt_text("title") or "", node.opt_text("handle"),
                            node.opt_datetime("updatedAt"))


def _variant(v: Fields) -> VariantChange:
    item = v.opt_object("inventoryItem")
    tracked = item.opt_bool("tracked") is not False if item is not None else True
    return VariantChange(
        platform_id=_gid(v), title=v.opt_text("title"), sku=v.opt_text("sku"),
        price=v.opt_number("price"),
        inventory_item_id=_ref(v, "inventoryItem"),
        inventory_quantity=v.opt_int("inventoryQuantity"),
        inventory_tracked=tracked and v.opt_text("inventoryPolicy") != "CONTINUE",
    )


def product_change(p: Fields, shop: ShopContext) -> ProductChange:
    handle = p.opt_text("handle")
    image = p.opt_object("featuredImage")
    tags: Any = p.raw("tags") or []
    url = p.opt_text("onlineStoreUrl") or (f"https://{shop.domain}/products/{handle}" if handle else None)
    return ProductChange(
        platform_id=_gid(p), title=p.text("title"), handle=handle,
        body_text=p.opt_text("descriptionHtml") or "",
        vendor=p.opt_text("vendor"), product_type=p.opt_text("productType"),
        tags=tuple(str(t).strip() for t in tags if str(t).strip()),
        status=(p.opt_text("status") or "ACTIVE").lower(),
        published=p.opt_datetime("publishedAt") is not None,
        currency=shop.currency,
        image_url=image.opt_text("url") if image is not None else None,
        url=url,
        updated_at=p.opt_datetime("updatedAt"),
        variants=tuple(_variant(v) for v in _nodes(p, "variants")),
        collections=tuple(c for c in (legacy_id(n.opt_text("id")) for n in _nodes(p, "collections")) if c),
    )


def unit_costs(p: Fields) -> list[CostChange]:
    """The unit costs of a product's inventory items, where Shopify knows them."""
    costs = []
    for v in _nodes(p, "variants"):
        item = v.opt_object("inventoryItem")
        item_id = _ref(v, "inventoryItem")
        unit_cost = item.opt_object("unitCost") if item is not None else None
        amount = unit_cost.opt_number("amount") if unit_cost is not None else None
        if item_id is not None and amount is not None and amount >= 0:
            costs.append(CostChange(item_id, amount, p.opt_datetime("updatedAt")))
    return costs


def _price(line: Fields) -> float | None:
    price_set = line.opt_object("originalUnitPriceSet")
    money = price_set.opt_object("shopMoney") if price_set is not None else None
    return money.opt_number("amount") if money is not None else None


def order_change(o: Fields) -> OrderChange:
    placed = o.opt_datetime("createdAt") or o.opt_datetime("processedAt")
    if placed is None:
        raise InvalidPayload("createdAt: required field is missing")
    return OrderChange(
        platform_id=_gid(o), customer_id=_ref(o, "customer"), placed_at=placed,
        lines=tuple(
            OrderLineChange(platform_id=_gid(line), product_id=_ref(line, "product"),
                            variant_id=_ref(line, "variant"), quantity=line.int("quantity"),
                            price=_price(line),
                            recommendation_id=recommendation_id(
                                named_value(line.raw("customAttributes"), LINE_PROPERTY)))
            for line in _nodes(o, "lineItems")
        ),
        cancelled=o.opt_datetime("cancelledAt") is not None,
        currency=o.opt_text("currencyCode"),
        updated_at=o.opt_datetime("updatedAt"),
        recommendation_ids=recommendation_ids(named_value(o.raw("customAttributes"),
                                                          CART_ATTRIBUTE)),
    )


def refund_changes(o: Fields) -> list[RefundChange]:
    order_id = _gid(o)
    return [
        RefundChange(
            platform_id=_gid(refund), order_platform_id=order_id,
            lines=tuple(RefundLineChange(line_id, item.int("quantity"))
                        for item in _nodes(refund, "refundLineItems")
                        if (line_id := _ref(item, "lineItem")) is not None),
        )
        for refund in o.objects("refunds")
    ]
