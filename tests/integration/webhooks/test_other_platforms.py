"""WooCommerce and BigCommerce through the same adapter shape."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from app.catalog.models import Product
from app.entry_points import ingestion_dependencies
from app.ingestion.protocol import ShopContext
from app.shops.models import Shop
from app.storage.database import transaction
from app.sync.credentials import PlatformCredentials, set_credentials
from tests.integration.webhooks.support import PAYLOADS, SECRET, Hooks, body_of, payload
from webhooks.ingestion import Ingestion
from webhooks.signatures import hmac_sha256_base64


def woo_headers(domain: str, topic: str, body: bytes, secret: str = SECRET,
                delivery: str | None = None) -> dict[str, str]:
    resource, event = topic.split(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/8.5.1 Hookshot (WordPress/6.4.3)",
        "X-WC-Webhook-Source": f"https://{domain}/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": hmac_sha256_base64(secret, body),
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": delivery or uuid.uuid4().hex,
    }


async def _product(hooks: Hooks, shop_id: int, platform_id: str) -> Product | None:
    async with transaction(hooks.services.sessions) as session:
        stmt = select(Product).where(Product.shop_id == shop_id, Product.platform_id == platform_id)
        return (await session.execute(stmt)).scalar_one_or_none()


async def test_woocommerce_deliveries(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop("woocommerce", domain=f"woo-{uuid.uuid4().hex[:8]}.example.com")

    async def send(topic: str, body: bytes, **kwargs: Any) -> httpx.Response:
        return await hooks.client.post("/webhooks/woocommerce", content=body,
                                       headers=woo_headers(domain, topic, body, **kwargs))

    ping = await hooks.client.post("/webhooks/woocommerce", content=b"webhook_id=3",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 200
    created = payload("woocommerce", "product_created.json")
    assert (await send("product.created", created, secret="wrong")).status_code == 401
    assert (await send("product.created", created, delivery="d-1")).json()["status"] == "accepted"
    assert (await send("product.created", created, delivery="d-1")).json()["status"] == "duplicate"
    await send("order.created", payload("woocommerce", "order_created.json"))
    assert await hooks.drain() == 2
    product = await _product(hooks, shop_id, "794")
    assert product is not None and product.servable and product.price_min == 21.99
    assert {line[1] for line in await hooks.order_lines(shop_id)} == {"794", "22"}

    await send("product.updated", payload("woocommerce", "product_updated.json"))
    await send("product.created", created)  # older: ignored
    await hooks.drain()
    product = await _product(hooks, shop_id, "794")
    assert product is not None and product.title == "Premium Quality Tee" and not product.servable

    await send("product.deleted", payload("woocommerce", "product_deleted.json"))
    await hooks.drain()
    product = await _product(hooks, shop_id, "794")
    assert product is not None and product.deleted
    malformed = await send("order.created", b'{"id": 728, "line_items": []}')
    assert malformed.status_code == 400
    assert malformed.json()["message"] == "date_created_gmt: required field is missing"


class FakeBigCommerce:
    """The platform API as the adapter sees it, serving the recorded records."""

    def __init__(self) -> None:
        def load(name: str) -> Any:
            return json.loads((PAYLOADS / "bigcommerce" / name).read_text())

        self.products: dict[str, dict[str, Any]] = {"77": load("api_product_77.json")["data"]}
        self.orders: dict[str, dict[str, Any]] = {"101": load("api_order_101.json")}
        self.order_lines = {"101": load("api_order_101_products.json")}
        self.calls: list[str] = []

    async def product(self, product_id: str) -> dict[str, Any] | None:
        self.calls.append(f"product {product_id}")
        return self.products.get(product_id)

    async def order(self, order_id: str) -> dict[str, Any] | None:
        self.calls.append(f"order {order_id}")
        return self.orders.get(order_id)

    async def order_products(self, order_id: str) -> list[dict[str, Any]]:
        return self.order_lines.get(order_id, [])

    async def category(self, category_id: str) -> dict[str, Any] | None:
        return None


@pytest.fixture
async def bigcommerce(hooks: Hooks) -> AsyncIterator[tuple[httpx.AsyncClient, FakeBigCommerce, Ingestion]]:
    api = FakeBigCommerce()
    def api_for(shop: ShopContext) -> FakeBigCommerce:
        return api

    ingestion = Ingestion(ingestion_dependencies(hooks.services), bigcommerce_api=api_for)
    app = Starlette(routes=ingestion.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield client, api, ingestion


async def test_bigcommerce_thin_payloads_are_filled_through_the_api(
    hooks: Hooks, bigcommerce: tuple[httpx.AsyncClient, FakeBigCommerce, Ingestion]
) -> None:
    client, api, ingestion = bigcommerce
    store_hash = uuid.uuid4().hex[:10]
    shop_id, _, _ = await hooks.shop("bigcommerce")
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        await set_credentials(session, shop, PlatformCredentials("bc-token", store_hash=store_hash),
                              hooks.services.secrets)

    async def send(name: str, token: str = SECRET) -> httpx.Response:
        body = payload("bigcommerce", name, store_hash=store_hash)
        return await client.post("/webhooks/bigcommerce", content=body,
                                 headers={"Content-Type": "application/json",
                                          "X-Affinity-Webhook-Token": token})

    assert (await send("product_updated.json", token="guess")).status_code == 401
    assert (await send("product_updated.json")).json()["status"] == "accepted"
    assert (await send("product_updated.json")).json()["status"] == "duplicate"  # same hash
    assert (await send("order_created.json")).json()["status"] == "accepted"
    assert await ingestion.processor.drain() == 2
    product = await _product(hooks, shop_id, "77")
    assert product is not None and product.servable  # one variant of two in stock
    assert product.title.startswith("[Sample] Fog Linen")
    assert {line[1] for line in await hooks.order_lines(shop_id)} == {"77", "86"}

    # A delete the API contradicts (replayed or forged) changes nothing...
    assert (await send("product_deleted.json")).status_code == 200
    await ingestion.processor.drain()
    product = await _product(hooks, shop_id, "77")
    assert product is not None and not product.deleted
    # ...and one it confirms removes the product.
    del api.products["77"]
    bad = body_of({"scope": "store/product/deleted", "producer": f"stores/{store_hash}",
                   "data": {"type": "product"}, "hash": "ffff"})
    rejected = await client.post("/webhooks/bigcommerce", content=bad,
                                 headers={"X-Affinity-Webhook-Token": SECRET})
    assert rejected.status_code == 400 and rejected.json()["message"] == "data.id: required field is missing"
    again = body_of({**json.loads(payload("bigcommerce", "product_deleted.json",
                                          store_hash=store_hash)), "hash": "eeee"})
    await client.post("/webhooks/bigcommerce", content=again,
                      headers={"X-Affinity-Webhook-Token": SECRET})
    await ingestion.processor.drain()
    product = await _product(hooks, shop_id, "77")
    assert product is not None and product.deleted

