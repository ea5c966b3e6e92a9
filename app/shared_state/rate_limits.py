"""Rate limits counted across every server process.

Each process decides from its own token buckets (no Redis round trip on the request path);
every few hundredths of a second it publishes what it admitted per limit and caller, and
takes what the others published from its own buckets. A caller spreading requests over N
processes thus meets one limit, give or take one publishing interval of its traffic. With
Redis down each process limits on its own, as with one process, and shares again when Redis
answers."""

import asyncio
import json
import uuid
from collections import Counter

from app.http.rate_limit import RateLimits
from app.shared_state.connection import RedisLink, SharedStateUnavailable, publish_all
from app.shared_state.subscriber import publish_and_listen

PUBLISH_SECONDS = 0.05
MAX_CALLERS_PER_MESSAGE = 200
MAX_CALLER_CHARS = 1024
MAX_PENDING = 50_000


class SharedRateLimits:
    """Keeps ``limits`` in step with the other processes' through ``link``."""

    def __init__(self, limits: RateLimits, link: RedisLink, origin: str | None = None) -> None:
        self.limits = limits
        self._link = link
        self.origin = origin or uuid.uuid4().hex
        self.channel = link.key("rate-limits")
        self.subscribed = asyncio.Event()
        self._pending: Counter[tuple[str, str]] = Counter()
        limits.listener = self.note

    def note(self, limit: str, caller: str, cost: int) -> None:
        """An admitted charge of this process, to publish (dropped past ``MAX_PENDING``
        callers: the others then under-count, as without Redis)."""
        if len(self._pending) < MAX_PENDING or (limit, caller) in self._pending:
            self._pending[(limit, caller)] += cost

    async def run(self, stop: asyncio.Event) -> None:
        await publish_and_listen(self._link, self.channel, self._receive, self.publish,
                                 PUBLISH_SECONDS, stop, self.subscribed)

    async def publish(self) -> None:
        """Publishes (or, with Redis down, drops) what was admitted since the last time."""
        pending, self._pending = self._pending, Counter()
        items = list(pending.items())
        messages = [self._message(items[i:i + MAX_CALLERS_PER_MESSAGE])
                    for i in range(0, len(items), MAX_CALLERS_PER_MESSAGE)]
        if not messages:
            return
        try:
            await self._link.call(lambda client: publish_all(client, self.channel, messages))
        except SharedStateUnavailable:
            pass

    def _message(self, items: list[tuple[tuple[str, str], int]]) -> bytes:
        charges = [[limit, caller, cost] for (limit, caller), cost in items]
        return json.dumps({"origin": self.origin, "charges": charges},
                          separators=(",", ":")).encode()

    def _receive(self, _channel: str, data: bytes) -> None:
        message = json.loads(data)
        if not isinstance(message, dict) or message.get("origin") == self.origin:
            return
        charges = message.get("charges")
        if not isinstance(charges, list):
            return
        for entry in charges[:MAX_CALLERS_PER_MESSAGE]:
            if (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)
                    and isinstance(entry[1], str) and len(entry[1]) <= MAX_CALLER_CHARS
                    and type(entry[2]) is int and entry[2] > 0):
                self.limits.take_elsewhere(entry[0], entry[1], entry[2])

