"""A lookup answers as ``execute`` does: prepared and inline on a SQLite file, through the
session elsewhere."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.models import Event, VisitorLink
from app.events.queries import CUSTOMER_OF, RECENT, VISITORS_OF, customer_of, visitors_of
from app.events.storage import link_visitors
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_order
from app.profiles.history import CUSTOMER_ORDERS, customer_orders
from app.storage.database import create_session_factory, transaction
from app.storage.reads import Lookup, Reader, SessionReads, reads_for
from app.storage.sqlite_reads import InlineReads
from tests.factories import at, make_shop, shop_id

UNTIL = at("2024-06-01T00:00:00+00:00")


@pytest.fixture
async def shop(engine: AsyncEngine) -> AsyncIterator[int]:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
        for n, (customer, when) in enumerate([("c-1", "2024-03-01T10:00:00+00:00"),
                                              ("c-1", "2024-04-02T11:30:00+00:00"),
                                              ("c-2", "2024-05-01T09:00:00+00:00"),
                                              ("c-1", "2024-07-01T00:00:00+00:00")]):  # too late
            lines = (OrderLineChange(f"l{n}a", "p1", None, 1), OrderLineChange(f"l{n}b", f"p{n + 2}", None, 2))
            await record_order(session, shop, OrderChange(f"o{n}", customer, at(when), lines))
        await session.run_sync(lambda sync: link_visitors(
            sync.connection(), shop, {"v-1": "c-1", "v-2": "c-1", "v-3": "c-2"}))
        session.add_all(Event(shop_id=shop, event_id=f"e{n}", type="PRODUCT_VIEWED",
                              visitor_id=visitor, customer_id=customer, product_id=f"p{n}",
                              personalization=n != 4,  # the fifth without consent
                              occurred_at=at(f"2024-05-{10 + n:02d}T08:00:00+00:00"))
                        for n, (visitor, customer) in enumerate(
                            [("v-1", None), ("v-2", "c-1"), ("v-3", None), ("v-9", "c-1"),
                             ("v-1", None), ("v-2", None)]))
    yield shop


async def _through_both(database_url: str, engine: AsyncEngine, read: Lookup,
                        params: dict[str, object]) -> tuple[list[tuple[object, ...]], ...]:
    """The rows of ``execute`` on the session, and of the lookup on each reader: the fast
    one, the plain one (the fast paths off) and the session itself."""
    sessions = create_session_factory(engine)
    reads, plain = reads_for(database_url), reads_for(database_url, fast=False)
    assert isinstance(plain, SessionReads)
    try:
        async with transaction(sessions) as session:
            executed = [tuple(r) for r in (await session.execute(read.statement, params)).all()]
            async with reads.reader(session) as reader:
                prepared = await read.rows(reader, params)
            async with plain.reader(session) as reader:
                plain_rows = await read.rows(reader, params)
            session_rows = await read.rows(session, params)
    finally:
        reads.dispose()
    assert plain_rows == session_rows
    return executed, prepared, session_rows


async def test_rows_match_execute(database_url: str, engine: AsyncEngine, shop: int) -> None:
    cases = [(CUSTOMER_ORDERS, {"shop_id": shop, "customer_id": "c-1", "until": UNTIL}),
             (VISITORS_OF, {"shop_id": shop, "customer_id": "c-1"}),
             (CUSTOMER_OF, {"shop_id": shop, "visitor_id": "v-3"}),
             (CUSTOMER_OF, {"shop_id": shop, "visitor_id": "nobody"}),
             *((read, {"shop_id": shop, "visitor_ids": visitors, "customer_id": customer,
                       "since": at("2024-05-11T00:00:00+00:00"), "limit": 3})
               for (by_visitors, by_customer), read in RECENT.items()
               for visitors in (["v-1"], ["v-1", "v-2", "v-3"])
               for customer in ("c-1",) if by_visitors or by_customer)]
    for read, params in cases:
        executed, prepared, session_rows = await _through_both(database_url, engine, read, params)
        assert prepared == executed == session_rows, read.statement
    orders, _, _ = await _through_both(database_url, engine, CUSTOMER_ORDERS, cases[0][1])
    assert len(orders) == 4 and orders[0][1] == at("2024-03-01T10:00:00+00:00")  # aware, UTC
    recent, _, _ = await _through_both(database_url, engine, RECENT[(True, True)], cases[-1][1])
    assert [r[0] for r in recent] == ["p5", "p3", "p2"]  # newest first, consented, limited


@pytest.mark.sqlite_only
async def test_the_profile_queries_answer_inline(database_url: str, engine: AsyncEngine,
                                                 shop: int) -> None:
    reads = reads_for(database_url)
    assert isinstance(reads, InlineReads), "inline reads are for SQLite files"
    try:
        async with (transaction(create_session_factory(engine)) as session,
                    reads.reader(session) as reader):
            found = (await customer_of(reader, shop, "v-2"),
                     sorted(await visitors_of(reader, shop, "c-1")),
                     await customer_orders(reader, shop, "c-1", UNTIL))
    finally:
        reads.dispose()
    assert found == ("c-1", ["v-1", "v-2"], [
        (at("2024-03-01T10:00:00+00:00"), ["p1", "p2"]),
        (at("2024-04-02T11:30:00+00:00"), ["p1", "p3"])])


@pytest.mark.sqlite_only
async def test_lists_of_any_length_and_missing_values(database_url: str, engine: AsyncEngine,
                                                      shop: int) -> None:
    reads = reads_for(database_url)
    assert isinstance(reads, InlineReads), "inline reads are for SQLite files"
    read = Lookup(select(VisitorLink.customer_id).where(
        VisitorLink.shop_id == bindparam("shop_id"),
        VisitorLink.visitor_id.in_(bindparam("visitor_ids", expanding=True)))
        .order_by(VisitorLink.visitor_id))
    try:
        async with (transaction(create_session_factory(engine)) as session,
                    reads.reader(session) as reader):
            inline: Reader = reader
            for visitors in ([], ["v-3"], ["v-1", "v-3"], ["v-2", "v-3", "nobody"], ["v-1"]):
                params = {"shop_id": shop, "visitor_ids": visitors}
                expected = [tuple(r) for r in (await session.execute(read.statement, params))]
                assert await read.rows(inline, params) == expected, visitors
            with pytest.raises(ValueError, match="shop_id"):
                await read.rows(inline, {"visitor_ids": ["v-1"]})
    finally:
        reads.dispose()
