"""Query vectors through real Redis: a query embedded by one server is not embedded again by
another."""

import asyncio
import time

import numpy as np

from app.embeddings.lazy import LazyEmbedder
from app.shared_state.connection import RedisLink
from app.shared_state.query_vectors import SharedQueryVectors
from tests.fakes import HashingEmbedder
from tests.integration.shared_state.redis_process import RedisProcess


def server(link: RedisLink, model: str = "fake-hashing") -> tuple[SharedQueryVectors,
                                                                  HashingEmbedder]:
    embedder = HashingEmbedder(model_name=model)
    return SharedQueryVectors(LazyEmbedder(lambda: embedder), link, model), embedder


async def written(vectors: SharedQueryVectors) -> None:
    await asyncio.gather(*vectors._writes)


async def test_a_query_embedded_on_one_server_is_read_by_the_other(
        links: list[RedisLink]) -> None:
    (a, a_model), (b, b_model) = server(links[0]), server(links[1])
    first = await a.vector("Red  Retrospot MUG")
    await written(a)
    again = await b.vector("red retrospot mug")
    assert np.array_equal(first, again) and again.dtype == np.float32
    assert len(a_model.calls) == 1 and b_model.calls == []
    await b.vector("garden hose")
    assert b_model.calls == [["garden hose"]]


async def test_another_embedding_model_never_reads_them(links: list[RedisLink]) -> None:
    a, _ = server(links[0])
    await a.vector("tea cup")
    await written(a)
    other, other_model = server(links[1], model="another-model")
    await other.vector("tea cup")
    assert other_model.calls == [["tea cup"]]


async def test_a_corrupt_entry_is_embedded_again(links: list[RedisLink]) -> None:
    a, _ = server(links[0])
    b, b_model = server(links[1])
    await links[0].client.set(a._key("lamp"), b"\x00\x00\xc0\x7f" * 64)  # NaN
    await links[0].client.set(a._key("desk"), b"odd")
    assert bool(np.isfinite(await b.vector("lamp")).all())
    await b.vector("desk")
    assert b_model.calls == [["lamp"], ["desk"]]


async def test_redis_stopped_queries_are_embedded_here_then_shared_again(
        killable_redis: RedisProcess) -> None:
    links = [RedisLink.from_url(killable_redis.url) for _ in range(2)]
    try:
        (a, _), (b, b_model) = server(links[0]), server(links[1])
        killable_redis.kill()
        started = time.monotonic()
        for n in range(20):
            await a.vector(f"query {n}")
        await written(a)
        assert time.monotonic() - started < 1.0
        killable_redis.start()
        while not links[0].available or not links[1].available:
            await asyncio.sleep(0.05)
        await a.vector("after the restart")
        await written(a)
        await b.vector("after the restart")
        assert b_model.calls == []
    finally:
        for link in links:
            await link.close()
