"""Shopify deliveries replayed through ``POST /webhooks/shopify`` exactly as Shopify
sends them: signed, repeated, reordered, malformed."""

import json

from sqlalchemy import select

from app.catalog.models import Collection, Product, Variant
from app.ids import ShopId
from app.ingestion.models import InboxDelivery
from app.shops.models import Shop
from app.shops.service import add_webhook_secret
from app.storage.database import transaction
from tests.integration.webhooks.support import Hooks, body_of, payload

PRODUCT = """query($id: ID!) { product(id: $id) { id title price tags available } }"""
LISTING = """{ products(first: 50) { id title } }"""


async def _product(hooks: Hooks, shop_id: int, platform_id: str) -> Product | None:
    async with transaction(hooks.services.sessions) as session:
        stmt = select(Product).where(Product.shop_id == shop_id, Product.platform_id == platform_id)
        return (await session.execute(stmt)).scalar_one_or_none()


async def test_a_signed_product_is_acknowledged_at_once_and_stored_off_the_request_path(
    hooks: Hooks,
) -> None:
    shop_id, domain, key = await hooks.shop()
    response = await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert await _product(hooks, shop_id, "632910392") is None  # not applied in the request

    assert await hooks.drain() == 1
    found = (await hooks.graphql(key, PRODUCT, id="632910392"))["product"]
    assert found == {"id": "632910392", "title": "IPod Nano - 8GB", "price": 199.0,
                     "tags": ["Emotive", "Flash Memory", "MP3", "Music"], "available": True}
    assert await hooks.count(Variant, Variant.shop_id == shop_id) == 2
    async with transaction(hooks.services.sessions) as session:
        receipt = (await session.execute(select(InboxDelivery))).scalars().all()
    assert [r.body for r in receipt if r.shop_id == shop_id] == [None]  # payload not kept


async def test_bad_or_missing_signatures_and_unknown_shops_get_401_and_change_nothing(
    hooks: Hooks,
) -> None:
    shop_id, domain, _ = await hooks.shop()
    body = payload("shopify", "products_create.json")
    wrong = await hooks.shopify(domain, "products/create", body, secret="not-the-secret")
    unknown = await hooks.shopify("unknown-shop.myshopify.com", "products/create", body)
    tampered_body = body.replace(b"IPod Nano", b"IPod Nada")
    good_headers = dict(wrong.request.headers)
    good_headers["x-shopify-hmac-sha256"] = (await _signature(hooks, domain, body))
    tampered = await hooks.client.post("/webhooks/shopify", content=tampered_body,
                                       headers=good_headers)
    del good_headers["x-shopify-hmac-sha256"]
    missing = await hooks.client.post("/webhooks/shopify", content=body, headers=good_headers)
    for response in (wrong, unknown, tampered, missing):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "unauthorized"
    assert await hooks.deliveries(shop_id) == 0
    assert await hooks.drain() == 0
    assert await _product(hooks, shop_id, "632910392") is None


async def _signature(hooks: Hooks, domain: str, body: bytes) -> str:
    from webhooks.signatures import hmac_sha256_base64

    return hmac_sha256_base64("shpss_test_secret_1", body)


