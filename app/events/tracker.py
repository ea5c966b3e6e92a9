"""The events service with its collaborators bound: default consent, observers, and
where a batch is written (``app.storage.writes``)."""

from collections.abc import Sequence
from datetime import datetime

from app.events.protocol import EventObserver
from app.events.service import accept_events, finish, store_events
from app.events.sources import SourceHasher
from app.events.types import Consent, EventIn, TrackResult
from app.ids import ShopId
from app.storage.writes import Writes


class EventTracker:
    def __init__(self, default_consent: Consent, observers: Sequence[EventObserver],
                 writes: Writes, sources: SourceHasher | None = None) -> None:
        """``sources``: keys each event's network address for storage (none kept without)."""
        self._default = default_consent
        self._observers = list(observers)
        self._writes = writes
        self._sources = sources

    async def store(self, shop_id: ShopId, events: Sequence[EventIn],
                    now: datetime) -> TrackResult:
        """Validate, then store the batch in a transaction of its own; observers hear of
        what was new once it is committed."""
        result, accepted = accept_events(events, now, self._default)
        new_ids = await self._writes.run(
            lambda connection: store_events(connection, shop_id, accepted, self._sources))
        return finish(result, shop_id, accepted, new_ids, self._observers)
