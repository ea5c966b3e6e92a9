"""``/health/ready``: 503 with counts until every active shop's catalog is in memory and its
current index mapped, 200 from then on; ``/health`` (liveness) answers meanwhile."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.catalog.service import apply_product_changes
from app.ids import ShopId
from app.index.files import POINTER, index_folder
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, make_shop, product
from tests.fakes import HashingEmbedder
from tests.support import Harness, harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE[:6]]


@pytest.fixture
async def api(own_database: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(own_database, tmp_path, HashingEmbedder()) as h:
        yield h


async def shop_without_index(api: Harness) -> ShopId:
    async with transaction(api.services.sessions) as session:
        shop = ShopId((await make_shop(session)).shop.id)
        await apply_product_changes(session, shop, CATALOG)
    await api.embed(shop)
    return shop


async def ready(api: Harness) -> httpx.Response:
    return await api.client.get("/health/ready")


async def test_not_ready_until_the_start_up_has_loaded_the_catalog_then_ready(
        api: Harness) -> None:
    await api.add_shop(CATALOG)  # products and an index on disk; nothing in memory yet
    starting = await ready(api)
    assert starting.status_code == 503
    assert starting.json() == {"status": "starting", "shops": 1, "catalogs_loaded": 0,
                               "indexes": 1, "indexes_mapped": 1}
    assert starting.headers["cache-control"] == "no-store"
    assert (await api.client.get("/health")).status_code == 200  # alive meanwhile
    async with api.app.router.lifespan_context(api.app):  # the start-up loads the catalogs
        for _ in range(200):
            answer = await ready(api)
            if answer.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert answer.status_code == 200 and answer.json() == {"status": "ready"}
        assert answer.headers["cache-control"] == "no-store"


async def test_an_index_that_cannot_be_mapped_holds_it_back_until_a_build_lands(
        api: Harness) -> None:
    shop = await shop_without_index(api)
    folder = index_folder(api.settings.index_dir, shop, api.embedder.model_name)
    folder.mkdir(parents=True)
    (folder / POINTER).write_text(json.dumps({  # a version whose files are not there yet
        "version": 1, "file_name": "v1.ann", "keys_file": "v1.keys.npy", "dimension": 8,
        "item_count": 6, "snapshot_at": "2026-01-01T00:00:00+00:00"}))
    async with transaction(api.services.sessions) as session:
        await api.services.catalogs.catalog(session, shop)
    blocked = await ready(api)
    assert blocked.status_code == 503
    assert blocked.json() == {"status": "starting", "shops": 1, "catalogs_loaded": 1,
                              "indexes": 1, "indexes_mapped": 0}
    assert "v1" not in blocked.text and str(folder) not in blocked.text
    await api.build(shop)
    api.services.registry.recheck(shop)
    assert (await ready(api)).status_code == 200


async def test_a_shop_without_an_index_yet_does_not_hold_it_back(api: Harness) -> None:
    shop = await shop_without_index(api)
    async with transaction(api.services.sessions) as session:
        await api.services.catalogs.catalog(session, shop)
    answer = await ready(api)
    assert answer.status_code == 200, answer.text


async def test_once_ready_a_shop_added_later_does_not_take_it_out(api: Harness) -> None:
    assert (await ready(api)).status_code == 200  # no shop yet: nothing to load
    await api.add_shop(CATALOG)
    assert (await ready(api)).status_code == 200
