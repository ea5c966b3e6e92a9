"""BigCommerce: thin payloads (``scope``, ``store_id``, ``producer``, ``data.type``,
``data.id``, ``hash``) that name a record; the adapter fetches the record itself.

BigCommerce does not sign callbacks. Hooks are registered with a custom header
``X-Affinity-Webhook-Token`` carrying the shop's webhook secret (compared in constant
time). The shop is found by the store hash in ``producer`` (``stores/{hash}``), kept in
the shop's platform credentials. Because every record is re-read through the API with
the shop's own token, a replayed or forged body can only make us re-read true data:
a delete is applied only when the API confirms the record is gone."""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from app.catalog.changes import ProductChange, VariantChange
from app.ingestion.changes import (
    Change,
    DeleteCollection,
    DeleteProduct,
    RecordOrder,
    UninstallShop,
    UpsertCollection,
    UpsertProduct,
)
from app.ingestion.protocol import InvalidPayload, ShopContext
from app.orders.changes import OrderChange, OrderLineChange
from webhooks.bigcommerce_api import JSON, BigCommerceApi
from webhooks.checks import check_changes
from webhooks.payload import Fields, parse_json_object
from webhooks.protocol import Envelope, Headers, ShopHint
from webhooks.signatures import token_matches_any

log = logging.getLogger(__name__)
TOKEN_HEADER = "x-affinity-webhook-token"
NOT_COUNTED = {"Cancelled", "Refunded", "Declined"}
ApiFactory = Callable[[ShopContext], BigCommerceApi]

PRODUCT_SCOPES = {"store/product/created", "store/product/updated",
                  "store/product/inventory/updated", "store/product/inventory/order/updated"}
SKU_SCOPES = {"store/sku/inventory/updated", "store/sku/inventory/order/updated"}
ORDER_SCOPES = {"store/order/created", "store/order/updated", "store/order/statusUpdated",
                "store/order/archived"}
CATEGORY_SCOPES = {"store/category/created", "store/category/updated"}
SCOPES = PRODUCT_SCOPES | SKU_SCOPES | ORDER_SCOPES | CATEGORY_SCOPES | {
    "store/product/deleted", "store/category/deleted", "store/app/uninstalled"}


MAX_SCOPE_CHARS = 128
MAX_HASH_CHARS = 255
LATEST_TIMESTAMP = 253402300799  # 9999-12-31


def _thin(body: bytes) -> Fields:
    payload = Fields(parse_json_object(body))
    scope = payload.text("scope")
    if len(scope) > MAX_SCOPE_CHARS or len(payload.opt_text("hash") or "") > MAX_HASH_CHARS:
        raise InvalidPayload("scope or hash: too long")
    if scope != "store/app/uninstalled":
        data = payload.opt_object("data")
        if data is None:
            raise InvalidPayload("data: required field is missing")
        data.id()
    return payload


def product_change(p: Fields, shop: ShopContext) -> ProductChange:
    custom_url = p.opt_object("custom_url")
    path = custom_url.opt_text("url") if custom_url is not None else None
    tracking = p.opt_text("inventory_tracking") or "none"
    variants = tuple(
        VariantChange(
            platform_id=v.id(), sku=v.opt_text("sku"),
            price=v.opt_number("calculated_price") or v.opt_number("price") or p.opt_number("price"),
            inventory_quantity=v.opt_int("inventory_level"),
            inventory_tracked=tracking == "variant",
        )
        for v in p.objects("variants")
    )
    images = list(p.objects("images"))
    thumbnail = next((i for i in images if i.opt_bool("is_thumbnail")), images[0] if images else None)
    return ProductChange(
        platform_id=p.id(),
        title=p.text("name"),
        handle=path.strip("/") if path else None,
        body_text=p.opt_text("description") or "",
        product_type=p.opt_text("type"),
        tags=tuple(k.strip() for k in (p.opt_text("search_keywords") or "").split(",") if k.strip()),
        status="active" if p.opt_text("availability") != "disabled" else "draft",
        published=p.opt_bool("is_visible") is not False,
        price_min=p.opt_number("calculated_price") or p.opt_number("price"),
        currency=shop.currency,
        image_url=thumbnail.opt_text("url_standard") if thumbnail is not None else None,
        url=f"https://{shop.domain}{path}" if path else None,
        available=(p.opt_int("inventory_level") or 0) > 0 if tracking == "product" else None,
        inventory_quantity=p.opt_int("inventory_level") if tracking == "product" else None,
        updated_at=p.opt_datetime("date_modified"),
        variants=variants if tracking == "variant" else (),
        collections=p.ids("categories") or None,
    )


