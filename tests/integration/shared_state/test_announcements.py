"""New versions announced through real Redis reach every listening server at once."""

import asyncio
import time

from app.ids import ShopId
from app.shared_state.announcements import Reload, VersionKind, VersionListener, announce
from app.shared_state.connection import RedisLink
from tests.integration.shared_state.redis_process import RedisProcess


async def test_a_new_index_and_model_version_reach_every_server(
        links: list[RedisLink]) -> None:
    publisher, listening = links
    heard: list[tuple[str, ShopId, str]] = []

    def recorder(label: str) -> Reload:
        return lambda shop, version: heard.append((label, shop, version))

    servers = [VersionListener(listening, {VersionKind.INDEX: recorder(f"index@{n}"),
                                           VersionKind.MODEL: recorder(f"model@{n}")})
               for n in range(2)]
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(s.run(stop)) for s in servers]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.subscribed.wait() for s in servers)), 5)
        started = time.monotonic()
        assert await announce(publisher, VersionKind.INDEX, ShopId(3), "17")
        assert await announce(publisher, VersionKind.MODEL, ShopId(4), "20261207T180000")
        while len(heard) < 4:
            assert time.monotonic() - started < 1.0
            await asyncio.sleep(0.005)
        assert sorted(heard) == [("index@0", 3, "17"), ("index@1", 3, "17"),
                                 ("model@0", 4, "20261207T180000"),
                                 ("model@1", 4, "20261207T180000")]
        await publisher.client.publish(publisher.key("versions", "index"), b"not json")
        await publisher.client.publish(publisher.key("versions", "index"), b'{"shop": "3"}')
        assert await announce(publisher, VersionKind.INDEX, ShopId(5), "18")
        while len(heard) < 6:
            assert time.monotonic() - started < 2.0
            await asyncio.sleep(0.005)
        assert sorted(heard[4:]) == [("index@0", 5, "18"), ("index@1", 5, "18")]
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def test_announcing_with_redis_down_says_so_and_listening_recovers(
        killable_redis: RedisProcess) -> None:
    link = RedisLink.from_url(killable_redis.url)
    heard: list[str] = []
    listener = VersionListener(link, {VersionKind.MODEL: lambda shop, version: heard.append(version)})
    stop = asyncio.Event()
    task = asyncio.ensure_future(listener.run(stop))
    try:
        await asyncio.wait_for(listener.subscribed.wait(), 5)
        killable_redis.kill()
        started = time.monotonic()
        assert not await announce(link, VersionKind.MODEL, ShopId(1), "1")
        assert not await announce(link, VersionKind.MODEL, ShopId(1), "1")  # breaker: at once
        assert time.monotonic() - started < 0.5
        await asyncio.wait_for(_until(lambda: not listener.subscribed.is_set()), 2)
        killable_redis.start()
        await asyncio.wait_for(listener.subscribed.wait(), 10)
        assert await announce(link, VersionKind.MODEL, ShopId(1), "2")
        await asyncio.wait_for(_until(lambda: heard == ["2"]), 2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await link.close()


async def _until(check: object) -> None:
    assert callable(check)
    while not check():
        await asyncio.sleep(0.005)
