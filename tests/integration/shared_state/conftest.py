"""Real Redis for the shared-state tests: a redis-server per test module, a key prefix per
test, so nothing collides with other tests or a Redis already running."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.shared_state.connection import RedisLink
from tests.integration.shared_state.redis_process import RedisProcess


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def prefix() -> str:
    return f"affinity-test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
async def links(redis_server: RedisProcess, prefix: str) -> AsyncIterator[list[RedisLink]]:
    """Two connections, as two server processes would hold."""
    made = [RedisLink.from_url(redis_server.url, prefix) for _ in range(2)]
    yield made
    for link in made:
        await link.close()


@pytest.fixture
def killable_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.kill()