async def test_both_secrets_are_accepted_during_a_rotation(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        await add_webhook_secret(session, shop, "shpss_new_secret", hooks.services.secrets)
    old = await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    new = await hooks.shopify(domain, "products/create", payload("shopify", "products_create_touch.json"),
                              secret="shpss_new_secret")
    assert old.status_code == new.status_code == 200
    assert await hooks.drain() == 2


async def test_a_redelivery_is_acknowledged_and_has_no_second_effect(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    refund = payload("shopify", "refunds_create.json")
    first = await hooks.shopify(domain, "refunds/create", refund, webhook_id="w-1", event_id="e-1")
    same_webhook = await hooks.shopify(domain, "refunds/create", refund, webhook_id="w-1",
                                       event_id="e-2")
    same_event = await hooks.shopify(domain, "refunds/create", refund, webhook_id="w-2",
                                     event_id="e-1")
    assert first.json() == {"status": "accepted"}
    assert same_webhook.status_code == same_event.status_code == 200
    assert same_webhook.json() == same_event.json() == {"status": "duplicate"}
    await hooks.drain()
    # A retry that reaches us as a new delivery of the same refund is still counted once.
    await hooks.shopify(domain, "refunds/create", refund)
    await hooks.drain()
    lines = {line[1]: line for line in await hooks.order_lines(shop_id)}
    assert lines["632910392"][3] == 1  # one of two refunded
    # A second, different partial refund of the same line counts too.
    await hooks.shopify(domain, "refunds/create", payload("shopify", "refunds_create_second.json"))
    await hooks.drain()
    lines = {line[1]: line for line in await hooks.order_lines(shop_id)}
    assert lines["632910392"][3] == 2  # fully refunded: stops counting
    assert lines["921728736"][3] == 0


async def test_an_older_update_never_overwrites_a_newer_one(hooks: Hooks) -> None:
    _, domain, key = await hooks.shop()
    await hooks.shopify(domain, "products/update", payload("shopify", "products_update.json"))
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    await hooks.drain()
    found = (await hooks.graphql(key, PRODUCT, id="632910392"))["product"]
    assert found["title"] == "IPod Nano - 8GB (PRODUCT)RED edition"
    assert found["price"] == 179.0


async def test_a_deleted_product_is_gone_from_graphql_and_stays_gone(hooks: Hooks) -> None:
    _, domain, key = await hooks.shop()
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create_touch.json"))
    await hooks.drain()
    listed = {p["id"] for p in (await hooks.graphql(key, LISTING))["products"]}
    assert listed == {"632910392", "921728736"}

    await hooks.shopify(domain, "products/delete", payload("shopify", "products_delete.json"))
    await hooks.drain()
    assert (await hooks.graphql(key, PRODUCT, id="632910392"))["product"] is None
    assert {p["id"] for p in (await hooks.graphql(key, LISTING))["products"]} == {"921728736"}
    # A late retry of an update does not bring it back.
    await hooks.shopify(domain, "products/update", payload("shopify", "products_update.json"))
    await hooks.drain()
    assert (await hooks.graphql(key, PRODUCT, id="632910392"))["product"] is None


async def test_an_order_is_visible_in_co_purchase_signals_until_cancelled(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    await hooks.shopify(domain, "orders/paid", payload("shopify", "orders_paid.json"))
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create_guest.json"))
    assert await hooks.drain() == 3
    lines = await hooks.order_lines(shop_id)
    bought_together = {line[1] for line in lines if line[0] == "820982911946154508"}
    assert bought_together == {"632910392", "921728736"}
    guest = [line for line in lines if line[0] == "450789469"]
    assert sorted(line[1] or "" for line in guest) == ["", "632910392"]  # custom item: no product

    await hooks.shopify(domain, "orders/cancelled", payload("shopify", "orders_cancelled.json"))
    await hooks.drain()
    lines = await hooks.order_lines(shop_id)
    assert all(line[4] for line in lines if line[0] == "820982911946154508")
    assert not any(line[4] for line in lines if line[0] == "450789469")


async def test_stock_at_any_location_keeps_a_product_available(hooks: Hooks) -> None:
    shop_id, domain, key = await hooks.shop()
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    level = json.loads(payload("shopify", "inventory_levels_update.json"))
    await hooks.shopify(domain, "inventory_levels/update", body_of(level))  # pink: 0
    await hooks.drain()
    assert (await hooks.graphql(key, PRODUCT, id="632910392"))["product"]["available"]

    red = {**level, "inventory_item_id": 49148385, "available": 0}
    await hooks.shopify(domain, "inventory_levels/update", body_of(red))  # red: 0 as well
    await hooks.drain()
    assert not (await hooks.graphql(key, PRODUCT, id="632910392"))["product"]["available"]
    assert (await hooks.graphql(key, LISTING))["products"] == []

    restock = {**red, "location_id": 487838322, "available": 4}  # red arrives elsewhere
    stale = {**red, "available": 9, "updated_at": "2024-01-01T00:00:00-05:00"}
    await hooks.shopify(domain, "inventory_levels/update", body_of(stale))
    await hooks.drain()
    assert not (await hooks.graphql(key, PRODUCT, id="632910392"))["product"]["available"]
    await hooks.shopify(domain, "inventory_levels/update", body_of(restock))
    await hooks.drain()
    assert (await hooks.graphql(key, PRODUCT, id="632910392"))["product"]["available"]
    assert await hooks.count(Variant, Variant.shop_id == shop_id) == 2


async def test_collection_metadata_is_kept(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    await hooks.shopify(domain, "collections/create", payload("shopify", "collections_create.json"))
    await hooks.drain()
    async with transaction(hooks.services.sessions) as session:
        found = (await session.execute(select(Collection).where(Collection.shop_id == shop_id))).scalar_one()
        assert (found.platform_id, found.title, found.handle) == ("482865238", "Smart iPods", "smart-ipods")
    await hooks.shopify(domain, "collections/delete", payload("shopify", "collections_delete.json"))
    await hooks.drain()
    assert await hooks.count(Collection, Collection.shop_id == shop_id) == 0


async def test_malformed_payloads_get_400_are_kept_and_damage_nothing(hooks: Hooks) -> None:
    shop_id, domain, key = await hooks.shop()
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    await hooks.drain()
    not_json = await hooks.shopify(domain, "products/update", b"<html>oops</html>")
    no_title = json.loads(payload("shopify", "products_update.json"))
    del no_title["title"]
    missing = await hooks.shopify(domain, "products/update", body_of(no_title))
    bad_price = json.loads(payload("shopify", "products_update.json"))
    bad_price["variants"][1]["price"] = "one ninety-nine"
    wrong = await hooks.shopify(domain, "products/update", body_of(bad_price))
    assert [r.status_code for r in (not_json, missing, wrong)] == [400, 400, 400]
    assert "not valid JSON" in not_json.json()["message"]
    assert not_json.json()["topic"] == "products/update"
    assert missing.json()["message"] == "title: required field is missing"
    assert wrong.json()["message"] == "variants[1].price: not a number (got a string)"
    kept = await hooks.rejections(shop_id)
    assert min(r.body or b"" for r in kept) == b"<html>oops</html>"
    assert all("x-shopify-hmac-sha256" not in r.headers for r in kept)
    assert await hooks.drain() == 0
    assert (await hooks.graphql(key, PRODUCT, id="632910392"))["product"]["title"] == "IPod Nano - 8GB"


async def test_other_topics_are_acknowledged_and_ignored(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    response = await hooks.shopify(domain, "carts/update", b'{"id": "eeafa272cebfd4b22385bc4b645e762c"}')
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await hooks.deliveries(shop_id) == 0


async def test_uninstall_stops_serving_and_shop_redact_deletes_everything(hooks: Hooks) -> None:
    shop_id, domain, key = await hooks.shop()
    async with transaction(hooks.services.sessions) as session:  # served, so held in memory
        await hooks.services.catalogs.catalog(session, ShopId(shop_id))
    assert shop_id in hooks.services.catalogs.loaded
    await hooks.shopify(domain, "products/create", payload("shopify", "products_create.json"))
    await hooks.shopify(domain, "orders/create", payload("shopify", "orders_create.json"))
    await hooks.shopify(domain, "app/uninstalled", payload("shopify", "app_uninstalled.json", shop=domain))
    assert await hooks.drain() == 3
    assert shop_id not in hooks.services.catalogs.loaded  # nothing of it kept in memory
    response = await hooks.client.post("/graphql", json={"query": LISTING},
                                       headers={"X-Affinity-Storefront-Key": key})
    assert response.status_code == 401

    # Shopify sends shop/redact 48 hours after the uninstall.
    redact = await hooks.shopify(domain, "shop/redact", payload("shopify", "shop_redact.json", shop=domain))
    assert redact.status_code == 200
    assert await hooks.drain() == 1
    assert await hooks.count(Shop, Shop.id == shop_id) == 0
    assert await hooks.count(Product, Product.shop_id == shop_id) == 0
    assert await hooks.deliveries(shop_id) == 0
    again = await hooks.shopify(domain, "shop/redact", payload("shopify", "shop_redact.json", shop=domain))
    assert again.status_code == 401
