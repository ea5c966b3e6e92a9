"""PostgreSQL session advisory locks: one lock per (job, shop) held on a connection of its
own for the length of the job. The job's transactions use other connections, and no
transaction stays open on the lock's connection while the job runs. A holder killed with
SIGKILL drops its connection, and the server releases the lock with it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.ids import ShopId
from app.leadership.keys import Job, lock_key

TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
UNLOCK = text("SELECT pg_advisory_unlock(:key)")


class AdvisoryLockLeadership:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def lead(self, job: Job, shop_id: ShopId) -> AsyncIterator[bool]:
        key = lock_key(job, shop_id)
        async with self._engine.connect() as connection:
            taken = bool(await connection.scalar(TRY_LOCK, {"key": key}))
            await connection.commit()  # the lock is the session's: no transaction kept open
            try:
                yield taken
            finally:
                if taken:
                    await _release(connection, key)


async def _release(connection: AsyncConnection, key: int) -> None:
    """Unlock before the connection goes back to the pool; a connection that could not
    unlock is thrown away, which releases the lock on the server's side."""
    try:
        await connection.scalar(UNLOCK, {"key": key})
        await connection.commit()
    except BaseException:
        await connection.invalidate()
        raise
