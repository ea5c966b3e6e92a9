"""The events service with its collaborators bound: default consent, observers, and
where a batch is written (``app.storage.writes``, or an event stream for event writers)."""

from collections.abc import Sequence
from datetime import datetime

from app.events.protocol import AcceptedEvent, EventObserver, EventStream
from app.events.service import accept_events, finish, store_events
from app.events.sources import SourceHasher
from app.events.types import Consent, EventIn, TrackResult
from app.ids import ShopId
from app.storage.writes import Writes


class EventTracker:
    def __init__(self, default_consent: Consent, observers: Sequence[EventObserver],
                 writes: Writes, sources: SourceHasher | None = None,
                 stream: EventStream | None = None) -> None:
        """``sources``: keys each event's network address for storage (none kept without).
        ``stream``: where the events to store go instead of the database, while it takes
        them (``app.event_stream``)."""
        self._default = default_consent
        self._observers = list(observers)
        self._writes = writes
        self._sources = sources
        self._stream = stream

    @property
    def stream(self) -> EventStream | None:
        return self._stream

    async def store(self, shop_id: ShopId, events: Sequence[EventIn],
                    now: datetime) -> TrackResult:
        """Validate, then store the batch in a transaction of its own (or hand it to the
        stream); observers hear of what was new once it is committed (or handed over)."""
        result, accepted = accept_events(events, now, self._default)
        if await self._streamed(shop_id, accepted):
            new_ids = {event.event_id for event, _ in accepted}
        else:
            new_ids = await self._writes.run(
                lambda connection: store_events(connection, shop_id, accepted, self._sources))
        return finish(result, shop_id, accepted, new_ids, self._observers)

    async def _streamed(self, shop_id: ShopId,
                        accepted: list[tuple[AcceptedEvent, EventIn]]) -> bool:
        """Whether the stream took the events to store. Only events with analytics consent
        are stored; the others go to the observers alone. Copies of events of earlier
        batches are recognized by the writer, so here every event of the batch is new."""
        if self._stream is None:
            return False
        consenting = [(event, raw) for event, raw in accepted if event.consent.analytics]
        return await self._stream.publish(shop_id, consenting)
