"""Rate limits through real Redis: a caller spreading requests over two servers meets one
limit."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from app.errors import RateLimited
from app.http.rate_limit import RateLimits
from app.settings import Settings
from app.shared_state.connection import RedisLink
from app.shared_state.rate_limits import SharedRateLimits
from tests.integration.shared_state.redis_process import RedisProcess

PER_MINUTE = 10


class FrozenClock:
    """No refill during the test: what is spent stays spent."""

    def __call__(self) -> float:
        return 1000.0


def server(link: RedisLink) -> SharedRateLimits:
    settings = Settings(rate_limit_key_requests_per_minute=PER_MINUTE,
                        rate_limit_address_requests_per_minute=PER_MINUTE)
    return SharedRateLimits(RateLimits(settings, clock=FrozenClock()), link)


@asynccontextmanager
async def running(*servers: SharedRateLimits) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(s.run(stop)) for s in servers]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.subscribed.wait() for s in servers)), 5)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def settle(*servers: SharedRateLimits) -> None:
    for s in servers:
        await s.publish()
    await asyncio.sleep(0.2)


def admitted(limits: RateLimits, address: str, tries: int) -> int:
    count = 0
    for _ in range(tries):
        try:
            limits.admit_address(address)
        except RateLimited:
            continue
        count += 1
    return count


async def test_two_servers_share_one_limit_per_caller(links: list[RedisLink]) -> None:
    a, b = server(links[0]), server(links[1])
    async with running(a, b):
        assert admitted(a.limits, "203.0.113.9", 6) == 6
        await settle(a, b)
        assert admitted(b.limits, "203.0.113.9", 10) == PER_MINUTE - 6
        await settle(a, b)
        with pytest.raises(RateLimited):
            a.limits.admit_address("203.0.113.9")
        assert admitted(a.limits, "198.51.100.1", 3) == 3  # another caller: its own bucket


async def test_redis_stopped_each_server_limits_on_its_own_then_shares_again(
        killable_redis: RedisProcess) -> None:
    links = [RedisLink.from_url(killable_redis.url) for _ in range(2)]
    a, b = server(links[0]), server(links[1])
    try:
        async with running(a, b):
            killable_redis.kill()
            started = time.monotonic()
            assert admitted(a.limits, "203.0.113.7", 15) == PER_MINUTE
            await settle(a, b)
            assert time.monotonic() - started < 1.0
            assert admitted(b.limits, "203.0.113.7", 15) == PER_MINUTE  # nothing shared
            while a.subscribed.is_set() or b.subscribed.is_set():
                await asyncio.sleep(0.01)
            killable_redis.start()
            await asyncio.wait_for(asyncio.gather(a.subscribed.wait(), b.subscribed.wait()), 10)
            assert admitted(a.limits, "203.0.113.8", 4) == 4
            await settle(a, b)
            assert admitted(b.limits, "203.0.113.8", 10) == PER_MINUTE - 4
    finally:
        for link in links:
            await link.close()
