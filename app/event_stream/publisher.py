"""A server's side of the stream: append a batch's events, or say that it could not.

One round trip (a pipeline of XADDs, each ``MAXLEN ~`` the cap) through the process's
Redis link, whose breaker refuses at once while Redis is down: the tracker then writes the
batch to the database itself, so an event is never lost nor answered with an error. An
XADD whose answer is lost may have been appended all the same: the database write that
follows and the writer's later one store the event once (its ``eventId``)."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from app.event_stream.codec import encode_entries
from app.events.protocol import AcceptedEvent
from app.events.sources import SourceKeys
from app.events.types import EventIn
from app.ids import ShopId
from app.shared_state.connection import RedisLink, SharedStateUnavailable

log = logging.getLogger(__name__)


@dataclass
class PublishCounts:
    """What this process handed over: entries appended, batches written directly."""

    entries: int = 0
    events: int = 0
    fallbacks: int = 0


class StreamPublisher:
    """Appends accepted events to the stream ``key`` (at most about ``max_entries``)."""

    def __init__(self, link: RedisLink, key: str, max_entries: int,
                 sources: SourceKeys | None = None) -> None:
        self._link = link
        self._key = key
        self._max_entries = max_entries
        self._sources = sources
        self.counts = PublishCounts()

    async def publish(self, shop_id: ShopId,
                      accepted: Sequence[tuple[AcceptedEvent, EventIn]]) -> bool:
        if not accepted:
            return True
        entries = encode_entries(shop_id, accepted, self._sources)

        async def append(client: Redis) -> None:
            pipe = client.pipeline(transaction=False)
            for entry in entries:
                pipe.xadd(self._key, entry,  # type: ignore[arg-type]
                          maxlen=self._max_entries, approximate=True)
            await pipe.execute()

        try:
            await self._link.call(append)
        except SharedStateUnavailable:
            self.counts.fallbacks += 1
            if self.counts.fallbacks == 1 or self.counts.fallbacks % 1000 == 0:
                log.warning("events stream unavailable: %d batches written directly",
                            self.counts.fallbacks)
            return False
        self.counts.entries += len(entries)
        self.counts.events += len(accepted)
        return True
