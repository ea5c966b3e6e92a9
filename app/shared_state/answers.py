"""Non-personalized answers shared by every server process: each computed once per version.

The answers a CDN may cache (``app.http.edge_cache``) are the same for every anonymous
shopper of a shop; behind a load balancer, each of N processes would still compute each one
(a miss per process, and again at each revalidation). Kept in Redis for the edge cache's
``max-age``, under a key naming everything the answer was computed from, the first process
computes and the others read it: one round trip instead of a ranking. Every process then
serves the same bytes, so the same ``ETag``, and a CDN's revalidation gets its 304 from
whichever server it reaches. With Redis down, each process computes for itself."""

import asyncio
import hashlib
from collections.abc import Sequence

from app.shared_state.connection import RedisLink, SharedStateUnavailable

MAX_ANSWER_BYTES = 256 * 1024
"""Larger answers (far past 100 items of 100 products) are computed, never stored."""


class SharedAnswers:
    """Answer bodies in Redis by what they were computed from, for ``ttl_seconds``."""

    def __init__(self, link: RedisLink, ttl_seconds: int,
                 max_bytes: int = MAX_ANSWER_BYTES) -> None:
        self._link = link
        self._ttl = ttl_seconds
        self._max_bytes = max_bytes
        self._writes: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        """Whether a read may try now (kept for at least a second; Redis not known down)."""
        return self._ttl > 0 and self._link.available

    def key(self, parts: Sequence[str]) -> str:
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        return self._link.key("answer", digest)

    async def read(self, key: str) -> bytes | None:
        """The stored answer, or ``None`` (none stored, over the bound, or Redis down)."""
        if not self.enabled:
            return None
        try:
            raw = await self._link.call(lambda client: client.get(key))
        except SharedStateUnavailable:
            return None
        if not isinstance(raw, bytes) or not raw or len(raw) > self._max_bytes:
            return None
        return raw

    def keep(self, key: str, body: bytes) -> None:
        """Stores ``body`` in the background (the answer does not wait for Redis)."""
        if not self.enabled or len(body) > self._max_bytes:
            return
        task = asyncio.ensure_future(self._write(key, body))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def settled(self) -> None:
        """Waits for the writes under way."""
        await asyncio.gather(*self._writes)

    async def _write(self, key: str, body: bytes) -> None:
        try:
            await self._link.call(lambda client: client.set(key, body, ex=self._ttl))
        except SharedStateUnavailable:
            pass
