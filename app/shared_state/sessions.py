"""Live sessions shared by every server process.

Reads stay in this process's memory (no Redis round trip on the request path). Each accepted
event is applied here at once, then, in the background, appended to the visitor's session in
Redis (a capped list with a TTL) and published, so every other process applies it too within
milliseconds. A visitor this process has not seen is loaded from Redis on the first miss, for
the next request. With Redis down the process keeps its own sessions (writes to Redis are
dropped, not queued) and picks the shared ones up again when Redis answers."""

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict, deque
from functools import partial
from typing import Any

from redis.asyncio import Redis

from app.events.protocol import AcceptedEvent
from app.ids import ShopId
from app.profiles.session_state import SessionIntent, SessionStore
from app.shared_state.connection import RedisLink, SharedStateUnavailable
from app.shared_state.session_codec import decode_event, encode_event, event_bytes
from app.shared_state.subscriber import listen, pause, text

log = logging.getLogger(__name__)

MAX_EVENTS_PER_VISITOR = 64
"""Enough to rebuild a session: 20 views plus cart, dismissals and purchases."""
MAX_OUTBOX = 10_000
MAX_BATCH = 256
MAX_LOADS_IN_FLIGHT = 64
MISS_MEMORY_SECONDS = 5.0
MAX_MISSES = 50_000
Operation = tuple[str, ShopId, Any]


