"""The serving catalog in memory: loaded once, current after this process's writes at once,
after other processes' writes within the refresh interval, long imports included."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.catalog import snapshot
from app.catalog.models import Product
from app.catalog.service import apply_product_change, delete_product
from app.catalog.snapshot import CatalogSnapshots, watch_catalog_writes
from app.ids import ShopId
from app.storage.database import create_session_factory, transaction, utcnow
from app.storage.reads import reads_for
from tests.factories import make_shop, product, shop_id


async def _shop(sessions: async_sessionmaker[AsyncSession]) -> ShopId:
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
        for n in range(3):
            await apply_product_change(session, shop, product(f"p{n}", f"Product {n}"))
    return shop


async def _read(catalogs: CatalogSnapshots, sessions: async_sessionmaker[AsyncSession],
                shop: ShopId) -> snapshot.ShopCatalog:
    async with transaction(sessions) as session:
        return await catalogs.catalog(session, shop)


async def test_writes_of_this_process_are_served_at_once(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    catalogs = CatalogSnapshots(refresh_seconds=3600)
    watch_catalog_writes(sessions, catalogs.written)
    shop = await _shop(sessions)
    catalog = await _read(catalogs, sessions, shop)
    assert sorted(catalog.by_platform_id) == ["p0", "p1", "p2"]
    assert all(p.servable for p in catalog.by_platform_id.values())

    async with transaction(sessions) as session:
        await apply_product_change(session, shop, product("p1", "Renamed", published=False))
        await apply_product_change(session, shop, product("p3", "New"))
        await delete_product(session, shop, "p2")
    catalog = await _read(catalogs, sessions, shop)
    p1 = catalog.by_platform_id["p1"]
    assert (p1.title, p1.servable) == ("Renamed", False)
    assert catalog.by_platform_id["p3"].servable
    assert catalog.by_platform_id["p2"].deleted and not catalog.by_platform_id["p2"].servable
    assert set(catalog.servable_by_key(p.id for p in catalog.by_key.values())) == {
        catalog.by_platform_id[pid].id for pid in ("p0", "p3")}


async def test_a_rolled_back_write_changes_nothing(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    catalogs = CatalogSnapshots(refresh_seconds=3600)
    watch_catalog_writes(sessions, catalogs.written)
    shop = await _shop(sessions)
    await _read(catalogs, sessions, shop)
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await apply_product_change(session, shop, product("p0", "Never"))
            await session.flush()
            raise RuntimeError("abort")
    assert (await _read(catalogs, sessions, shop)).by_platform_id["p0"].title == "Product 0"


async def test_other_processes_writes_arrive_within_the_refresh_interval(
        engine: AsyncEngine) -> None:
    serving = create_session_factory(engine)
    other = create_session_factory(engine)  # another process: no notification reaches us
    watch_catalog_writes(other)
    stale = CatalogSnapshots(refresh_seconds=3600)
    fresh = CatalogSnapshots(refresh_seconds=0)
    shop = await _shop(other)
    await _read(stale, serving, shop)
    await _read(fresh, serving, shop)
    async with transaction(other) as session:
        await apply_product_change(session, shop, product("p0", "Changed elsewhere"))
    assert (await _read(stale, serving, shop)).by_platform_id["p0"].title == "Product 0"
    assert (await _read(fresh, serving, shop)).by_platform_id["p0"].title == "Changed elsewhere"


async def test_a_late_commit_within_the_overlap_is_not_missed(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    catalogs = CatalogSnapshots(refresh_seconds=0)
    shop = await _shop(sessions)
    await _read(catalogs, sessions, shop)
    # A write stamped before the last read but committed after it.
    async with transaction(sessions) as session:
        await session.execute(update(Product).where(
            Product.shop_id == shop, Product.platform_id == "p1").values(
            title="Late", updated_at=utcnow() - snapshot.OVERLAP / 2))
    assert (await _read(catalogs, sessions, shop)).by_platform_id["p1"].title == "Late"


async def test_a_long_transaction_restamps_its_products_at_commit(
        engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "LONG_TRANSACTION", timedelta(0))
    sessions = create_session_factory(engine)
    watch_catalog_writes(sessions)
    shop = await _shop(sessions)
    async with transaction(sessions) as session:
        await apply_product_change(session, shop, product("p0", "Imported"))
        await session.flush()
        flushed = (await session.execute(select(Product.updated_at).where(
            Product.shop_id == shop, Product.platform_id == "p0"))).scalar_one()
        before_commit = utcnow()
    async with transaction(sessions) as session:
        stamps = dict((await session.execute(select(Product.platform_id, Product.updated_at)
                                             .where(Product.shop_id == shop))).all())
    assert flushed < before_commit <= stamps["p0"]


async def test_the_listing_is_servable_products_in_key_order_current_after_writes(
    engine: AsyncEngine,
) -> None:
    sessions = create_session_factory(engine)
    catalogs = CatalogSnapshots(refresh_seconds=3600)
    watch_catalog_writes(sessions, catalogs.written)
    shop = await _shop(sessions)  # p0..p2: "Product 0".."Product 2"

    def ids(listed: list[snapshot.CatalogProduct]) -> list[str]:
        return [p.platform_id for p in listed]

    catalog = await _read(catalogs, sessions, shop)
    assert ids(catalog.listing(10)) == ["p0", "p1", "p2"]
    assert ids(catalog.listing(1, offset=1)) == ["p1"]
    assert ids(catalog.listing(10, offset=5)) == []
    async with transaction(sessions) as session:
        await apply_product_change(session, shop, product("p1", "Hidden", published=False))
        await apply_product_change(session, shop, product("p3", "Blue Linen Shirt"))
        await apply_product_change(session, shop, product("p4", "Linen napkins, blue"))
    catalog = await _read(catalogs, sessions, shop)
    assert ids(catalog.listing(10)) == ["p0", "p2", "p3", "p4"]  # p1 unpublished, new at the end
    assert ids(catalog.listing(10, text="BLUE linen")) == ["p3", "p4"]  # every word, any case
    assert ids(catalog.listing(1, offset=1, text="linen")) == ["p4"]
    assert ids(catalog.listing(10, text="linen wool")) == []


async def test_a_refresh_that_reads_unchanged_rows_keeps_them_and_the_sorted_listing(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions = create_session_factory(engine)
    catalogs = CatalogSnapshots(refresh_seconds=0)  # a delta read on every request
    watch_catalog_writes(sessions, catalogs.written)
    shop = await _shop(sessions)  # written just now: every delta reads them again
    sorts: list[int] = []

    def counting_sorted(items: Any, **kwargs: Any) -> list[Any]:
        listed = sorted(items, **kwargs)
        sorts.append(len(listed))
        return listed

    monkeypatch.setattr(snapshot, "sorted", counting_sorted, raising=False)
    catalog = await _read(catalogs, sessions, shop)
    first = catalog.by_platform_id["p1"]
    assert [p.platform_id for p in catalog.listing(10)] == ["p0", "p1", "p2"]
    for _ in range(3):
        catalog = await _read(catalogs, sessions, shop)
        assert catalog.by_platform_id["p1"] is first
        assert [p.platform_id for p in catalog.listing(10)] == ["p0", "p1", "p2"]
    assert sorts == [3]  # sorted once
    async with transaction(sessions) as session:
        await apply_product_change(session, shop, product("p1", "Renamed"))
    catalog = await _read(catalogs, sessions, shop)
    assert catalog.by_platform_id["p1"].title == "Renamed"
    assert catalog.by_platform_id["p0"] is catalog.listing(10)[0]
    assert [p.title for p in catalog.listing(10)][1] == "Renamed"
    assert sorts == [3, 3]  # sorted again after the change


async def test_the_first_load_of_a_database_file_runs_off_the_event_loop(
        engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = create_session_factory(engine)
    shop = await _shop(sessions)
    async with transaction(sessions) as session:
        await apply_product_change(session, shop, product("p9", "Tagged", tags=("oak", "shelf")))
    threads: list[int] = []
    put = snapshot.ShopCatalog.put

    def recording_put(self: snapshot.ShopCatalog, rows: Any) -> None:
        threads.append(threading.get_ident())
        put(self, rows)

    monkeypatch.setattr(snapshot.ShopCatalog, "put", recording_put)
    reads = reads_for(database_url)
    try:
        loaded = await _read(CatalogSnapshots(refresh_seconds=3600, reads=reads), sessions, shop)
    finally:
        reads.dispose()
    through_session = await _read(CatalogSnapshots(refresh_seconds=3600), sessions, shop)
    on_loop = threading.get_ident()
    assert threads[0] != on_loop if database_url.startswith("sqlite") else threads[0] == on_loop
    assert threads[1] == on_loop  # the session's read: on the loop, any database
    assert loaded.by_platform_id == through_session.by_platform_id
    assert loaded.by_platform_id["p9"].tags == ("oak", "shelf")
    assert sorted(loaded.by_platform_id) == ["p0", "p1", "p2", "p9"]