def order_change(o: Fields, lines: list[JSON]) -> OrderChange:
    return OrderChange(
        platform_id=o.id(),
        customer_id=o.opt_id("customer_id"),  # 0 for a guest
        placed_at=o.datetime("date_created"),
        lines=tuple(
            OrderLineChange(
                platform_id=line.id(), product_id=line.opt_id("product_id"),
                variant_id=line.opt_id("variant_id"), quantity=line.int("quantity"),
                price=line.opt_number("base_price") or line.opt_number("price_inc_tax"),
            )
            for line in (Fields(raw, f"products[{i}]") for i, raw in enumerate(lines))
        ),
        cancelled=(o.opt_text("status") or "") in NOT_COUNTED,
        currency=o.opt_text("currency_code"),
        updated_at=o.opt_datetime("date_modified"),
    )


class BigCommerceAdapter:
    platform = "bigcommerce"
    applies_body_as_sent = False  # every record is re-read through the API

    def __init__(self, api_for: ApiFactory) -> None:
        self._api_for = api_for

    def is_ping(self, headers: Headers, body: bytes) -> bool:
        return False

    def shop_hint(self, headers: Headers, body: bytes) -> ShopHint | None:
        # Unsigned platform: only the producer is read before the token check.
        try:
            producer = parse_json_object(body).get("producer")
        except InvalidPayload:
            return None
        if not isinstance(producer, str) or not producer.startswith("stores/"):
            return None
        return ShopHint(store_key=producer.removeprefix("stores/").strip() or None)

    def verify(self, headers: Headers, body: bytes, secrets: Sequence[str]) -> bool:
        return token_matches_any(headers.get(TOKEN_HEADER), secrets)

    def envelope(self, headers: Headers, body: bytes) -> Envelope:
        payload = _thin(body)
        created = payload.opt_int("created_at", within=(0, LATEST_TIMESTAMP))
        # The platform sends the same hash when it fires twice for one event.
        return Envelope(
            topic=payload.text("scope"), delivery_id=payload.text("hash"),
            triggered_at=datetime.fromtimestamp(created, UTC) if created else None,
        )

    def handles(self, topic: str) -> bool:
        return topic in SCOPES

    def validate(self, topic: str, body: bytes, shop: ShopContext) -> None:
        _thin(body)

    async def changes(self, topic: str, body: bytes, shop: ShopContext) -> list[Change]:
        return check_changes(await self._fetched(topic, _thin(body), shop))

    async def _fetched(self, topic: str, payload: Fields, shop: ShopContext) -> list[Change]:
        if topic == "store/app/uninstalled":
            return [UninstallShop()]
        data = payload.opt_object("data")
        assert data is not None
        api = self._api_for(shop)
        if topic in SKU_SCOPES:
            inventory = data.opt_object("inventory")
            product_id = inventory.opt_id("product_id") if inventory is not None else None
            if product_id is None:
                raise InvalidPayload("data.inventory.product_id: required field is missing")
            return await self._product(api, product_id, shop)
        if topic in PRODUCT_SCOPES or topic == "store/product/deleted":
            return await self._product(api, data.id(), shop)
        if topic in ORDER_SCOPES:
            return await self._order(api, data.id())
        return await self._category(api, data.id())

    async def _product(self, api: BigCommerceApi, product_id: str, shop: ShopContext) -> list[Change]:
        record = await api.product(product_id)
        if record is None:
            return [DeleteProduct(product_id)]  # confirmed gone
        return [UpsertProduct(product_change(Fields(record, "product"), shop))]

    async def _order(self, api: BigCommerceApi, order_id: str) -> list[Change]:
        record = await api.order(order_id)
        if record is None:
            log.info("BigCommerce order %s no longer exists; nothing to record", order_id)
            return []
        lines = await api.order_products(order_id)
        return [RecordOrder(order_change(Fields(record, "order"), lines))]

    async def _category(self, api: BigCommerceApi, category_id: str) -> list[Change]:
        record = await api.category(category_id)
        if record is None:
            return [DeleteCollection(category_id)]
        category = Fields(record, "category")
        custom_url = category.opt_object("custom_url")
        handle = custom_url.opt_text("url") if custom_url is not None else None
        return [UpsertCollection(category.id(), category.opt_text("name") or "",
                                 handle.strip("/") if handle else None)]

