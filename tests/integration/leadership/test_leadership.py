"""Leadership on each database: one leader per (job, shop) at a time, and two workers
that both see a change build one index version for it, never the same version twice."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.catalog.service import apply_product_change
from app.ids import ShopId
from app.index.files import index_folder, read_pointer
from app.index.models import IndexBuild
from app.index.service import reserve_version
from app.leadership.choose import leadership_for
from app.leadership.keys import Job
from app.leadership.protocol import Leadership
from app.storage.database import transaction
from app.worker import CatalogWork, CatalogWorker
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.support import Harness, harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE]
WORKERS = 2


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, HashingEmbedder()) as h:
        yield h


def another_process(api: Harness) -> Leadership:
    """What a second process would hold: its own connection or its own open lock file."""
    return leadership_for(api.services.engine, api.settings.data_dir)


def workers(api: Harness, count: int = WORKERS) -> list[CatalogWorker]:
    services = CatalogWork(settings=api.settings.model_copy(update={"index_rebuild_threshold": 1}),
                           sessions=api.services.sessions, neighbours=api.services.neighbours)
    return [CatalogWorker(services, lambda: api.embedder, leadership=another_process(api))
            for _ in range(count)]


async def builds(api: Harness, shop: ShopId) -> list[tuple[int, int]]:
    """(version, item count) of every build row of the shop."""
    async with transaction(api.services.sessions) as session:
        rows = await session.execute(select(IndexBuild.version, IndexBuild.item_count).where(
            IndexBuild.shop_id == shop).order_by(IndexBuild.version))
        return [(int(v), int(n)) for v, n in rows]


def served_version(api: Harness, shop: ShopId) -> int | None:
    pointer = read_pointer(index_folder(api.settings.index_dir, shop, api.embedder.model_name))
    return pointer.version if pointer else None


async def test_one_leader_per_job_and_shop_at_a_time(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG[:1])
    first, second = another_process(api), another_process(api)
    async with first.lead(Job.INDEX_BUILD, shop) as leading:
        assert leading
        async with second.lead(Job.INDEX_BUILD, shop) as also_leading:
            assert not also_leading
        async with second.lead(Job.TRAINING, shop) as training:
            assert training
        async with second.lead(Job.INDEX_BUILD, ShopId(shop + 1)) as other_shop:
            assert other_shop
    async with second.lead(Job.INDEX_BUILD, shop) as after_release:
        assert after_release


async def add_products(api: Harness, shop: ShopId, *titles: str) -> None:
    async with transaction(api.services.sessions) as session:
        for number, title in enumerate(titles):
            await apply_product_change(session, shop, product(f"new-{number}", title))


async def test_two_workers_embed_and_build_once_per_change(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)  # built once: version 1
    pair = workers(api)
    await add_products(api, shop, "Speckled stoneware mug")
    await asyncio.gather(*(w.run_once() for w in pair))  # both see the change; one of each
    assert await builds(api, shop) == [(1, len(CATALOG)), (2, len(CATALOG) + 1)]
    assert served_version(api, shop) == 2

    await add_products(api, shop, "Speckled stoneware mug", "Walnut tray")
    await api.embed(shop)  # nothing left to embed: both go straight to the build
    await asyncio.gather(*(w.run_once() for w in pair))
    assert [v for v, _ in await builds(api, shop)] == [1, 2, 3]
    assert served_version(api, shop) == 3

    await asyncio.gather(*(w.run_once() for w in pair))  # no change: no build
    assert len(await builds(api, shop)) == 3


async def test_a_held_lead_keeps_every_other_worker_from_building(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)
    await add_products(api, shop, "Speckled stoneware mug")
    await api.embed(shop)
    async with another_process(api).lead(Job.INDEX_BUILD, shop) as leading:
        assert leading
        await asyncio.gather(*(w.run_once() for w in workers(api)))
        assert len(await builds(api, shop)) == 1
    await workers(api, 1)[0].run_once()
    assert await builds(api, shop) == [(1, len(CATALOG)), (2, len(CATALOG) + 1)]


async def test_the_version_of_a_build_that_died_is_never_taken_again(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)
    await add_products(api, shop, "Speckled stoneware mug")
    async with transaction(api.services.sessions) as session:  # a build that never finished
        died = await reserve_version(session, shop, api.embedder.model_name,
                                     api.settings.index_dir)
    assert died == 2
    await workers(api, 1)[0].run_once()
    assert await builds(api, shop) == [(1, len(CATALOG)), (2, 0), (3, len(CATALOG) + 1)]
    assert served_version(api, shop) == 3
