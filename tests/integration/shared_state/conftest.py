"""Real Redis for the shared-state tests: a redis-server per test module, a key prefix per
test, so nothing collides with other tests or a Redis already running."""

import gc
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.shared_state.connection import RedisLink
from tests.integration.shared_state.redis_process import RedisProcess


def _collect_cut_connections() -> None:
    """Collect the connections a killed (or stopped) redis-server left without an orderly
    close: their ``ResourceWarning`` would otherwise surface from the collector in whichever
    later test it runs, failing that test for another's doing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(autouse=True, scope="module")
def _after_each_module() -> Iterator[None]:
    """Set up before the module's redis-server, so torn down after it is killed."""
    yield
    _collect_cut_connections()


@pytest.fixture(autouse=True)
def _after_each_test() -> Iterator[None]:
    yield
    _collect_cut_connections()


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
