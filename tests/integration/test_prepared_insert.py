"""A prepared insert stores exactly what Core's ``execute`` stores, on each database."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.models import Ranking
from app.events.rankings import RANKINGS
from app.storage.database import create_session_factory, sqlite_file_engine, transaction
from app.storage.prepared import PreparedInsert
from tests.factories import make_shop, shop_id

TABLE = Ranking.metadata.tables[Ranking.__tablename__]
NOW = datetime.now(UTC)  # recent: other tests' retention runs leave these rows alone
COLUMNS = "shop_id, placement, visitor_id, customer_id, product_ids, reasons, model_version, created_at"


def _row(shop: int, rid: str, **changes: Any) -> dict[str, Any]:
    return {"shop_id": shop, "recommendation_id": rid, "placement": "SEARCH",
            "visitor_id": "v-1", "customer_id": None, "product_ids": ["p1", "Crème brûlée"],
            "reasons": [["BOUGHT_BEFORE", "QUERY_MATCH"], ["SEARCH_ORDER"]],
            "model_version": "search:abc", "created_at": NOW, **changes}


async def _shop(engine: AsyncEngine) -> int:
    async with transaction(create_session_factory(engine)) as session:
        return shop_id(await make_shop(session))


@pytest.fixture
def sync_sqlite(database_url: str) -> Iterator[Engine]:
    engine = sqlite_file_engine(database_url)
    assert engine is not None, "the driver's own executemany is for SQLite files"
    yield engine
    engine.dispose()


@pytest.mark.sqlite_only
async def test_rows_are_stored_as_core_stores_them(engine: AsyncEngine, sync_sqlite: Engine) -> None:
    shop = await _shop(engine)
    prepared = PreparedInsert(TABLE)
    with sync_sqlite.begin() as connection:
        prepared.run(connection, [_row(shop, "prepared-1"), _row(shop, "prepared-2", visitor_id=None)])
        connection.execute(insert(TABLE), [_row(shop, "core-1"), _row(shop, "core-2", visitor_id=None)])
    with sync_sqlite.connect() as connection:
        raw = {rid: rest for rid, *rest in connection.execute(text(
            f"SELECT recommendation_id, {COLUMNS} FROM rankings ORDER BY id"))}
    assert raw["prepared-1"] == raw["core-1"] and raw["prepared-2"] == raw["core-2"]
    assert raw["prepared-1"] != raw["prepared-2"]
    async with transaction(create_session_factory(engine)) as session:
        stored = (await session.execute(select(Ranking).where(
            Ranking.recommendation_id == "prepared-1"))).scalar_one()
    expected = _row(shop, "prepared-1")
    assert [stored.product_ids, stored.reasons, stored.created_at, stored.visitor_id] == [
        expected["product_ids"], expected["reasons"], expected["created_at"], "v-1"]


@pytest.mark.sqlite_only
async def test_a_missing_column_is_refused_and_nothing_is_stored(
        engine: AsyncEngine, sync_sqlite: Engine) -> None:
    shop = await _shop(engine)
    row = _row(shop, "partial-1")
    del row["created_at"]  # its default would be computed by Core, not here
    with pytest.raises(ValueError, match="created_at"), sync_sqlite.begin() as connection:
        PreparedInsert(TABLE).run(connection, [row])
    with sync_sqlite.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rankings WHERE shop_id = :shop"),
                                  {"shop": shop}).scalar() == 0


async def test_other_drivers_go_through_core(engine: AsyncEngine) -> None:
    shop = await _shop(engine)
    async with engine.begin() as connection:  # aiosqlite or asyncpg: Core's own execute
        await connection.run_sync(lambda sync: PreparedInsert(TABLE).run(
            sync, [_row(shop, "async-1", customer_id="c-9")]))
    async with transaction(create_session_factory(engine)) as session:
        stored = (await session.execute(select(Ranking).where(
            Ranking.recommendation_id == "async-1"))).scalar_one()
    assert (stored.customer_id, stored.product_ids) == ("c-9", ["p1", "Crème brûlée"])


@pytest.mark.sqlite_only
async def test_served_lists_store_the_same_json_values(engine: AsyncEngine,
                                                       sync_sqlite: Engine) -> None:
    shop = await _shop(engine)
    with sync_sqlite.begin() as connection:
        PreparedInsert(RANKINGS.table, dict(RANKINGS.encoders)).run(
            connection, [_row(shop, "encoded-1")])
        connection.execute(insert(TABLE), [_row(shop, "core-3")])
    with sync_sqlite.connect() as connection:
        raw = {rid: rest for rid, *rest in connection.execute(text(
            f"SELECT recommendation_id, {COLUMNS} FROM rankings WHERE shop_id = :shop"),
            {"shop": shop})}
    json_at = [COLUMNS.split(", ").index(name) for name in ("product_ids", "reasons")]
    for i, (encoded, core) in enumerate(zip(raw["encoded-1"], raw["core-3"], strict=True)):
        if i in json_at:  # compact, the same value
            assert encoded != core and json.loads(encoded) == json.loads(core)
        else:
            assert encoded == core
