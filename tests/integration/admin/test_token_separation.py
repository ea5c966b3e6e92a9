"""One server with both endpoints: the admin token never opens the storefront, and the
storefront's keys never open the admin API; a refusal looks the same whatever was sent."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.admin.routes import ADMIN_PATH, admin_routes
from app.asgi import create_app
from app.shops.service import NewShopCredentials
from app.storage.database import create_session_factory
from tests.fakes import HashingEmbedder
from tests.integration.admin.support import new_shop, settings_for

STOREFRONT = "{ product(id: \"1\") { id } }"
ADMIN = "{ experiments { id } }"


@pytest.fixture
async def server(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(engine, tmp_path)
    embedder = HashingEmbedder()
    app = create_app(settings, embedder_factory=lambda: embedder,
                     extra_routes=admin_routes(create_session_factory(engine), settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.state.services.engine.dispose()


async def _storefront(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/graphql", json={"query": STOREFRONT}, headers=headers)


async def _admin(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(ADMIN_PATH, json={"query": ADMIN}, headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_admin_token_never_opens_the_storefront(
        engine: AsyncEngine, server: httpx.AsyncClient) -> None:
    shop: NewShopCredentials = await new_shop(engine)
    assert (await _storefront(server, {"X-Affinity-Storefront-Key": shop.storefront_key})
            ).status_code == 200
    missing = await _storefront(server, {})
    refused = [
        await _storefront(server, {"X-Affinity-Storefront-Key": shop.admin_token}),
        await _storefront(server, {"X-Affinity-Server-Key": shop.admin_token}),
        await _storefront(server, _bearer(shop.admin_token)),
        await _storefront(server, {"X-Affinity-Storefront-Key": "sfk_wrong"}),
    ]
    assert missing.status_code == 401
    assert all(r.status_code == 401 and r.text == missing.text for r in refused)


async def test_a_storefront_key_never_opens_the_admin_api(
        engine: AsyncEngine, server: httpx.AsyncClient) -> None:
    shop = await new_shop(engine)
    assert (await _admin(server, _bearer(shop.admin_token))).status_code == 200
    missing = await _admin(server, {})
    refused = [
        await _admin(server, _bearer(shop.storefront_key)),
        await _admin(server, _bearer(shop.server_key)),
        await _admin(server, {"X-Affinity-Storefront-Key": shop.storefront_key}),
        await _admin(server, {"X-Affinity-Server-Key": shop.server_key}),
        await _admin(server, _bearer("adm_wrong")),
    ]
    assert missing.status_code == 401
    assert all(r.status_code == 401 and r.text == missing.text for r in refused)
