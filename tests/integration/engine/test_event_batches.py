"""A batch of events is written in one statement: copies within a batch, across batches
and across concurrent transactions are stored once, and identities join per batch."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.events.models import Event, VisitorLink
from app.events.protocol import AcceptedEvent
from app.events.service import track_events
from app.events.tracker import EventTracker
from app.events.types import FULL_CONSENT, Consent, EventIn, TrackResult
from app.ids import ShopId
from app.storage.database import create_session_factory, transaction
from app.storage.writes import Writes
from tests.factories import make_shop, shop_id

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
NO_ANALYTICS = Consent(analytics=False, personalization=True)


class Heard:
    def __init__(self) -> None:
        self.events: list[AcceptedEvent] = []

    def observe(self, shop_id: ShopId, event: AcceptedEvent) -> None:
        self.events.append(event)


def view(event_id: str, visitor: str = "v1", **extra: object) -> EventIn:
    return EventIn(type="PRODUCT_VIEWED", visitor_id=visitor, event_id=event_id,
                   product_id="p1", **extra)  # type: ignore[arg-type]


async def _stored(session: AsyncSession, shop: ShopId) -> list[str]:
    stmt = select(Event.event_id).where(Event.shop_id == shop).order_by(Event.event_id)
    return list((await session.execute(stmt)).scalars())


async def test_copies_within_and_across_batches_are_stored_once(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    heard = Heard()
    first = await track_events(session, shop, [view("a"), view("b"), view("a")], NOW,
                               FULL_CONSENT, [heard])
    assert (first.accepted, first.duplicates) == (2, 1)
    second = await track_events(session, shop, [view("b"), view("c")], NOW, FULL_CONSENT, [heard])
    assert (second.accepted, second.duplicates) == (1, 1)
    assert await _stored(session, shop) == ["a", "b", "c"]
    assert [e.event_id for e in heard.events] == ["a", "b", "c"]


async def test_rejected_events_leave_the_rest_of_the_batch_stored(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    batch = [view("a"), EventIn(type="SEARCH_SUBMITTED", visitor_id="v1", event_id="b"),
             view("c", quantity=-1)]
    result = await track_events(session, shop, batch, NOW, FULL_CONSENT)
    assert result.accepted == 1
    assert [r.index for r in result.rejected] == [1, 2]
    assert await _stored(session, shop) == ["a"]


async def test_ids_longer_than_their_columns_are_rejected_not_failing_the_batch(
    session: AsyncSession,
) -> None:
    shop = shop_id(await make_shop(session))
    long = "x" * 65
    batch = [view("a"), EventIn(type="PRODUCT_VIEWED", visitor_id="v1", event_id="b", product_id=long),
             view("c", variant_id=long), view("d", recommendation_id=long), view("e")]
    result = await track_events(session, shop, batch, NOW, FULL_CONSENT)
    assert [r.index for r in result.rejected] == [1, 2, 3]
    assert "longer than 64" in result.rejected[0].reason
    assert await _stored(session, shop) == ["a", "e"]


async def test_events_without_analytics_consent_are_heard_not_stored(
    session: AsyncSession,
) -> None:
    shop = shop_id(await make_shop(session))
    await track_events(session, shop, [view("a")], NOW, FULL_CONSENT)
    heard = Heard()
    result = await track_events(session, shop, [view("a", consent=NO_ANALYTICS),
                                                view("z", consent=NO_ANALYTICS)],
                                NOW, FULL_CONSENT, [heard])
    assert (result.accepted, result.duplicates) == (1, 1)
    assert [e.event_id for e in heard.events] == ["z"]
    assert await _stored(session, shop) == ["a"]


async def test_the_same_event_id_in_two_shops_is_two_events(session: AsyncSession) -> None:
    one, two = shop_id(await make_shop(session)), shop_id(await make_shop(session))
    assert (await track_events(session, one, [view("a")], NOW, FULL_CONSENT)).accepted == 1
    assert (await track_events(session, two, [view("a")], NOW, FULL_CONSENT)).accepted == 1


async def test_the_latest_login_of_a_visitor_wins(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await track_events(session, shop, [view("a", customer_id="c1"), view("b", visitor="v2")],
                       NOW, FULL_CONSENT)
    await track_events(session, shop, [view("c", customer_id="c2"), view("d", customer_id="c3"),
                                       view("e", visitor="v2", customer_id="c4")],
                       NOW, FULL_CONSENT)
    links = (await session.execute(select(VisitorLink.visitor_id, VisitorLink.customer_id).where(
        VisitorLink.shop_id == shop).order_by(VisitorLink.visitor_id))).all()
    assert [tuple(link) for link in links] == [("v1", "c3"), ("v2", "c4")]


Store = Callable[[ShopId, list[EventIn]], Awaitable[TrackResult]]


@pytest.fixture
def store(writes: Writes) -> Store:
    """``trackEvents``' way of writing a batch, through each of the server's ``Writes``."""
    tracker = EventTracker(FULL_CONSENT, [], writes)
    return lambda shop, batch: tracker.store(shop, batch, NOW)


async def test_concurrent_copies_of_a_batch_store_each_event_once(
        engine: AsyncEngine, store: Store) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    batch = [view(f"e{n}", visitor=f"v{n % 3}", customer_id=f"c{n % 3}") for n in range(20)]

    async def send() -> tuple[int, int]:
        result = await store(shop, batch)
        return result.accepted, result.duplicates

    outcomes = await asyncio.gather(*(send() for _ in range(4)))
    assert sum(accepted for accepted, _ in outcomes) == 20
    assert all(accepted + duplicates == 20 for accepted, duplicates in outcomes)
    async with transaction(sessions) as session:
        count = select(func.count()).select_from(Event).where(Event.shop_id == shop)
        assert (await session.execute(count)).scalar_one() == 20
        links = select(func.count()).select_from(VisitorLink).where(VisitorLink.shop_id == shop)
        assert (await session.execute(links)).scalar_one() == 3


async def test_a_stored_batch_is_settled_as_in_a_session(engine: AsyncEngine, store: Store) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = shop_id(await make_shop(session))
    first = await store(shop, [view("a"), view("b"), view("a"), view("c", quantity=-1)])
    assert (first.accepted, first.duplicates, [r.index for r in first.rejected]) == (2, 1, [3])
    second = await store(shop, [view("b"), view("z", consent=NO_ANALYTICS),
                                view("d", customer_id="c9")])
    assert (second.accepted, second.duplicates) == (2, 1)
    async with transaction(sessions) as session:
        assert await _stored(session, shop) == ["a", "b", "d"]
        links = (await session.execute(select(VisitorLink.visitor_id, VisitorLink.customer_id)
                                       .where(VisitorLink.shop_id == shop))).all()
        assert [tuple(link) for link in links] == [("v1", "c9")]
