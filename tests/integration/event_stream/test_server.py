"""A server with the stream on: ``/collect`` answers without writing the events, and the
writer the server runs beside its worker stores them."""

import asyncio
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from app.asgi import create_app
from app.event_stream.names import StreamNames
from app.event_stream.publisher import StreamPublisher
from app.ids import ShopId
from app.settings import Settings
from app.storage.database import transaction
from tests.factories import make_shop
from tests.fakes import HashingEmbedder
from tests.integration.event_stream.support import stored_ids
from tests.integration.shared_state.redis_process import RedisProcess

WAIT_SECONDS = 20.0


async def test_collect_goes_through_the_stream_into_the_database(
        redis_server: RedisProcess, client: Redis, names: StreamNames, database_url: str,
        tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, holdout_share=0.0,
                        allowed_hosts=["testserver"], redis_url=redis_server.url,
                        event_stream=True, event_stream_key=names.key,
                        _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, embedder_factory=HashingEmbedder)
    services = app.state.services
    async with transaction(services.sessions) as session:
        created = await make_shop(session)
    shop = ShopId(created.shop.id)
    events = [{"type": "PRODUCT_VIEWED", "visitorId": "v", "productId": f"p{i}",
               "eventId": f"srv-{i}", "consent": {"analytics": True, "personalization": True}}
              for i in range(3)]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/collect", json={"events": events},
                                       headers={"X-Affinity-Server-Key": created.server_key})
        assert response.status_code == 202 and response.json()["accepted"] == 3
        publisher = services.tracker.stream
        assert isinstance(publisher, StreamPublisher)
        assert (publisher.counts.events, publisher.counts.fallbacks) == (3, 0)
        deadline = time.monotonic() + WAIT_SECONDS
        while await stored_ids(services.sessions, shop) != {f"srv-{i}": 1 for i in range(3)}:
            assert time.monotonic() < deadline, "the server's writer did not store the events"
            await asyncio.sleep(0.05)
    assert (await client.xpending(names.key, names.group))["pending"] == 0