class SharedSessions:
    """``SessionState`` over a local ``SessionStore``, kept in step through Redis."""

    def __init__(self, local: SessionStore, link: RedisLink, ttl_seconds: float = 1800.0,
                 origin: str | None = None) -> None:
        self.local = local
        self.link = link
        self._ttl = max(1, int(ttl_seconds))
        self.origin = origin or uuid.uuid4().hex
        self.channel = link.key("sessions")
        self.subscribed = asyncio.Event()
        self._outbox: deque[Operation] = deque(maxlen=MAX_OUTBOX)
        self._erasures: deque[Operation] = deque(maxlen=MAX_OUTBOX)
        self._wake = asyncio.Event()
        self._loading: set[tuple[ShopId, str]] = set()
        self._missed: OrderedDict[tuple[ShopId, str], float] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- SessionState ----------------------------------------------------------------------

    def observe(self, shop_id: ShopId, event: AcceptedEvent) -> None:
        self.local.observe(shop_id, event)
        self._missed.pop((shop_id, event.visitor_id), None)
        self._send(self._outbox, ("event", shop_id, event))

    def get(self, shop_id: ShopId, visitor_id: str) -> SessionIntent | None:
        intent = self.local.get(shop_id, visitor_id)
        if intent is None:
            self._load_later(shop_id, visitor_id)
        return intent

    def forget_shop(self, shop_id: ShopId) -> None:
        self.local.forget_shop(shop_id)
        self._send(self._erasures, ("forget_shop", shop_id, None))

    def forget_customer(self, shop_id: ShopId, customer_id: str) -> int:
        removed = self.local.forget_customer(shop_id, customer_id)
        self._send(self._erasures, ("forget_customer", shop_id, customer_id))
        return removed

    # -- background ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Publishes this process's changes and applies the others' until ``stop``."""
        listener = asyncio.ensure_future(
            listen(self.link, [self.channel], self._receive, stop, self.subscribed))
        try:
            while not stop.is_set():
                await self._flush()
                self._wake.clear()
                if not (self._outbox or self._erasures):
                    waiter = asyncio.ensure_future(self._wake.wait())
                    await asyncio.wait([waiter, asyncio.ensure_future(stop.wait())],
                                       return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                elif not self.link.available:
                    await pause(stop, 0.05)
        finally:
            await listener
            for task in list(self._tasks):
                task.cancel()

    def _send(self, queue: deque[Operation], operation: Operation) -> None:
        queue.append(operation)
        self._wake.set()

    async def _flush(self) -> None:
        while self._erasures and self.link.available:
            operation = self._erasures[0]
            try:
                await self.link.call(partial(self._erase, operation=operation))
            except SharedStateUnavailable:
                return  # erasures wait for Redis: the shared copy must go too
            self._erasures.popleft()
        while self._outbox:
            batch = [self._outbox.popleft() for _ in range(min(MAX_BATCH, len(self._outbox)))]
            try:
                await self.link.call(partial(self._write, batch=batch))
            except SharedStateUnavailable:
                return  # dropped: this process has applied them, the others go without

    async def _write(self, client: "Redis", batch: list[Operation]) -> None:
        pipe = client.pipeline(transaction=False)
        for _, shop_id, event in batch:
            key = self.link.key("session", shop_id, event.visitor_id)
            pipe.rpush(key, event_bytes(event))
            pipe.ltrim(key, -MAX_EVENTS_PER_VISITOR, -1)
            pipe.expire(key, self._ttl)
            if event.customer_id:
                customer = self.link.key("session-customer", shop_id, event.customer_id)
                pipe.sadd(customer, event.visitor_id)
                pipe.expire(customer, self._ttl)
            pipe.publish(self.channel, self._message("event", shop_id, encode_event(event)))
        await pipe.execute()

    async def _erase(self, client: "Redis", operation: Operation) -> None:
        kind, shop_id, customer_id = operation
        if kind == "forget_customer":
            customer = self.link.key("session-customer", shop_id, customer_id)
            visitors = await client.smembers(customer)
            keys = [self.link.key("session", shop_id, text(v)) for v in visitors]
            await client.delete(customer, *keys)
        else:
            async for key in client.scan_iter(match=self.link.key("session", shop_id, "*"),
                                              count=500):
                await client.delete(key)
        await client.publish(self.channel, self._message(kind, shop_id, customer_id))

    def _message(self, kind: str, shop_id: ShopId, body: object) -> bytes:
        return json.dumps({"origin": self.origin, "kind": kind, "shop": shop_id, "body": body},
                          separators=(",", ":")).encode()

    def _receive(self, _channel: str, data: bytes) -> None:
        message = json.loads(data)
        if not isinstance(message, dict) or message.get("origin") == self.origin:
            return
        shop, kind, body = message.get("shop"), message.get("kind"), message.get("body")
        if type(shop) is not int:
            return
        shop_id = ShopId(shop)
        if kind == "event":
            event = decode_event(body)
            if event is not None:
                self.local.observe(shop_id, event)
                self._missed.pop((shop_id, event.visitor_id), None)
        elif kind == "forget_customer" and isinstance(body, str):
            self.local.forget_customer(shop_id, body)
        elif kind == "forget_shop":
            self.local.forget_shop(shop_id)

    # -- loading a visitor seen elsewhere -------------------------------------------------

    def _load_later(self, shop_id: ShopId, visitor_id: str) -> None:
        key = (shop_id, visitor_id)
        now = time.monotonic()
        missed = self._missed.get(key)
        if (missed is not None and now - missed < MISS_MEMORY_SECONDS) or key in self._loading \
                or len(self._loading) >= MAX_LOADS_IN_FLIGHT or not self.link.available:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._missed[key] = now
        self._missed.move_to_end(key)
        while len(self._missed) > MAX_MISSES:
            self._missed.popitem(last=False)
        self._loading.add(key)
        task = loop.create_task(self._load(shop_id, visitor_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self, shop_id: ShopId, visitor_id: str) -> None:
        try:
            key = self.link.key("session", shop_id, visitor_id)
            raw = await self.link.call(lambda client: client.lrange(key, 0, -1))
        except SharedStateUnavailable:
            return
        finally:
            self._loading.discard((shop_id, visitor_id))
        events = [e for e in map(decode_event, raw) if e is not None]
        if events and self.local.get(shop_id, visitor_id) is None:
            for event in events:
                self.local.observe(shop_id, event)
