"""The writer's commands as an operator runs them: ``affinity worker --once`` stores what
the stream holds when the stream is on, ``affinity events write`` refuses when it is off."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.event_stream.names import StreamNames
from app.event_stream.publisher import StreamPublisher
from app.shared_state.connection import RedisLink
from app.storage.database import create_engine, create_session_factory, transaction
from tests.conftest import REPO, migrated_database
from tests.factories import make_shop, shop_id
from tests.integration.event_stream.support import HASHER, NOW, Heard, stored_ids, tracker, views
from tests.integration.shared_state.redis_process import RedisProcess

COMMAND_SECONDS = 120


def _affinity(args: list[str], folder: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFINITY_")}
    env.update({"AFFINITY_DATA_DIR": str(folder), "AFFINITY_HOLDOUT_SHARE": "0",
                "PYTHONPATH": str(REPO), **settings})
    return subprocess.run([sys.executable, "-m", "app.commands", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False)


def test_the_writer_refuses_to_start_with_the_stream_off(tmp_path: Path) -> None:
    done = _affinity(["events", "write", "--once"], tmp_path,
                     AFFINITY_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    assert done.returncode == 2
    assert "error [INVALID_INPUT]: the events stream is off" in done.stderr


def test_the_server_cannot_start_with_the_stream_on_and_no_redis(tmp_path: Path) -> None:
    done = _affinity(["events", "write", "--once"], tmp_path, AFFINITY_EVENT_STREAM="true")
    assert done.returncode != 0
    assert "AFFINITY_EVENT_STREAM needs AFFINITY_REDIS_URL" in done.stderr


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    with migrated_database("sqlite", tmp_path) as url:
        yield url


async def test_the_worker_stores_the_streams_events(
        redis_server: RedisProcess, client: Redis, names: StreamNames, sqlite_url: str,
        tmp_path: Path) -> None:
    engine = create_engine(sqlite_url)
    sessions = create_session_factory(engine)
    link = RedisLink.from_url(redis_server.url)
    try:
        async with transaction(sessions) as session:
            shop = shop_id(await make_shop(session))
        publisher = StreamPublisher(link, names.key, 1_000, HASHER)
        await tracker(sessions, publisher, Heard()).store(shop, views("w", 4), NOW)
        assert await stored_ids(sessions, shop) == {}
        done = _affinity(["worker", "--once"], tmp_path, AFFINITY_DATABASE_URL=sqlite_url,
                         AFFINITY_REDIS_URL=redis_server.url, AFFINITY_EVENT_STREAM="true",
                         AFFINITY_EVENT_STREAM_KEY=names.key)
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout.splitlines()[-1])["event_entries_written"] == 1
        assert await stored_ids(sessions, shop) == {f"w-{i}": 1 for i in range(4)}
        assert (await client.xpending(names.key, names.group))["pending"] == 0
    finally:
        await link.close()
        await engine.dispose()
