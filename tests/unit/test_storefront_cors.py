"""CORS origins: read once however many requests arrive, then read again in the background
while the last set keeps answering."""

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.http.cors import StorefrontCors

SHOP = "https://shop.example"
OTHER = "https://other.example"


def _app(origins: list[set[str]], reads: list[int]) -> tuple[httpx.AsyncClient, StorefrontCors]:
    async def load() -> set[str]:
        reads.append(1)
        await asyncio.sleep(0.05)  # a read that takes a while, as under load
        return origins[0]

    inner = Starlette(routes=[Route("/graphql", lambda _: PlainTextResponse("ok"),
                                    methods=["POST"])])
    cors = StorefrontCors(inner, load)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=cors), base_url="http://api")
    return client, cors


async def _allowed(client: httpx.AsyncClient, origin: str) -> bool:
    response = await client.post("/graphql", headers={"origin": origin})
    return response.headers.get("access-control-allow-origin") == origin


async def test_concurrent_requests_share_one_read_of_the_origins() -> None:
    reads: list[int] = []
    client, _ = _app([{SHOP}], reads)
    async with client:
        allowed = await asyncio.gather(*(_allowed(client, SHOP) for _ in range(8)),
                                       *(_allowed(client, OTHER) for _ in range(4)))
    assert allowed == [True] * 8 + [False] * 4
    assert len(reads) == 1


async def test_old_origins_answer_while_they_are_read_again() -> None:
    reads: list[int] = []
    origins = [{SHOP}]
    client, cors = _app(origins, reads)
    async with client:
        assert await _allowed(client, SHOP)
        origins[0] = {OTHER}  # the shop changed its storefront origins
        cors.origins.fresh_seconds = 0.0
        assert await _allowed(client, SHOP)  # no wait: the set read before
        for _ in range(100):
            if await _allowed(client, OTHER):
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the origins were never read again")
        assert not await _allowed(client, SHOP)
    assert 2 <= len(reads)
