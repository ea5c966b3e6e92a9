"""The events service with its collaborators bound: default consent, observers, and
where a batch is written."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import transaction
from app.events.protocol import EventObserver
from app.events.service import accept_events, finish, store_events, track_events
from app.events.types import Consent, EventIn, TrackResult
from app.ids import ShopId
from app.sqlite_writer import SqliteWriter


class EventTracker:
    def __init__(self, default_consent: Consent, observers: Sequence[EventObserver],
                 sessions: async_sessionmaker[AsyncSession] | None = None,
                 sqlite_writer: SqliteWriter | None = None) -> None:
        self._default = default_consent
        self._observers = list(observers)
        self._sessions = sessions
        self._sqlite_writer = sqlite_writer

    async def track(self, session: AsyncSession, shop_id: ShopId, events: Sequence[EventIn],
                    now: datetime) -> TrackResult:
        """Within the caller's transaction."""
        return await track_events(session, shop_id, events, now, self._default, self._observers)

    async def store(self, shop_id: ShopId, events: Sequence[EventIn],
                    now: datetime) -> TrackResult:
        """In a transaction of its own: on a SQLite file through its writer thread, in one
        hand-over; otherwise in a session."""
        if self._sqlite_writer is None:
            if self._sessions is None:
                raise RuntimeError("an EventTracker without sessions records through track()")
            async with transaction(self._sessions) as session:
                return await self.track(session, shop_id, events, now)
        result, accepted = accept_events(events, now, self._default)
        new_ids = await self._sqlite_writer.run(
            lambda connection: store_events(connection, shop_id, accepted))
        return finish(result, shop_id, accepted, new_ids, self._observers)
