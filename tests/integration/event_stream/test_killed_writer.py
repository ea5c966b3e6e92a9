"""A writer process killed with SIGKILL after it read a batch, before it committed or
acknowledged it: another writer claims the batch, and every accepted event is in
PostgreSQL exactly once."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from app.event_stream.names import StreamNames
from app.event_stream.publisher import StreamPublisher
from app.event_stream.writer import StreamWriter
from app.shared_state.connection import RedisLink
from app.storage.database import create_engine, create_session_factory, transaction
from tests.conftest import REPO, migrated_database
from tests.factories import make_shop, shop_id
from tests.integration.event_stream.conftest import LIMITS
from tests.integration.event_stream.support import HASHER, NOW, Heard, stored_ids, tracker, views
from tests.integration.shared_state.redis_process import RedisProcess

BATCHES = 6
EVENTS_PER_BATCH = 7
WAIT_SECONDS = 20.0


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database("postgres", tmp_path_factory.mktemp("db")) as url:
        yield url


async def _wait_for(condition: Callable[[], Awaitable[bool]], what: str,
                    log: Path | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await condition():
        if time.monotonic() > deadline:
            said = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise AssertionError(f"gave up waiting: {what}\n{said}")
        await asyncio.sleep(0.05)


def _writer_process(postgres_url: str, redis_url: str, names: StreamNames,
                    folder: Path, log: BinaryIO) -> "subprocess.Popen[bytes]":
    """``affinity events write`` in a process of its own, as an operator runs it."""
    env = {**os.environ, "AFFINITY_DATABASE_URL": postgres_url, "AFFINITY_REDIS_URL": redis_url,
           "AFFINITY_EVENT_STREAM": "true", "AFFINITY_EVENT_STREAM_KEY": names.key,
           "AFFINITY_DATA_DIR": str(folder), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "app.commands", "events", "write", "--consumer", "doomed"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=log)


async def test_a_killed_writers_batch_is_claimed_and_stored_exactly_once(
        redis_server: RedisProcess, client: Redis, names: StreamNames, postgres_url: str,
        tmp_path: Path) -> None:
    engine = create_engine(postgres_url)
    sessions = create_session_factory(engine)
    link = RedisLink.from_url(redis_server.url)
    try:
        async with transaction(sessions) as session:
            shop = shop_id(await make_shop(session))
        rescuer = StreamWriter(client, names, sessions, LIMITS, consumer="rescuer")
        await rescuer.ensure_group()
        publisher = StreamPublisher(link, names.key, 1_000, HASHER)
        events = tracker(sessions, publisher, Heard())
        for batch in range(BATCHES):
            result = await events.store(shop, views(f"b{batch}", EVENTS_PER_BATCH), NOW)
            assert result.accepted == EVENTS_PER_BATCH
        expected = {f"b{b}-{i}": 1 for b in range(BATCHES) for i in range(EVENTS_PER_BATCH)}
        assert publisher.counts.fallbacks == 0

        await _killed_mid_batch(postgres_url, redis_server.url, names, client, tmp_path)

        async def all_stored() -> bool:
            await rescuer.run_once(block=False)
            return await stored_ids(sessions, shop) == expected

        await _wait_for(all_stored, "the rescuer stores the killed writer's batch")
        assert rescuer.counts.claimed == BATCHES
        assert (await client.xpending(names.key, names.group))["pending"] == 0
        assert await stored_ids(sessions, shop) == expected
    finally:
        await link.close()
        await engine.dispose()


async def _killed_mid_batch(postgres_url: str, redis_url: str, names: StreamNames,
                            client: Redis, folder: Path) -> None:
    """A writer process reads every entry, waits on the locked events table, is killed."""
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    locker = await asyncpg.connect(dsn, timeout=5)
    lock = locker.transaction()
    await lock.start()
    await locker.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
    with (folder / "writer.log").open("wb") as log:
        process = _writer_process(postgres_url, redis_url, names, folder, log)
    try:
        async def read_and_waiting() -> bool:
            pending = await client.xpending(names.key, names.group)
            await locker.execute("SELECT pg_stat_clear_snapshot()")  # fresh in a transaction
            waiting = await locker.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")
            return bool(pending["pending"] == BATCHES and waiting)

        await _wait_for(read_and_waiting, "the writer process reads and waits on the lock",
                        folder / "writer.log")
        [consumer] = (await client.xpending(names.key, names.group))["consumers"]
        assert consumer == {"name": b"doomed", "pending": BATCHES}
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        await lock.rollback()
        await locker.close()
    assert process.returncode == -signal.SIGKILL
