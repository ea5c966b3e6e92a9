"""What the stream tests share: a tracker on the stream, events, and what is stored."""

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.event_stream.publisher import StreamPublisher
from app.events.models import Event, VisitorLink
from app.events.protocol import AcceptedEvent
from app.events.sources import SourceHasher
from app.events.tracker import EventTracker
from app.events.types import FULL_CONSENT, EventIn
from app.ids import ShopId
from app.storage.database import transaction
from app.storage.writes import SessionWrites

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HASHER = SourceHasher(b"s" * 32)


class Heard:
    """An observer that keeps what it was told (the live session's place)."""

    def __init__(self) -> None:
        self.events: list[AcceptedEvent] = []

    def observe(self, shop_id: ShopId, event: AcceptedEvent) -> None:
        self.events.append(event)


def tracker(sessions: async_sessionmaker[AsyncSession], publisher: StreamPublisher | None,
            heard: Heard) -> EventTracker:
    return EventTracker(FULL_CONSENT, [heard], SessionWrites(sessions), HASHER, publisher)


def views(prefix: str, count: int, visitor: str = "v1") -> list[EventIn]:
    return [EventIn(type="PRODUCT_VIEWED", visitor_id=visitor, event_id=f"{prefix}-{i}",
                    product_id=f"p{i}", occurred_at=NOW) for i in range(count)]


async def stored_ids(sessions: async_sessionmaker[AsyncSession],
                     shop: ShopId) -> Counter[str]:
    """How many rows each event id has in the shop's events."""
    async with transaction(sessions) as session:
        rows = await session.execute(select(Event.event_id).where(Event.shop_id == shop))
        return Counter(str(r[0]) for r in rows)


async def stored_events(sessions: async_sessionmaker[AsyncSession],
                        shop: ShopId) -> dict[str, Event]:
    async with transaction(sessions) as session:
        rows = (await session.execute(select(Event).where(Event.shop_id == shop))).scalars()
        return {row.event_id: row for row in rows}


async def links(sessions: async_sessionmaker[AsyncSession], shop: ShopId) -> dict[str, str]:
    async with transaction(sessions) as session:
        rows = await session.execute(select(VisitorLink.visitor_id, VisitorLink.customer_id)
                                     .where(VisitorLink.shop_id == shop))
        return {str(v): str(c) for v, c in rows}
