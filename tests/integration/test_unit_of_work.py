"""``transaction``: all or nothing, its connection released however it ends, and nothing
asked of the database by a unit of work that reads nothing through its session."""

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.shops.models import Shop
from app.storage.database import create_session_factory, transaction
from tests.factories import make_shop


async def _exists(engine: AsyncEngine, domain: str) -> bool:
    async with transaction(create_session_factory(engine)) as session:
        found = await session.execute(select(Shop.id).where(Shop.domain == domain))
        return found.first() is not None


async def test_a_unit_of_work_commits_on_success(engine: AsyncEngine) -> None:
    async with transaction(create_session_factory(engine)) as session:
        created = await make_shop(session)
    assert await _exists(engine, created.shop.domain)
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_an_error_stores_nothing_and_reaches_the_caller(engine: AsyncEngine) -> None:
    domains: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        async with transaction(create_session_factory(engine)) as session:
            domains.append((await make_shop(session)).shop.domain)
            raise RuntimeError("boom")
    assert domains and not await _exists(engine, domains[0])
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_cancelled_unit_of_work_stores_nothing_and_releases_its_connection(
        engine: AsyncEngine) -> None:
    written = asyncio.Event()
    domains: list[str] = []

    async def work() -> None:
        async with transaction(create_session_factory(engine)) as session:
            domains.append((await make_shop(session)).shop.domain)
            written.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(work())
    await written.wait()
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert not await _exists(engine, domains[0])


async def test_a_unit_of_work_that_reads_nothing_never_connects(engine: AsyncEngine) -> None:
    connects: list[object] = []
    pool = engine.pool
    original = pool.connect
    pool.connect = lambda: connects.append(1) or original()  # type: ignore[method-assign]
    try:
        async with transaction(create_session_factory(engine)) as session:
            assert not session.in_transaction()
    finally:
        pool.connect = original  # type: ignore[method-assign]
    assert connects == []
