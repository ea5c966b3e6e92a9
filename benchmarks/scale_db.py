"""What the scale benchmarks read and write in the world's database directly: the events a
run sent (counted, then deleted, so that the cached world stays as built), and a wait for
the database to show something."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text

from app.storage.database import create_engine
from benchmarks.world import World

POLL_SECONDS = 0.05
STORED_WAIT_SECONDS = 90.0


async def execute(world: World, sql: str, **params: object) -> None:
    engine = create_engine(world.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql), params)
    finally:
        await engine.dispose()


async def forget_events(world: World, run_id: str) -> None:
    """Delete the events of this run: the cached world stays as built."""
    await execute(world, "DELETE FROM events WHERE event_id LIKE :prefix",
                  prefix=f"{run_id}-%")


async def stored_ids(world: World, prefix: str) -> set[str]:
    engine = create_engine(world.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT event_id FROM events WHERE event_id LIKE :prefix"),
                {"prefix": f"{prefix}-%"})
            return {str(r[0]) for r in rows}
    finally:
        await engine.dispose()


async def stored_counts(world: World, prefix: str) -> tuple[int, int]:
    """Rows and distinct event ids stored under ``prefix``."""
    engine = create_engine(world.database_url)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text(
                "SELECT count(*), count(DISTINCT event_id) FROM events "
                "WHERE event_id LIKE :prefix"), {"prefix": f"{prefix}-%"})).one()
            return int(row[0]), int(row[1])
    finally:
        await engine.dispose()


async def stored_all(world: World, prefix: str, expected: int) -> tuple[int, int] | None:
    rows, distinct = await stored_counts(world, prefix)
    return (rows, distinct) if distinct >= expected else None


async def until(check: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    """Poll ``check`` until it returns something true; that, or None past ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(POLL_SECONDS)
    return None
