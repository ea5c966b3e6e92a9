"""Deliveries built to do harm with a correct signature: a body resent under another topic,
an old body replayed, an undated body, values no column holds, oversized bodies."""

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from app.catalog.models import Product
from app.entry_points import ingestion_dependencies
from app.ingestion.models import FAILED, PENDING, InboxDelivery
from app.ingestion.service import inbox_counts
from app.shops.models import SHOP_ACTIVE, SHOP_UNINSTALLED, Shop
from app.storage.database import transaction
from app.sync.credentials import PlatformCredentials, set_credentials
from tests.integration.webhooks.shopify_standin import StandIn, gid
from tests.integration.webhooks.support import (
    Hooks,
    body_of,
    hooks_app,
    payload,
    shopify_headers,
)
from webhooks.ingestion import Ingestion

PRODUCT_ID = "632910392"


def _json(platform: str, name: str, **replace: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(payload(platform, name, **replace))
    return loaded


async def _product(hooks: Hooks, shop_id: int, platform_id: str = PRODUCT_ID) -> Product | None:
    async with transaction(hooks.services.sessions) as session:
        stmt = select(Product).where(Product.shop_id == shop_id, Product.platform_id == platform_id)
        return (await session.execute(stmt)).scalar_one_or_none()


async def _counts(hooks: Hooks, shop_id: int) -> dict[str, int]:
    async with transaction(hooks.services.sessions) as session:
        return await inbox_counts(session, shop_id)  # type: ignore[arg-type]


# Topic and body must agree.

async def test_a_signed_body_resent_under_a_destructive_topic_is_refused(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    other_id, other_domain, _ = await hooks.shop()
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    assert await hooks.drain() == 2

    resent = [
        ("shop/redact", payload("shopify", "collections_create.json")),
        ("shop/redact", payload("shopify", "customers_redact.json", shop=domain)),
        ("shop/redact", payload("shopify", "shop_redact.json", shop=other_domain)),
        ("app/uninstalled", payload("shopify", "app_uninstalled.json", shop=other_domain)),
        ("app/uninstalled", payload("shopify", "products_update.json")),
        ("products/delete", payload("shopify", "products_update.json")),
        ("products/delete", payload("shopify", "collections_delete.json")),
        ("collections/delete", payload("shopify", "collections_create.json")),
        ("customers/redact", payload("shopify", "customers_data_request.json", shop=domain)),
        ("customers/redact", payload("shopify", "orders_create.json")),
        ("orders/cancelled", payload("shopify", "orders_create.json")),
        ("products/update", payload("shopify", "collections_create.json")),
        ("refunds/create", payload("shopify", "orders_create.json")),
    ]
    for topic, body in resent:
        response = await hooks.shopify(domain, topic, body)
        assert response.status_code == 400, (topic, response.text)
        assert response.json()["error"] == "invalid_payload"
    assert await hooks.drain() == 0
    assert len(await hooks.rejections(shop_id)) == len(resent)
    assert await hooks.count(Shop, Shop.id.in_([shop_id, other_id])) == 2
    product = await _product(hooks, shop_id)
    assert product is not None and product.servable
    assert [line[4] for line in await hooks.order_lines(shop_id)] == [False, False]


async def test_genuine_destructive_bodies_pass_their_shape_checks(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    for topic, name in [("products/delete", "products_delete.json"),
                        ("collections/delete", "collections_delete.json"),
                        ("customers/data_request", "customers_data_request.json"),
                        ("customers/redact", "customers_redact.json"),
                        ("orders/cancelled", "orders_cancelled.json")]:
        response = await hooks.shopify(domain, topic, payload("shopify", name, shop=domain))
        assert response.status_code == 200, (topic, response.text)
    assert await hooks.drain() == 6
    product = await _product(hooks, shop_id)
    assert product is not None and product.deleted


async def test_woocommerce_deletions_must_be_only_an_id(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop("woocommerce")

    async def send(topic: str, body: bytes) -> httpx.Response:
        headers = shopify_headers(domain, topic, body)
        return await hooks.client.post("/webhooks/woocommerce", content=body, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Source": f"https://{domain}/",
            "X-WC-Webhook-Signature": headers["X-Shopify-Hmac-Sha256"],
            "X-WC-Webhook-Delivery-ID": headers["X-Shopify-Webhook-Id"]})

    product = payload("woocommerce", "product_created.json")
    assert (await send("product.created", product)).status_code == 200
    assert (await send("product.deleted", product)).status_code == 400
    assert (await send("order.deleted", payload("woocommerce", "order_created.json"))).status_code == 400
    assert (await send("order.created", product)).status_code == 400
    assert await hooks.drain() == 1
    stored = await _product(hooks, shop_id, "794")
    assert stored is not None and not stored.deleted


async def test_a_delivery_older_than_the_window_is_refused_and_kept(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    body = payload("shopify", "products_create.json")
    now = datetime.now(UTC)
    old = await hooks.client.post("/webhooks/shopify", content=body, headers=shopify_headers(
        domain, "products/create", body, triggered_at=now - timedelta(hours=51)))
    assert old.status_code == 400 and old.json()["error"] == "expired"
    [rejection] = await hooks.rejections(shop_id)
    assert "older than" in rejection.reason
    assert await hooks.deliveries(shop_id) == 0
    # Shopify's retries run for at most 48 hours: the last of them is still taken.
    late_retry = await hooks.client.post("/webhooks/shopify", content=body, headers=shopify_headers(
        domain, "products/create", body, triggered_at=now - timedelta(hours=47)))
    assert late_retry.status_code == 200
    assert await hooks.drain() == 1


# Destructive topics confirmed through the Admin API.

@dataclass
class Confirming:
    client: httpx.AsyncClient
    standin: StandIn
    ingestion: Ingestion


@pytest.fixture
async def confirming(hooks: Hooks) -> AsyncIterator[Confirming]:
    standin = StandIn(products=[{"id": gid("Product", int(PRODUCT_ID))}])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=standin.app())) as admin:
        ingestion = Ingestion(ingestion_dependencies(hooks.services), http=admin)
        app = Starlette(routes=ingestion.routes())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            yield Confirming(client, standin, ingestion)


async def _with_token(hooks: Hooks, standin: StandIn) -> tuple[int, str]:
    shop_id, domain, _ = await hooks.shop()
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        await set_credentials(session, shop, PlatformCredentials(
            standin.token, api_version="2025-07", api_url="http://standin.test"),
            hooks.services.secrets)
    return shop_id, domain


async def _pending_key(hooks: Hooks, shop_id: int) -> int:
    async with transaction(hooks.services.sessions) as session:
        stmt = select(InboxDelivery.id).where(InboxDelivery.shop_id == shop_id,
                                              InboxDelivery.status == PENDING)
        return int((await session.execute(stmt)).scalar_one())


async def test_a_product_deletion_is_applied_once_shopify_confirms_it(
    hooks: Hooks, confirming: Confirming
) -> None:
    shop_id, domain = await _with_token(hooks, confirming.standin)

    async def send(topic: str, body: bytes) -> httpx.Response:
        return await confirming.client.post("/webhooks/shopify", content=body,
                                            headers=shopify_headers(domain, topic, body))

    await send("products/create", payload("shopify", "products_create.json"))
    assert await confirming.ingestion.processor.drain() == 1
    assert (await send("products/delete", payload("shopify", "products_delete.json"))).status_code == 200
    assert await confirming.ingestion.processor.drain() == 0  # Shopify still has the product
    product = await _product(hooks, shop_id)
    assert product is not None and not product.deleted
    assert ("product", gid("Product", int(PRODUCT_ID))) in confirming.standin.calls

    confirming.standin.products.clear()  # now it is gone at Shopify
    assert await confirming.ingestion.processor.process(await _pending_key(hooks, shop_id)) == 1
    product = await _product(hooks, shop_id)
    assert product is not None and product.deleted


async def test_an_uninstall_is_applied_once_the_token_is_revoked(
    hooks: Hooks, confirming: Confirming
) -> None:
    shop_id, domain = await _with_token(hooks, confirming.standin)
    body = payload("shopify", "app_uninstalled.json", shop=domain)
    response = await confirming.client.post(
        "/webhooks/shopify", content=body, headers=shopify_headers(domain, "app/uninstalled", body))
    assert response.status_code == 200
    assert await confirming.ingestion.processor.drain() == 0  # the token still works
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None and shop.status == SHOP_ACTIVE

    confirming.standin.revoked = True
    assert await confirming.ingestion.processor.process(await _pending_key(hooks, shop_id)) == 1
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None and shop.status == SHOP_UNINSTALLED


# The ordering guard.

async def test_an_undated_update_never_beats_a_dated_one(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "products/update", payload("shopify", "products_update.json"))
    undated = {**_json("shopify", "products_update.json"), "title": "Undated"}
    del undated["updated_at"]
    ancient = {**_json("shopify", "products_update.json"), "title": "From 1970",
               "updated_at": "1970-01-01T00:00:00Z"}
    await hooks.shopify(domain, "products/update", body_of(undated))
    await hooks.shopify(domain, "products/update", body_of(ancient))
    assert await hooks.drain() == 3  # each kept as a receipt
    product = await _product(hooks, shop_id)
    assert product is not None
    assert product.title == "IPod Nano - 8GB (PRODUCT)RED edition"
    assert product.platform_updated_at == datetime(2024, 1, 5, 16, 2, 10, tzinfo=UTC)


async def test_an_undated_order_never_beats_a_dated_one(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "orders/cancelled", payload("shopify", "orders_cancelled.json"))
    undated = _json("shopify", "orders_cancelled.json")
    del undated["updated_at"]
    undated.update(cancelled_at="2024-01-11T09:00:00-05:00", line_items=[])
    await hooks.shopify(domain, "orders/cancelled", body_of(undated))
    assert await hooks.drain() == 2
    assert len(await hooks.order_lines(shop_id)) > 0


# Values no column holds are refused at the door, or fitted.

async def test_out_of_range_values_are_refused_before_the_acknowledgement(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    product = _json("shopify", "products_create.json")
    huge_stock = {**product, "variants": [{**product["variants"][0], "inventory_quantity": 1e30}]}
    order = _json("shopify", "orders_create.json")
    huge_quantity = {**order, "line_items": [{**order["line_items"][0], "quantity": 10**12}]}
    level = {**_json("shopify", "inventory_levels_update.json"), "available": -(2**40)}
    refused = [
        ("products/create", body_of(huge_stock)),
        ("products/create", body_of({**product, "variants": [
            {**product["variants"][0], "price": "NaN"}]})),
        ("products/create", body_of({**product, "id": "9" * 80})),
        ("products/create", body_of({**product, "handle": "h" * 300})),
        ("orders/create", body_of(huge_quantity)),
        ("orders/create", body_of({**order, "currency": "DOLLARS"})),
        ("inventory_levels/update", body_of(level)),
    ]
    for topic, body in refused:
        response = await hooks.shopify(domain, topic, body)
        assert response.status_code == 400, (topic, response.text)
    long_id = await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"),
                                  webhook_id="w" * 300)
    assert long_id.status_code == 400
    assert len(await hooks.rejections(shop_id)) == len(refused) + 1
    assert await hooks.deliveries(shop_id) == 0


async def test_a_long_title_is_shortened_alike_on_every_database(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    long_title = {**_json("shopify", "products_create.json"), "title": "Mug " * 150,
                  "vendor": "V" * 400}
    assert (await hooks.shopify(domain, "products/create", body_of(long_title))).status_code == 200
    assert await hooks.drain() == 1
    product = await _product(hooks, shop_id)
    assert product is not None
    assert len(product.title) <= 512 and product.title.endswith("\u2026")
    assert product.vendor is not None and len(product.vendor) == 255
    assert (await _counts(hooks, shop_id))[FAILED] == 0


async def test_a_parked_delivery_is_logged_at_warning_with_its_id_not_its_body(
    hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    shop_id, _, _ = await hooks.shop()
    marker = "SECRET-BODY-MARKER"
    async with transaction(hooks.services.sessions) as session:  # stored by an older version
        delivery = InboxDelivery(shop_id=shop_id, platform="shopify", topic="products/create",
                                 delivery_id="parked-1", body=body_of({"id": 1, "title": marker,
                                                                      "line_items": []}))
        session.add(delivery)
        await session.flush()
        key = delivery.id
    with caplog.at_level(logging.INFO, logger="app.ingestion"):
        assert await hooks.drain() == 0
    assert (await _counts(hooks, shop_id))[FAILED] == 1
    parked = [r for r in caplog.records if "parked" in r.getMessage()]
    assert [r.levelno for r in parked] == [logging.WARNING]
    assert str(key) in parked[0].getMessage()
    assert all(marker not in r.getMessage() for r in caplog.records)


# Body limits and quiet, short errors.

async def test_every_webhook_route_stops_reading_at_the_body_limit(
    database_url: str, tmp_path: Path
) -> None:
    async with hooks_app(database_url, tmp_path, webhook_max_body_bytes=2048) as hooks:
        for route in ("/webhooks/shopify", "/webhooks/woocommerce", "/webhooks/bigcommerce"):
            async def stream() -> AsyncIterator[bytes]:
                for _ in range(64):
                    yield b" " * 1024

            chunked = await hooks.client.post(route, content=stream())
            assert chunked.status_code == 413
            declared = await hooks.client.post(route, content=b"{}",
                                               headers={"Content-Length": "999999999"})
            assert declared.status_code == 413


async def test_a_refusal_neither_echoes_nor_logs_the_input(
    hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    _, domain, _ = await hooks.shop()
    marker = "Z" * 100_000
    body = body_of({**_json("shopify", "products_create.json"), "id": {"x": marker}})
    with caplog.at_level(logging.INFO):
        response = await hooks.shopify(domain, "products/create", body)
    assert response.status_code == 400
    assert len(response.content) < 300 and "ZZZZ" not in response.text
    assert all("ZZZZ" not in r.getMessage() and r.levelno < logging.ERROR for r in caplog.records)
