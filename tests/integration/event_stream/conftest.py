"""Real Redis (a redis-server of the module's own) and each database, a stream key and a
shop per test."""

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.event_stream.names import StreamNames
from app.event_stream.writer import ReadLimits, StreamWriter
from app.ids import ShopId
from app.shared_state.connection import connect
from app.storage.database import create_session_factory, transaction
from tests.factories import make_shop, shop_id
from tests.integration.shared_state.conftest import (  # noqa: F401
    _after_each_module,
    _after_each_test,
    killable_redis,
)
from tests.integration.shared_state.redis_process import RedisProcess

LIMITS = ReadLimits(entries=16, block_seconds=0.2, claim_idle_seconds=0.05)
"""Entries idle this long are claimed: short, so that a test need not wait."""


@pytest.fixture
def names() -> StreamNames:
    return StreamNames(f"affinity-test-{uuid.uuid4().hex[:8]}:events")


@pytest.fixture
async def client(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    made = connect(redis_server.url, timeout=5.0)
    yield made
    await made.aclose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> ShopId:
    async with transaction(sessions) as session:
        return shop_id(await make_shop(session))


@pytest.fixture
async def writer(client: Redis, names: StreamNames,
                 sessions: async_sessionmaker[AsyncSession]) -> StreamWriter:
    made = StreamWriter(client, names, sessions, LIMITS, consumer="writer-under-test")
    await made.ensure_group()
    return made
