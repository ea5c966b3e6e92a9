"""Background role: fold new served lists, events, orders and refunds into the KPI rollups
(``app.attribution.rollup``), and every ``GUARDRAIL_SECONDS`` check the running
experiments' guardrails (``app.experiments.guardrails``) on the figures folded.

Runs inside the server by default (all-in-one) and in ``affinity worker``. A fold is one
short transaction of at most ``MAX_ROWS_PER_FOLD`` rows a source; folds follow one another
until nothing is waiting, then the role sleeps ``AFFINITY_ROLLUP_INTERVAL_SECONDS``. Folds
of several processes take turns on the watermarks' lock, so each row is folded once.

A backlog (an order history just synced) is folded a fold at a time with a pause as long
as the fold between two: on SQLite a fold holds the single write lock, and the served
lists and events written meanwhile must get it between folds (folds back to back had kept
a request waiting past its 10-s budget).

A fold runs through the ``Writes`` port, as one synchronous unit of work: on a SQLite file
on the writer thread, where the served lists and events queue behind it, first come first
served, and it holds the write lock for the fold's own work only. (Run through the async
driver, a fold held the lock across a dozen hand-overs to the event loop, each queued
behind the requests being served, and the served lists waited it out in SQLite's busy
handler, which sleeps up to 100 ms at a time.)

The first fold of a pass, what a second brings (``STEADY``: a couple of hundred rows, a
few milliseconds), runs as a small write: on the event loop's own thread when the write
lock is free. Handed to the writer thread, a fold of that size took some 50 ms where it
needed 7 of CPU, because the thread needs the interpreter lock back after each call into
SQLite and a loop serving 200 requests a second gives it up only every switch interval;
every served list written meanwhile waited for the fold, and HOME lists at 200 requests a
second stalled for 40-55 ms once a second (p99 29 ms with the role on, 10 ms without it).
Only a backlog (``more``) is folded on the writer thread, in larger folds."""

import asyncio
import logging
import math
import time

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.attribution.credits import AttributionWindows
from app.attribution.rollup import STEADY, FoldLimits, FoldReport, fold_pending
from app.experiments.directory import ExperimentDirectory
from app.experiments.guardrails import enforce_guardrails
from app.experiments.models import EXPERIMENT_RUNNING, Experiment
from app.ids import ShopId
from app.settings import Settings
from app.storage.database import transaction
from app.storage.writes import SessionWrites, Writes

log = logging.getLogger(__name__)
GUARDRAIL_SECONDS = 30.0
"""How often the loop checks the running experiments' guardrails. Their figures are
aggregates over every shopper of an experiment, read by the database: checked after each
one-second fold, a large experiment's were read again every second, and a serving process
running one paid for the reads on its event loop every second (HOME p99 at 200 requests/s
1.05 ms above the same server without the experiment). A guardrail judges days of data."""
MAX_FOLDS_A_PASS = 50
"""Folds in a row before the guardrails are checked (a long backlog is caught up over
several passes, each ending with the guardrails)."""


class MeasurementWorker:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 experiments: ExperimentDirectory | None = None,
                 writes: Writes | None = None) -> None:
        """``experiments``: this process's serving directory, told at once when a guardrail
        takes a variant out (other processes see it within their refresh). ``writes``: where
        the folds run (the server's request-path writes; default: a session's transaction)."""
        self._sessions = sessions
        self._writes = writes or SessionWrites(sessions)
        self._interval = settings.rollup_interval_seconds
        self._windows = AttributionWindows.of_days(settings.attribution_click_window_days,
                                                   settings.attribution_view_window_days)
        self._experiments = experiments
        self._guardrails_checked = -math.inf

    async def fold(self, pause: bool = True) -> FoldReport:
        """Fold until nothing is waiting (or ``MAX_FOLDS_A_PASS`` folds), pausing between
        folds as long as each took (``pause``); the last report."""
        limits, promptly = STEADY, True  # a backlog: larger folds, on the writer thread
        for _ in range(MAX_FOLDS_A_PASS):
            started = time.monotonic()
            report = await self._fold_once(limits, promptly)
            if not report.more:
                break
            limits, promptly = FoldLimits(), False
            if pause:
                await asyncio.sleep(min(time.monotonic() - started, self._interval))
        return report

    async def fold_backlog(self) -> int:
        """Everything waiting, folds back to back (nobody else writes: a command's own
        database); how many rows were folded."""
        total = 0
        while True:
            report = await self._fold_once(FoldLimits())
            total += report.total
            if not report.more:
                return total

    async def _fold_once(self, limits: FoldLimits, promptly: bool = False) -> FoldReport:
        """One fold of at most ``limits`` rows a source; ``promptly``: as a small write."""
        def fold(connection: Connection) -> FoldReport:
            with Session(bind=connection) as session:
                report = fold_pending(session, self._windows, limits)
                session.flush()
                return report

        return await (self._writes.run_small(fold) if promptly else self._writes.run(fold))

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

    async def _pass(self) -> FoldReport:
        """A fold, then the guardrails when ``GUARDRAIL_SECONDS`` have passed."""
        report = await self.fold()
        if time.monotonic() - self._guardrails_checked >= GUARDRAIL_SECONDS:
            self._guardrails_checked = time.monotonic()
            await self.check_guardrails()
        return report

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            more = False
            try:
                more = (await self._pass()).more
            except Exception:  # a failed fold commits nothing; the next pass retries it
                log.exception("folding the KPI rollups failed")
            if more:
                continue
            try:
                await asyncio.wait_for(stop.wait(), self._interval)
            except TimeoutError:
                pass
