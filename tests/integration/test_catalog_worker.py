"""The background worker embeds what changed without reading the whole catalog each pass,
and still catches, on its periodic whole-catalog check, what a recent-writes pass cannot see."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from app.catalog.models import Product
from app.catalog.service import apply_product_change
from app.embeddings.models import ProductEmbedding
from app.embeddings.stale_watch import StaleWatch
from app.entry_points import catalog_work
from app.ids import ShopId
from app.storage.database import transaction, utcnow
from app.worker import CatalogWorker
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.support import Harness, harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, HashingEmbedder()) as h:
        yield h


async def _key(h: Harness, shop: ShopId, platform_id: str) -> int:
    async with transaction(h.services.sessions) as session:
        key = await session.scalar(select(Product.id).where(
            Product.shop_id == shop, Product.platform_id == platform_id))
    assert key is not None
    return int(key)


async def _has_vector(h: Harness, key: int) -> bool:
    async with transaction(h.services.sessions) as session:
        return await session.get(ProductEmbedding, (key, h.embedder.model_name)) is not None


async def test_recent_writes_between_whole_catalog_checks(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)
    clock = Clock()
    watch = StaleWatch(full_check_seconds=600, late_commit_seconds=300, monotonic=clock)
    worker = CatalogWorker(catalog_work(api.services), lambda: api.embedder, stale_watch=watch)
    await worker.run_once()  # every shop of the database (other tests' too) made current
    assert await worker.run_once() == 0
    assert watch.window(shop) is not None

    # A vector gone missing for a product last written an hour ago: outside the window.
    lost = await _key(api, shop, "5")
    async with transaction(api.services.sessions) as session:
        await session.execute(delete(ProductEmbedding).where(ProductEmbedding.product_key == lost))
        await session.execute(update(Product).where(Product.id == lost)
                              .values(updated_at=utcnow() - timedelta(hours=1)))
    # A product whose text changes now: inside it.
    async with transaction(api.services.sessions) as session:
        await apply_product_change(session, shop, product("2", "Blue enamel camping mug, 350 ml"))
    clock.now += 1
    embedded_before = api.embedder.texts_embedded
    assert await worker.run_once() == 1
    assert api.embedder.texts_embedded - embedded_before == 1
    assert "350 ml" in api.embedder.calls[-1][0]
    assert not await _has_vector(api, lost)

    clock.now += 600  # the periodic whole-catalog check
    assert await worker.run_once() == 1
    assert await _has_vector(api, lost)
    assert await worker.run_once() == 0
