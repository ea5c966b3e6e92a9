"""Served lists are kept for a set number of days (``served_list_retention_days``), then
deleted: the ``rankings`` table would otherwise grow by one row per list served.

Deletion goes oldest first, a batch per transaction, so that the write lock is held only
briefly and an interrupted run has kept what it deleted; the next run carries on. Events
keep their ``recommendationId``; only the list it named is gone."""

import asyncio
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.events.models import Ranking
from app.storage.database import transaction, utcnow

log = logging.getLogger(__name__)
BATCH = 5_000
EVERY_SECONDS = 3600.0


async def delete_served_lists_before(session: AsyncSession, before: datetime,
                                     limit: int = BATCH) -> int:
    """Delete at most ``limit`` served lists recorded before ``before``, oldest first."""
    oldest = (select(Ranking.id).where(Ranking.created_at < before)
              .order_by(Ranking.created_at, Ranking.id).limit(limit))
    ids = list((await session.execute(oldest)).scalars())
    if ids:
        await session.execute(delete(Ranking).where(Ranking.id.in_(ids)))
    return len(ids)


class ServedListRetention:
    """Deletes served lists older than ``days`` (0 keeps them forever), once an hour."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], days: int,
                 batch: int = BATCH, every_seconds: float = EVERY_SECONDS) -> None:
        self._sessions = sessions
        self._days = days
        self._batch = batch
        self._every = every_seconds
        self._last_run: float | None = None

    async def run_once(self, now: datetime | None = None) -> int:
        """Delete every expired list, a batch per transaction; how many were deleted."""
        if self._days <= 0:
            return 0
        before = (now or utcnow()) - timedelta(days=self._days)
        deleted = 0
        while True:
            async with transaction(self._sessions) as session:
                count = await delete_served_lists_before(session, before, self._batch)
            deleted += count
            if count < self._batch:
                break
            await asyncio.sleep(0)  # requests served between two batches
        if deleted:
            log.info("deleted %d served lists recorded before %s", deleted, before.isoformat())
        return deleted

    async def run_if_due(self) -> int:
        """``run_once`` when an hour has passed since the last run (or never ran)."""
        started = time.monotonic()
        if self._last_run is not None and started - self._last_run < self._every:
            return 0
        deleted = await self.run_once()
        self._last_run = started
        return deleted
