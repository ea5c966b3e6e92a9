"""The one-click install against the stand-in of Shopify: the redirect, the callback's
checks (nothing stored when one fails), the token, the webhooks, the backfill, installing
again, and the uninstall."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.catalog.models import Product
from app.ids import ShopId
from app.shops.models import SHOP_ACTIVE, SHOP_UNINSTALLED, Shop
from app.storage.database import transaction
from app.sync.credentials import credentials_of
from tests.integration.shopify_app.support import (
    API_KEY,
    API_SECRET,
    PUBLIC_URL,
    Install,
    install_app,
    new_domain,
)
from tests.integration.webhooks.shopify_standin import product_node, signed_query
from tests.integration.webhooks.support import payload
from webhooks.shopify_app.config import SCOPES
from webhooks.shopify_app.subscriptions import SUBSCRIBED_TOPICS, topic_enum

LISTING = "{ products(first: 50) { id title } }"


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[Install]:
    async with install_app(database_url, tmp_path) as install:
        install.standin.products = [product_node(n, f"Mug number {n}") for n in range(1, 4)]
        yield install


def every_topic_at_the_receiver() -> dict[str, str]:
    return {topic_enum(t): f"{PUBLIC_URL}/webhooks/shopify" for t in SUBSCRIBED_TOPICS}


async def test_install_sends_the_merchant_to_the_shops_authorize_page(app: Install) -> None:
    shop = new_domain()
    response = await app.client.get("/shopify/install", params={"shop": shop.upper()})
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.geturl().startswith(
        app.installer.config.shop_url(shop) + "/admin/oauth/authorize?")
    query = parse_qs(location.query)
    assert query["client_id"] == [API_KEY]
    assert query["scope"] == [",".join(SCOPES)]  # the app's toml, tests/unit/shopify_app
    assert query["redirect_uri"] == [f"{PUBLIC_URL}/shopify/callback"]
    assert len(query["state"][0]) > 40
    assert "grant_options[]" not in query  # an offline token: the app works with no one signed in


@pytest.mark.parametrize("shop", ["evil.example.com", "", "a" * 400, "https://x.myshopify.com/"])
async def test_install_refuses_a_domain_that_is_not_a_shop(app: Install, shop: str) -> None:
    response = await app.client.get("/shopify/install", params={"shop": shop})
    assert response.status_code == 400
    assert "example.myshopify.com" in response.text
    assert shop not in response.text or not shop


async def test_the_callback_installs_the_shop_registers_every_topic_and_backfills(
        app: Install) -> None:
    shop = new_domain()
    response = await app.install(shop)
    assert response.status_code == 200, response.text
    assert f"Affinity is installed on {shop}" in response.text
    assert f'href="{app.installer.config.shop_url(shop)}/admin/apps/{API_KEY}"' in response.text
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    stored = await app.shop(shop)
    assert stored is not None and stored.platform == "shopify" and stored.status == SHOP_ACTIVE
    assert app.standin.token not in str(stored.settings)  # encrypted at rest
    credentials = credentials_of(stored, app.hooks.services.secrets)
    assert credentials is not None and credentials.access_token == app.standin.token
    assert app.standin.subscribed() == every_topic_at_the_receiver()
    assert "CUSTOMERS_REDACT" not in app.standin.subscribed()
    await app.installer.backfills.wait(ShopId(stored.id))
    async with transaction(app.hooks.services.sessions) as session:
        titles = set((await session.execute(select(Product.title).where(
            Product.shop_id == stored.id))).scalars())
    assert titles == {"Mug number 1", "Mug number 2", "Mug number 3"}


async def test_a_callback_with_a_wrong_hmac_is_refused_and_stores_nothing(app: Install) -> None:
    shop = new_domain()
    state = await app.start(shop)
    used = await app.used_states()
    forged = app.standin.callback_query(shop, state, secret="not-the-app-secret")
    response = await app.callback(forged)
    assert response.status_code == 401
    assert "not signed by Shopify" in response.text and "Nothing was stored" in response.text
    unsigned = app.standin.callback_query(shop, state).replace("hmac=", "hmac_=")
    assert (await app.callback(unsigned)).status_code == 401
    assert await app.shop(shop) is None
    assert await app.used_states() == used
    assert app.standin.exchanges == 0 and app.standin.subscriptions == []
    # The state was not spent: the real callback still completes the install.
    assert (await app.callback(app.standin.callback_query(shop, state))).status_code == 200


async def test_an_expired_replayed_or_foreign_state_is_refused(app: Install) -> None:
    shop, other = new_domain(), new_domain()
    expired = await app.start(shop)
    app.clock.now += timedelta(minutes=11)
    response = await app.callback(app.standin.callback_query(shop, expired))
    assert response.status_code == 400 and "expired" in response.text
    foreign = await app.start(other)
    response = await app.callback(app.standin.callback_query(shop, foreign))
    assert response.status_code == 400 and "another shop" in response.text
    assert await app.shop(shop) is None and await app.shop(other) is None
    assert app.standin.exchanges == 0
    state = await app.start(shop)
    assert (await app.callback(app.standin.callback_query(shop, state))).status_code == 200
    token = app.standin.token
    replay = await app.callback(app.standin.callback_query(shop, state))
    assert replay.status_code == 400 and "already used" in replay.text
    stored = await app.shop(shop)
    assert stored is not None
    credentials = credentials_of(stored, app.hooks.services.secrets)
    assert credentials is not None and credentials.access_token == token
    assert app.standin.exchanges == 1


async def test_a_callback_naming_a_shop_that_is_no_shop_is_refused(app: Install) -> None:
    state = await app.start(new_domain())
    query = signed_query(API_SECRET, code="c", shop="evil.example.com", state=state,
                         timestamp="1")
    response = await app.callback(query)
    assert response.status_code == 400 and "evil.example.com" not in response.text
    too_long = await app.callback("a=" + "x" * 5000)
    assert too_long.status_code == 400


async def test_a_failed_token_exchange_says_so_and_installing_again_completes(
        app: Install) -> None:
    shop = new_domain()
    app.standin.fail_exchanges = 1
    response = await app.install(shop)
    assert response.status_code == 502
    assert "token exchange failed" in response.text
    assert f'href="/shopify/install?shop={shop}"' in response.text
    assert await app.shop(shop) is None and app.standin.subscriptions == []
    assert (await app.install(shop)).status_code == 200
    assert await app.shop(shop) is not None
    assert app.standin.subscribed() == every_topic_at_the_receiver()


async def test_a_failed_registration_says_so_and_installing_again_completes_it(
        app: Install) -> None:
    shop = new_domain()
    app.standin.refuse_subscriptions = "Address is not allowed"
    response = await app.install(shop)
    assert response.status_code == 502
    assert "webhook registration failed" in response.text
    assert "Address is not allowed" in response.text
    assert app.standin.subscriptions == []
    app.standin.refuse_subscriptions = None
    assert (await app.install(shop)).status_code == 200
    assert app.standin.subscribed() == every_topic_at_the_receiver()


async def test_a_failed_backfill_is_logged_and_installing_again_resumes_it(
        app: Install, caplog: pytest.LogCaptureFixture) -> None:
    shop = new_domain()
    app.standin.failing_pages = True
    assert (await app.install(shop)).status_code == 200  # the import runs in the background
    stored = await app.shop(shop)
    assert stored is not None
    await app.installer.backfills.wait(ShopId(stored.id))
    assert ShopId(stored.id) in app.installer.backfills.failed
    assert f"shop {shop}: the backfill failed" in caplog.text
    app.standin.failing_pages = False
    assert (await app.install(shop)).status_code == 200
    await app.installer.backfills.wait(ShopId(stored.id))
    assert ShopId(stored.id) not in app.installer.backfills.failed
    async with transaction(app.hooks.services.sessions) as session:
        count = len((await session.execute(select(Product.id).where(
            Product.shop_id == stored.id))).all())
    assert count == 3


async def test_installing_again_keeps_the_shop_and_its_keys_and_replaces_the_token(
        app: Install) -> None:
    shop = new_domain()
    assert (await app.install(shop)).status_code == 200
    first = await app.shop(shop)
    assert first is not None
    first_token = app.standin.token
    again = await app.install(shop)
    assert again.status_code == 200 and "0 webhook subscriptions added" in again.text
    second = await app.shop(shop)
    assert second is not None
    assert (second.id, second.storefront_key, second.admin_token_hash, second.server_key_hash) \
        == (first.id, first.storefront_key, first.admin_token_hash, first.server_key_hash)
    credentials = credentials_of(second, app.hooks.services.secrets)
    assert credentials is not None and credentials.access_token == app.standin.token != first_token
    assert len(app.standin.subscriptions) == len(SUBSCRIBED_TOPICS)  # none twice


async def _signed_by_app(app: Install, shop: str, topic: str, body: bytes,
                         secret: str = API_SECRET) -> int:
    response = await app.hooks.shopify(shop, topic, body, secret=secret)
    return response.status_code


async def test_the_app_secret_signs_webhooks_of_installed_shops_only(app: Install) -> None:
    shop = new_domain()
    assert (await app.install(shop)).status_code == 200
    body = payload("shopify", "products_create.json")
    assert await _signed_by_app(app, shop, "products/create", body) == 200
    assert await _signed_by_app(app, shop, "products/create", body, "other") == 401
    _, added, _ = await app.hooks.shop()  # added by hand, with its own webhook secret
    assert await _signed_by_app(app, added, "products/create", body) == 401


async def test_uninstall_stops_serving_the_shop_and_deletes_its_token(app: Install) -> None:
    shop = new_domain()
    assert (await app.install(shop)).status_code == 200
    stored = await app.shop(shop)
    assert stored is not None
    await app.installer.backfills.wait(ShopId(stored.id))
    body = payload("shopify", "app_uninstalled.json", shop=shop)
    app.standin.revoked = True  # as Shopify does: the uninstall is confirmed by a 401
    assert await _signed_by_app(app, shop, "app/uninstalled", body) == 200
    await app.hooks.drain()
    gone = await app.shop(shop)
    assert gone is not None and gone.status == SHOP_UNINSTALLED
    assert credentials_of(gone, app.hooks.services.secrets) is None
    assert "platform_api" not in gone.settings
    after = await app.hooks.client.post("/graphql", json={"query": LISTING},
                                        headers={"X-Affinity-Storefront-Key": stored.storefront_key})
    assert after.status_code == 401
    # shop/redact comes later, signed with the app's secret: still accepted.
    redact = payload("shopify", "shop_redact.json", shop=shop)
    assert await _signed_by_app(app, shop, "shop/redact", redact) == 200
    # Installing again serves the shop again, with a new token.
    app.standin.revoked = False
    assert (await app.install(shop)).status_code == 200
    back = await app.shop(shop)
    assert back is not None and back.status == SHOP_ACTIVE
    assert credentials_of(back, app.hooks.services.secrets) is not None


async def test_shops_of_other_platforms_are_not_taken_over(app: Install) -> None:
    _, domain, _ = await app.hooks.shop(platform="woocommerce", domain=new_domain())
    response = await app.install(domain)
    assert response.status_code == 409
    async with transaction(app.hooks.services.sessions) as session:
        shop = (await session.execute(select(Shop).where(Shop.domain == domain))).scalar_one()
        assert shop.platform == "woocommerce" and "platform_api" not in shop.settings
