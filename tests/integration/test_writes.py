"""Small writes on a SQLite file: inline while the write lock is free, on the writer
thread while another connection holds it, errors reported either way."""

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.models import Ranking
from app.storage import sqlite_writes as writes_module
from app.storage.database import create_session_factory, sqlite_file_engine, transaction
from app.storage.sqlite_writes import SqliteWriter
from app.storage.writes import SessionWrites, writes_for
from tests.factories import make_shop, shop_id

pytestmark = pytest.mark.sqlite_only
RANKINGS = insert(Ranking.metadata.tables[Ranking.__tablename__])


@pytest.fixture
def writer(database_url: str, engine: AsyncEngine) -> Iterator[SqliteWriter]:
    chosen = writes_for(database_url, create_session_factory(engine))
    assert isinstance(chosen, SqliteWriter), "inline writes are for SQLite files"
    yield chosen
    chosen.dispose()


def _commits(engine: Engine) -> list[int]:
    seen: list[int] = []
    event.listen(engine, "commit", lambda _connection: seen.append(1))
    return seen


async def _shop(engine: AsyncEngine) -> int:
    async with transaction(create_session_factory(engine)) as session:
        return shop_id(await make_shop(session))


def _row(shop: int, rid: str) -> dict[str, Any]:
    return {"shop_id": shop, "recommendation_id": rid, "placement": "HOME",
            "product_ids": ["p1"], "reasons": [["POPULAR"]]}


async def _stored(engine: AsyncEngine, rid: str) -> int:
    async with transaction(create_session_factory(engine)) as session:
        return len((await session.execute(
            select(Ranking.id).where(Ranking.recommendation_id == rid))).all())


async def test_a_small_write_commits_inline_while_the_lock_is_free(
        writer: SqliteWriter, engine: AsyncEngine) -> None:
    assert writer.inline is not None
    shop = await _shop(engine)
    inline, threaded = _commits(writer.inline), _commits(writer.engine)
    await writer.run_small(lambda c: c.execute(RANKINGS, [_row(shop, "inline-1")]))
    assert (len(inline), len(threaded)) == (1, 0)
    assert await _stored(engine, "inline-1") == 1


async def test_a_small_write_waits_on_the_writer_thread_while_another_holds_the_lock(
        writer: SqliteWriter, engine: AsyncEngine, database_url: str) -> None:
    assert writer.inline is not None
    shop = await _shop(engine)
    other = sqlite_file_engine(database_url)
    assert other is not None
    inline, threaded = _commits(writer.inline), _commits(writer.engine)
    holder = other.raw_connection()
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's write in progress
        pending = asyncio.create_task(
            writer.run_small(lambda c: c.execute(RANKINGS, [_row(shop, "queued-1")])))
        await asyncio.sleep(0.3)
        assert not pending.done()  # neither written inline nor lost: waiting for the lock
        holder.execute("COMMIT")
        await asyncio.wait_for(pending, 10)
    finally:
        holder.close()
        other.dispose()
    assert (len(inline), len(threaded)) == (0, 1)
    assert await _stored(engine, "queued-1") == 1


async def test_a_failing_small_write_raises_and_leaves_nothing(
        writer: SqliteWriter, engine: AsyncEngine) -> None:
    shop = await _shop(engine)
    await writer.run_small(lambda c: c.execute(RANKINGS, [_row(shop, "kept-1")]))

    def duplicate_then_more(connection: Connection) -> None:
        connection.execute(RANKINGS, [_row(shop, "fresh-1")])
        connection.execute(RANKINGS, [_row(shop, "kept-1")])  # unique recommendation_id

    with pytest.raises(IntegrityError):
        await writer.run_small(duplicate_then_more)
    assert (await _stored(engine, "fresh-1"), await _stored(engine, "kept-1")) == (0, 1)
    await writer.run_small(lambda c: c.execute(RANKINGS, [_row(shop, "after-1")]))
    assert await _stored(engine, "after-1") == 1  # the inline connection is usable again


async def test_inline_commits_leave_checkpoints_to_the_writer_thread(
        writer: SqliteWriter, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writes_module, "CHECKPOINT_EVERY", 3)
    shop = await _shop(engine)
    checkpoints: list[str] = []
    original = SqliteWriter._checkpoint

    def counted(self: SqliteWriter) -> None:
        checkpoints.append(threading.current_thread().name)
        original(self)

    monkeypatch.setattr(SqliteWriter, "_checkpoint", counted)
    for i in range(7):
        await writer.run_small(lambda c, i=i: c.execute(RANKINGS, [_row(shop, f"cp-{i}")]))
    await writer.run(lambda _c: None)  # one thread, first come first served: after them
    assert len(checkpoints) == 2
    assert all(name.startswith("sqlite-writer") for name in checkpoints)
    assert writer.inline is not None
    with writer.inline.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0


async def test_with_the_fast_paths_off_a_sqlite_file_writes_through_the_session(
        database_url: str, engine: AsyncEngine) -> None:
    plain = writes_for(database_url, create_session_factory(engine), fast=False)
    assert isinstance(plain, SessionWrites)
    shop = await _shop(engine)
    await plain.run_small(lambda c: c.execute(RANKINGS, [_row(shop, "plain-1")]))
    assert await _stored(engine, "plain-1") == 1
