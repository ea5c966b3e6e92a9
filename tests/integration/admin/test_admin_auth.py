"""Only a shop's admin token opens the admin API, the same 401 for every other caller;
failed attempts are limited per address; a rotated token stops working at once."""

import argparse
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.admin.auth import AdminAuth
from app.commands.shops import cmd_shop_rotate_admin_token
from app.shops.models import SHOP_UNINSTALLED, Shop
from app.storage.database import create_session_factory, transaction
from tests.integration.admin.support import AdminApi, admin_api, new_shop, settings_for

EXPERIMENTS = "{ experiments { id name } }"


@pytest.fixture
async def api(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[AdminApi]:
    async with admin_api(engine, tmp_path) as api:
        yield api


async def test_the_shops_admin_token_opens_its_own_data(engine: AsyncEngine,
                                                        api: AdminApi) -> None:
    shop = await new_shop(engine)
    response = await api.post(shop.admin_token, EXPERIMENTS)
    assert response.status_code == 200
    assert response.json() == {"data": {"experiments": []}}
    assert response.headers["cache-control"] == "no-store"


async def test_every_other_caller_gets_the_same_401(engine: AsyncEngine, api: AdminApi) -> None:
    shop = await new_shop(engine)
    answers = [
        await api.post(None, EXPERIMENTS),
        await api.post("adm_not-a-real-token", EXPERIMENTS),
        await api.post(shop.storefront_key, EXPERIMENTS),  # a storefront key never works here
        await api.post(shop.server_key, EXPERIMENTS),
        await api.post(shop.admin_token + "x", EXPERIMENTS),
        await api.post("x" * 5000, EXPERIMENTS),
        await api.client.post("/admin/graphql", json={"query": EXPERIMENTS},
                              headers={"Authorization": f"Basic {shop.admin_token}"}),
        await api.client.post("/admin/graphql", json={"query": EXPERIMENTS},
                              headers={"X-Affinity-Storefront-Key": shop.storefront_key}),
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json()["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"
    assert answers[0].headers["www-authenticate"] == "Bearer"


async def test_an_uninstalled_shops_token_stops_working(engine: AsyncEngine,
                                                        api: AdminApi) -> None:
    shop = await new_shop(engine)
    assert (await api.post(shop.admin_token, EXPERIMENTS)).status_code == 200
    async with transaction(create_session_factory(engine)) as session:
        await session.execute(update(Shop).where(Shop.id == shop.shop.id)
                              .values(status=SHOP_UNINSTALLED))
    assert (await api.post(shop.admin_token, EXPERIMENTS)).status_code == 401


async def test_rotating_prints_a_new_token_once_and_the_old_one_stops(
        engine: AsyncEngine, api: AdminApi, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    shop = await new_shop(engine)
    assert (await api.post(shop.admin_token, EXPERIMENTS)).status_code == 200
    args = argparse.Namespace(domain=shop.shop.domain)
    assert await cmd_shop_rotate_admin_token(args, settings_for(engine, tmp_path)) == 0
    printed = json.loads(capsys.readouterr().out)
    new_token = printed["admin_token"]
    assert printed["shop"] == shop.shop.domain and new_token != shop.admin_token
    assert (await api.post(shop.admin_token, EXPERIMENTS)).status_code == 401
    assert (await api.post(new_token, EXPERIMENTS)).status_code == 200
    async with transaction(create_session_factory(engine)) as session:
        stored = await session.get(Shop, shop.shop.id)
        assert stored is not None and new_token not in stored.admin_token_hash  # only its hash


async def test_failed_attempts_are_limited_per_address(engine: AsyncEngine,
                                                       tmp_path: Path) -> None:
    shop = await new_shop(engine)
    now = [1000.0]
    auth = AdminAuth(create_session_factory(engine), failures_per_minute=3,
                     clock=lambda: now[0])
    async with admin_api(engine, tmp_path, auth) as api:
        assert (await api.post(shop.admin_token, EXPERIMENTS)).status_code == 200
        for _ in range(3):
            assert (await api.post("adm_guess", EXPERIMENTS)).status_code == 401
        refused = await api.post(shop.admin_token, EXPERIMENTS)  # even the right token waits
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(refused.headers["retry-after"]) >= 1
        now[0] += 20.0  # one attempt's worth (3 a minute) back
        assert (await api.post(shop.admin_token, EXPERIMENTS)).status_code == 200
        assert (await api.post("adm_guess", EXPERIMENTS)).status_code == 401
        assert (await api.post("adm_guess", EXPERIMENTS)).status_code == 429


async def test_body_and_document_are_bounded(engine: AsyncEngine, tmp_path: Path) -> None:
    shop = await new_shop(engine)
    async with admin_api(engine, tmp_path, graphql_max_body_bytes=2000,
                         graphql_max_depth=2) as api:
        large = await api.post(shop.admin_token, EXPERIMENTS, pad="x" * 5000)
        assert large.status_code == 413
        assert (await api.post(shop.admin_token, EXPERIMENTS)).status_code == 200
        deep = "{ experiments { results { variants { name } } } }"
        assert await api.error_codes(shop.admin_token, deep) == ["QUERY_TOO_COMPLEX"]
        assert (await api.client.get("/admin/graphql")).status_code == 405
