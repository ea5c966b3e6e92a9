"""Background role: fold new served lists, events, orders and refunds into the KPI rollups
(``app.attribution.rollup``), then check the running experiments' guardrails
(``app.experiments.guardrails``) on the figures just folded.

Runs inside the server by default (all-in-one) and in ``affinity worker``. A fold is one
short transaction of at most ``MAX_ROWS_PER_FOLD`` rows a source; folds follow one another
until nothing is waiting, then the role sleeps ``AFFINITY_ROLLUP_INTERVAL_SECONDS``. Folds
of several processes take turns on the watermarks' lock, so each row is folded once.

A backlog (an order history just synced) is folded a fold at a time with a pause as long
as the fold between two: on SQLite a fold holds the single write lock, and the served
lists and events written meanwhile must get it between folds (folds back to back had kept
a request waiting past its 10-s budget)."""

import asyncio
import logging
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attribution.credits import AttributionWindows
from app.attribution.rollup import FoldReport, fold_new_rows
from app.experiments.directory import ExperimentDirectory
from app.experiments.guardrails import enforce_guardrails
from app.experiments.models import EXPERIMENT_RUNNING, Experiment
from app.ids import ShopId
from app.settings import Settings
from app.storage.database import transaction

log = logging.getLogger(__name__)
MAX_FOLDS_A_PASS = 50
"""Folds in a row before the guardrails are checked (a long backlog is caught up over
several passes, each ending with the guardrails)."""


class MeasurementWorker:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 experiments: ExperimentDirectory | None = None) -> None:
        """``experiments``: this process's serving directory, told at once when a guardrail
        takes a variant out (other processes see it within their refresh)."""
        self._sessions = sessions
        self._interval = settings.rollup_interval_seconds
        self._windows = AttributionWindows.of_days(settings.attribution_click_window_days,
                                                   settings.attribution_view_window_days)
        self._experiments = experiments

    async def fold(self, pause: bool = True) -> FoldReport:
        """Fold until nothing is waiting (or ``MAX_FOLDS_A_PASS`` folds), pausing between
        folds as long as each took (``pause``); the last report."""
        report = FoldReport()
        for _ in range(MAX_FOLDS_A_PASS):
            started = time.monotonic()
            async with transaction(self._sessions) as session:
                report = await fold_new_rows(session, self._windows)
            if not report.more:
                break
            if pause:
                await asyncio.sleep(min(time.monotonic() - started, self._interval))
        return report

    async def fold_backlog(self) -> int:
        """Everything waiting, folds back to back (nobody else writes: a command's own
        database); how many rows were folded."""
        total = 0
        while True:
            async with transaction(self._sessions) as session:
                report = await fold_new_rows(session, self._windows)
            total += report.total
            if not report.more:
                return total

    async def check_guardrails(self) -> int:
        """Take breaching variants out of the running experiments; how many were."""
        async with transaction(self._sessions) as session:
            shop_ids = set((await session.scalars(select(Experiment.shop_id).where(
                Experiment.status == EXPERIMENT_RUNNING))).all())
        stopped = 0
        for shop_id in sorted(shop_ids):
            async with transaction(self._sessions) as session:
                stops = await enforce_guardrails(session, shop_id)
            if stops and self._experiments is not None:
                self._experiments.invalidate(ShopId(shop_id))
            stopped += len(stops)
        return stopped

    async def run_once(self) -> FoldReport:
        report = await self.fold()
        await self.check_guardrails()
        return report

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            more = False
            try:
                more = (await self.run_once()).more
            except Exception:  # a failed fold commits nothing; the next pass retries it
                log.exception("folding the KPI rollups failed")
            if more:
                continue
            try:
                await asyncio.wait_for(stop.wait(), self._interval)
            except TimeoutError:
                pass
