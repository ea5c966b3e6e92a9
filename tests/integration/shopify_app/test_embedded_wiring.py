"""What the composition root wires for the Shopify admin: an App Bridge session token
opens the admin GraphQL API of its shop (a token of another app or time opens nothing),
and the app's URL keeps the admin's query on its way to the first page."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.shopify_app.support import (
    API_KEY,
    API_SECRET,
    Install,
    install_app,
    new_domain,
)
from tests.integration.shopify_app.test_embedded_console import bearer, session_token
from tests.integration.webhooks.support import hooks_app

EXPERIMENTS = "{ experiments { id name } }"


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[Install]:
    async with install_app(database_url, tmp_path) as install:
        yield install


async def test_a_session_token_opens_the_admin_api_of_its_shop(app: Install) -> None:
    shop = new_domain()
    assert (await app.install(shop)).status_code == 200
    response = await app.client.post("/admin/graphql", json={"query": EXPERIMENTS},
                                     headers=bearer(session_token(shop)))
    assert response.status_code == 200
    assert response.json() == {"data": {"experiments": []}}
    refused = [
        await app.client.post("/admin/graphql", json={"query": EXPERIMENTS},
                              headers=bearer(session_token(shop, "not-the-app-secret"))),
        await app.client.post("/admin/graphql", json={"query": EXPERIMENTS},
                              headers=bearer(session_token(shop, aud="another-app"))),
        await app.client.post("/admin/graphql", json={"query": EXPERIMENTS},
                              headers=bearer(session_token(new_domain()))),
    ]
    assert {r.status_code for r in refused} == {401}


async def test_the_apps_url_keeps_the_admins_query(app: Install) -> None:
    shop = new_domain()
    assert (await app.install(shop)).status_code == 200
    token = session_token(shop)
    opened = await app.client.get("/admin", params={"embedded": "1", "shop": shop,
                                                    "host": "YWRtaW4", "id_token": token})
    assert opened.status_code == 303
    followed = await app.client.get(opened.headers["location"])
    assert followed.status_code == 200 and shop in followed.text


async def test_the_install_is_served_only_when_the_app_is_configured(
        database_url: str, tmp_path: Path) -> None:
    shop = {"shop": "mugs.myshopify.com"}
    async with hooks_app(database_url, tmp_path / "off", shopify_api_key=API_KEY,
                         shopify_api_secret=API_SECRET) as off:  # no public URL
        assert (await off.client.get("/shopify/install", params=shop)).status_code == 404
        assert (await off.client.get("/shopify/callback")).status_code == 404
    async with hooks_app(database_url, tmp_path / "on", shopify_api_key=API_KEY,
                         shopify_api_secret=API_SECRET, public_url="http://testserver") as on:
        response = await on.client.get("/shopify/install", params=shop)
        assert response.status_code == 302
        assert response.headers["location"].startswith(
            "https://mugs.myshopify.com/admin/oauth/authorize?client_id=standin-api-key&")
