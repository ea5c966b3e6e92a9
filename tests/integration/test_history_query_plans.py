"""A shopper's history is read through an index on shop and shopper, never by walking the
shop: SQLite's plan for every such read, as the code issues it."""

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import migrate
from app.customer_data import CustomerRef
from app.events.privacy import EventsStore
from app.events.queries import customer_of, recent_events, visitors_of
from app.ids import ShopId
from app.privacy.stores import OrdersStore
from app.profiles.history import customer_orders
from app.storage.database import create_engine

SHOP = ShopId(1)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SINCE = NOW - timedelta(days=90)
# What a plan must not do: walk a history table, or range over a whole shop of it.
WHOLE_SHOP = ("SCAN events", "SCAN orders", "SCAN visitor_links", "SCAN rankings",
              "ix_events_shop_id (", "ix_orders_shop_id (", "ix_visitor_links_shop_id (",
              "ix_rankings_shop_id (")

Read = Callable[[AsyncSession], Awaitable[object]]
READS: dict[str, Read] = {
    "recent events of visitors": lambda s: recent_events(s, SHOP, ["v1", "v2"], None, SINCE),
    "recent events of a customer": lambda s: recent_events(s, SHOP, [], "c1", SINCE),
    "recent events of both": lambda s: recent_events(s, SHOP, ["v1"], "c1", SINCE),
    "customer of a visitor": lambda s: customer_of(s, SHOP, "v1"),
    "visitors of a customer": lambda s: visitors_of(s, SHOP, "c1"),
    "orders of a customer": lambda s: customer_orders(s, SHOP, "c1", NOW),
    "events export": lambda s: EventsStore().export(s, CustomerRef(SHOP, "c1")),
    "events erasure": lambda s: EventsStore().erase(s, CustomerRef(SHOP, "c1")),
    "orders export": lambda s: OrdersStore().export(
        s, CustomerRef(SHOP, "c1", order_ids=("o1", "o2"))),
}


@pytest.fixture
async def migrated(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Path]]:
    path = tmp_path / "plans.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    yield engine, path
    await engine.dispose()


async def _statements(engine: AsyncEngine, read: Read) -> list[tuple[str, Any]]:
    issued: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        issued.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with AsyncSession(engine) as session:
            await read(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    return issued


@pytest.mark.parametrize("name", list(READS))
async def test_a_shoppers_history_is_read_by_index(
        migrated: tuple[AsyncEngine, Path], name: str) -> None:
    engine, path = migrated
    statements = await _statements(engine, READS[name])
    assert statements, f"{name}: no statement issued"
    with sqlite3.connect(path) as connection:
        for statement, parameters in statements:
            plan = [row[3] for row in connection.execute(
                f"EXPLAIN QUERY PLAN {statement}", parameters)]
            walks = [step for step in plan if any(bad in step for bad in WHOLE_SHOP)]
            assert not walks, f"{name}: {walks} in the plan of {statement}"
