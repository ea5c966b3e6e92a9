"""Live sessions through real Redis: what one server process learns, the others see."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from app.events.types import EventType
from app.ids import ShopId
from app.profiles.session_state import SessionIntent, SessionStore
from app.shared_state.connection import RedisLink
from app.shared_state.sessions import MAX_EVENTS_PER_VISITOR, SharedSessions
from tests.integration.shared_state.events import viewed
from tests.integration.shared_state.redis_process import RedisProcess

SHOP = ShopId(7)


@asynccontextmanager
async def running(*stores: SharedSessions) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(s.run(stop)) for s in stores]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.subscribed.wait() for s in stores)), 5)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def eventually(check: Callable[[], bool], within: float = 1.0) -> float:
    """Seconds until ``check()`` held; fails past ``within``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "not within the time allowed"
        await asyncio.sleep(0.005)
    return time.monotonic() - start


def views(store: SharedSessions, visitor: str) -> list[str]:
    intent: SessionIntent | None = store.get(SHOP, visitor)
    return [] if intent is None else intent.views


async def test_views_recorded_on_one_server_are_seen_by_another_within_a_second(
        links: list[RedisLink]) -> None:
    a, b = (SharedSessions(SessionStore(), link) for link in links)
    async with running(a, b):
        a.observe(SHOP, viewed("v1", "p1"))
        a.observe(SHOP, viewed("v1", "p2"))
        await eventually(lambda: b.local.get(SHOP, "v1") is not None
                         and b.local.get(SHOP, "v1").views == ["p2", "p1"])  # type: ignore[union-attr]
        b.observe(SHOP, viewed("v1", "p3", kind=EventType.PRODUCT_ADDED_TO_CART))
        await eventually(lambda: views(a, "v1") == ["p2", "p1"]
                         and a.local.get(SHOP, "v1").cart == ["p3"])  # type: ignore[union-attr]
        assert views(b, "other-visitor") == []


async def test_a_server_started_later_loads_the_visitor_from_redis(
        links: list[RedisLink]) -> None:
    a = SharedSessions(SessionStore(), links[0])
    async with running(a):
        for product in ("p1", "p2", "p3"):
            a.observe(SHOP, viewed("v2", product))
        await eventually(lambda: not a._outbox)
    late = SharedSessions(SessionStore(), links[1])
    async with running(late):
        assert late.get(SHOP, "v2") is None  # not in this process yet: loading starts
        await eventually(lambda: views(late, "v2") == ["p3", "p2", "p1"])


async def test_a_visitor_session_in_redis_is_capped_and_expires(
        links: list[RedisLink]) -> None:
    a = SharedSessions(SessionStore(), links[0], ttl_seconds=60)
    async with running(a):
        for n in range(MAX_EVENTS_PER_VISITOR + 30):
            a.observe(SHOP, viewed("v3", f"p{n}"))
        await eventually(lambda: not a._outbox)
    key = links[0].key("session", SHOP, "v3")
    assert await links[0].client.llen(key) == MAX_EVENTS_PER_VISITOR
    assert 0 < await links[0].client.ttl(key) <= 60


async def test_erasing_a_customer_removes_their_sessions_everywhere(
        links: list[RedisLink]) -> None:
    a, b = (SharedSessions(SessionStore(), link) for link in links)
    async with running(a, b):
        a.observe(SHOP, viewed("v4", "p1", customer="c4"))
        a.observe(SHOP, viewed("v5", "p1"))
        await eventually(lambda: views(b, "v4") == ["p1"] and views(b, "v5") == ["p1"])
        assert b.forget_customer(SHOP, "c4") == 1
        await eventually(lambda: a.local.get(SHOP, "v4") is None)
        await eventually(lambda: not b._erasures)
    assert await links[0].client.exists(links[0].key("session", SHOP, "v4")) == 0
    assert await links[0].client.exists(links[0].key("session", SHOP, "v5")) == 1
    late = SharedSessions(SessionStore(), links[1])
    async with running(late):
        late.get(SHOP, "v4")
        await asyncio.sleep(0.2)
        assert late.get(SHOP, "v4") is None


async def test_forgetting_a_shop_removes_its_sessions_everywhere(
        links: list[RedisLink]) -> None:
    a, b = (SharedSessions(SessionStore(), link) for link in links)
    async with running(a, b):
        a.observe(SHOP, viewed("v6", "p1"))
        a.observe(ShopId(8), viewed("v6", "p1"))
        await eventually(lambda: views(b, "v6") == ["p1"])
        a.forget_shop(SHOP)
        await eventually(lambda: b.local.get(SHOP, "v6") is None)
        await eventually(lambda: not a._erasures)
        assert b.local.get(ShopId(8), "v6") is not None
    assert await links[0].client.exists(links[0].key("session", SHOP, "v6")) == 0


async def test_redis_stopped_sessions_go_on_locally_then_share_again(
        killable_redis: RedisProcess) -> None:
    a_link, b_link = (RedisLink.from_url(killable_redis.url) for _ in range(2))
    a, b = SharedSessions(SessionStore(), a_link), SharedSessions(SessionStore(), b_link)
    try:
        async with running(a, b):
            killable_redis.kill()
            started = time.monotonic()
            a.observe(SHOP, viewed("v7", "p1"))  # never raises, never waits on Redis
            assert views(a, "v7") == ["p1"]
            assert b.get(SHOP, "v7") is None
            for _ in range(200):
                b.get(SHOP, f"anyone-{_}")
            assert time.monotonic() - started < 0.05
            await eventually(lambda: not (a.subscribed.is_set() or b.subscribed.is_set()), 2.0)
            killable_redis.start()
            await asyncio.wait_for(asyncio.gather(a.subscribed.wait(), b.subscribed.wait()), 10)
            a.observe(SHOP, viewed("v7", "p2"))
            await eventually(lambda: views(b, "v7") == ["p2"], within=2.0)
    finally:
        await a_link.close()
        await b_link.close()
