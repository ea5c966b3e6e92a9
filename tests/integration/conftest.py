"""Integration fixtures: the app serving webhooks (platform adapters and the ingestion
service behind them)."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import migrated_database
from tests.integration.shared_state.redis_process import RedisProcess
from tests.integration.webhooks.support import Hooks, hooks_app


@pytest.fixture
async def hooks(database_url: str, tmp_path: Path) -> AsyncIterator[Hooks]:
    async with hooks_app(database_url, tmp_path) as h:
        yield h


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A redis-server of the module's own (shared state, the events stream)."""
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own, on each backend: for what covers every shop
    of its database (readiness, a trainer's pass)."""
    with migrated_database(request.param, tmp_path) as url:
        yield url
