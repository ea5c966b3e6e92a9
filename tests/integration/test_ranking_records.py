"""Served lists are recorded before they are returned, in shared transactions under load."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.snapshot import CatalogProduct
from app.events.models import Ranking
from app.events.rankings import RankingRecorder
from app.events.retention import ServedListRetention
from app.ids import ShopId
from app.recommendations.types import Reason, RecommendationList, ScoredProduct
from app.storage.database import create_session_factory, transaction, utcnow
from app.storage.sqlite_writes import SqliteWriter
from app.storage.writes import Writes
from tests.factories import make_shop, shop_id
from tests.fakes import SlowWrites


def _writer_engines(writes: Writes, engine: AsyncEngine) -> list[Engine]:
    """The engines whose commits are the writes' (inline and the writer thread's)."""
    if isinstance(writes, SqliteWriter):
        return [writes.engine, *([writes.inline] if writes.inline is not None else [])]
    return [engine.sync_engine]


def _served(n: int) -> RecommendationList:
    items = [ScoredProduct(CatalogProduct(i, f"p{i}", f"Product {i}"), 1.0 / (i + 1),
                           [Reason("POPULAR", "Popular in this shop")]) for i in range(n)]
    return RecommendationList(uuid.uuid4().hex, items, "test-model")



async def test_lists_served_during_a_write_are_committed_together(
        engine: AsyncEngine, writes: Writes) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    commits: list[Any] = []

    def count(_connection: Any) -> None:
        commits.append(1)

    committers = _writer_engines(writes, engine)
    for committer in committers:
        event.listen(committer, "commit", count)
    try:
        recorder = RankingRecorder(SlowWrites(writes))
        lists = [_served(3) for _ in range(30)]
        # The first writes its own list; the 29 served meanwhile wait and form one group.
        await asyncio.gather(*(recorder.record(shop, "HOME", f"v{i}", None, served)
                               for i, served in enumerate(lists)))
    finally:
        for committer in committers:
            event.remove(committer, "commit", count)
    assert len(commits) == 2
    async with transaction(sessions) as session:
        rows = {r.recommendation_id: r for r in (await session.execute(
            select(Ranking).where(Ranking.shop_id == shop))).scalars()}
    assert set(rows) == {served.recommendation_id for served in lists}
    first = rows[lists[0].recommendation_id]
    assert (first.placement, first.visitor_id, first.product_ids, first.reasons,
            first.model_version) == ("HOME", "v0", ["p0", "p1", "p2"], [["POPULAR"]] * 3,
                                     "test-model")


async def test_a_lone_list_is_written_by_its_own_request(
        engine: AsyncEngine, writes: Writes, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    tasks: list[object] = []
    create_task = asyncio.create_task

    def counted(*args: Any, **kwargs: Any) -> Any:
        tasks.append(args[0])
        return create_task(*args, **kwargs)

    recorder = RankingRecorder(writes)
    monkeypatch.setattr(asyncio, "create_task", counted)
    for visitor in ("a", "b", "c"):  # one after another: never a group writer
        await recorder.record(shop, "HOME", visitor, None, _served(2))
    monkeypatch.undo()
    assert tasks == []


async def test_a_failed_write_is_reported_to_every_waiting_request(
        engine: AsyncEngine, writes: Writes) -> None:
    sessions = create_session_factory(engine)
    recorder = RankingRecorder(writes)
    missing_shop = ShopId(10**9)  # the foreign key refuses it
    outcomes = await asyncio.gather(
        *(recorder.record(missing_shop, "HOME", None, None, _served(1)) for _ in range(3)),
        return_exceptions=True)
    assert all(isinstance(o, Exception) for o in outcomes)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    served = _served(2)
    await recorder.record(shop, "CART", None, "c1", served)  # the recorder goes on
    async with transaction(sessions) as session:
        stored = await session.scalar(select(func.count()).select_from(Ranking).where(
            Ranking.recommendation_id == served.recommendation_id))
    assert stored == 1


async def test_a_lone_request_waits_for_its_own_commit(
        engine: AsyncEngine, writes: Writes) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    served = _served(1)
    await RankingRecorder(writes).record(shop, "PRODUCT", "v", None, served)
    async with transaction(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Ranking).where(
            Ranking.recommendation_id == served.recommendation_id)) == 1


async def test_served_lists_past_their_retention_are_deleted_in_batches(
        engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    now = utcnow()
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
        ages = {f"old-{i}-{uuid.uuid4().hex[:8]}": 40 + i for i in range(5)}
        ages |= {f"recent-{i}-{uuid.uuid4().hex[:8]}": 29 - i for i in range(2)}
        session.add_all(Ranking(shop_id=shop, recommendation_id=rid, placement="HOME",
                                product_ids=["p1"], reasons=[["POPULAR"]],
                                created_at=now - timedelta(days=age))
                        for rid, age in ages.items())

    async def kept() -> set[str]:
        async with transaction(sessions) as session:
            return set((await session.execute(select(Ranking.recommendation_id).where(
                Ranking.shop_id == shop))).scalars())

    assert await ServedListRetention(sessions, days=0).run_once(now) == 0  # kept forever
    assert len(await kept()) == 7
    retention = ServedListRetention(sessions, days=30, batch=2)
    assert await retention.run_once(now) == 5  # three batches: 2, 2, 1
    assert await kept() == {rid for rid in ages if rid.startswith("recent")}
    assert await retention.run_once(now) == 0  # nothing left to delete: a rerun is a no-op
    assert await retention.run_if_due() == 0
    assert len(await kept()) == 2
