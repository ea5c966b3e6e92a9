"""Served lists are the server's own records: on PostgreSQL their commit does not wait for
the disk (``synchronous_commit = off`` for that transaction only); every other write still
does, and the rows are visible to every reader once ``insert_rows`` returns."""

from typing import Any

from sqlalchemy import Connection, event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.models import Ranking
from app.events.rankings import RANKINGS
from app.storage.database import create_session_factory, transaction
from app.storage.row_inserts import RowsInto
from app.storage.writes import SessionWrites
from tests.factories import make_shop, shop_id

DURABLE_RANKINGS = RowsInto(RANKINGS.table, RANKINGS.encoders)


def _row(shop: int, rid: str) -> dict[str, Any]:
    return {"shop_id": shop, "recommendation_id": rid, "placement": "HOME",
            "product_ids": ["p1"], "reasons": [["POPULAR"]]}


def _statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def record(_conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split()[0].upper() + " " + " ".join(statement.split()[1:3]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_served_lists_commit_without_waiting_for_the_disk_on_postgresql(
        engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    seen = _statements(engine)
    writes = SessionWrites(sessions)

    await writes.insert_rows(RANKINGS, [_row(shop, "fast-1"), _row(shop, "fast-2")])
    served = list(seen)
    seen.clear()
    await writes.insert_rows(DURABLE_RANKINGS, [_row(shop, "durable-1")])

    on_postgres = engine.dialect.name == "postgresql"
    if on_postgres:
        assert served[0] == "SET LOCAL synchronous_commit"
    else:  # SQLite's WAL at synchronous=NORMAL does not wait for the disk at a commit anyway
        assert not any(s.startswith("SET") for s in served)
    assert any(s.startswith("INSERT INTO rankings") for s in served)
    assert not any(s.startswith("SET") for s in seen)  # other writes wait for the disk
    async with transaction(sessions) as session:
        stored = (await session.execute(select(Ranking.recommendation_id).where(
            Ranking.shop_id == shop).order_by(Ranking.recommendation_id))).scalars().all()
        assert stored == ["durable-1", "fast-1", "fast-2"]
        if on_postgres:  # SET LOCAL ended with its transaction: the pooled connection is as before
            assert (await session.execute(text("SHOW synchronous_commit"))).scalar() == "on"
