"""Listening on Redis channels for as long as the process runs, through Redis going away.

A lost connection is retried after the breaker's back-off; messages published meanwhile are
lost (pub/sub keeps none), which is why every listener has a slower fallback of its own."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from redis.exceptions import RedisError

from app.shared_state.connection import RedisLink

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
MAX_MESSAGE_BYTES = 16_384
POLL_SECONDS = 0.05


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleeps ``seconds``, or less when ``stop`` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def listen(link: RedisLink, channels: Sequence[str], handle: Handler,
                 stop: asyncio.Event, subscribed: asyncio.Event | None = None) -> None:
    """Calls ``handle(channel, data)`` for every message on ``channels`` until ``stop``;
    ``subscribed`` is set whenever a subscription is (again) in place."""
    while not stop.is_set():
        if not link.available:
            await pause(stop, POLL_SECONDS)
            continue
        try:
            await _listen_once(link, channels, handle, stop, subscribed)
        except (RedisError, OSError, TimeoutError) as error:
            if subscribed is not None:
                subscribed.clear()
            if not link.breaker.is_open:
                log.warning("redis subscription lost: %s", type(error).__name__)
            link.breaker.failed()


async def publish_and_listen(link: RedisLink, channel: str, handle: Handler,
                             publish: Callable[[], Awaitable[None]], every: float,
                             stop: asyncio.Event, subscribed: asyncio.Event | None = None) -> None:
    """Listens on ``channel`` (``listen``) and calls ``publish`` every ``every`` seconds,
    until ``stop``: what one process learns goes out, what the others learned comes in."""
    listener = asyncio.ensure_future(listen(link, [channel], handle, stop, subscribed))
    try:
        while not stop.is_set():
            await pause(stop, every)
            await publish()
    finally:
        await listener


async def _listen_once(link: RedisLink, channels: Sequence[str], handle: Handler,
                       stop: asyncio.Event, subscribed: asyncio.Event | None) -> None:
    pubsub = link.client.pubsub()
    try:
        await pubsub.subscribe(*channels)
        link.breaker.succeeded()
        if subscribed is not None:
            subscribed.set()
        while not stop.is_set():
            message = await pubsub.get_message(ignore_subscribe_messages=True,
                                               timeout=POLL_SECONDS)
            if message is None or message.get("type") != "message":
                continue
            data = message.get("data")
            if isinstance(data, bytes) and len(data) <= MAX_MESSAGE_BYTES:
                _deliver(handle, text(message.get("channel")), data)
    finally:
        try:
            await pubsub.aclose()
        except (RedisError, OSError, TimeoutError):
            pass


def _deliver(handle: Handler, channel: str, data: bytes) -> None:
    try:
        handle(channel, data)
    except Exception:  # one bad message never ends the subscription
        log.exception("redis message on %s not handled", channel)


def text(channel: object) -> str:
    return channel.decode() if isinstance(channel, bytes) else str(channel)
