"""Folding new rows into the KPI rollups, incrementally and exactly once.

A fold reads only the rows of each source past its watermark (``app.attribution.watermarks``)
and adds what they mean to the rollups in the caller's transaction, moving the watermarks
in the same one: a fold is committed whole or not at all, and folds of several processes
run one after the other. Sources are folded in the order things happen (served lists,
events, orders, refunds), so an order sees the clicks stored before it and a refund the
order it takes from.

An order is credited when it is first folded, from what was stored by then: a later
edit of the order does not move its credit (``rebuild`` reads orders as they are now)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, false, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.attribution.credits import DEFAULT_WINDOWS, AttributionWindows
from app.attribution.models import (
    AttributedLine,
    ExperimentUnit,
    KpiDaily,
    KpiLatency,
    KpiVisitorDay,
    RollupWatermark,
)
from app.attribution.sources import (
    BATCH,
    fold_events,
    fold_orders,
    fold_rankings,
    fold_refund_lines,
)
from app.attribution.tally import Tally
from app.attribution.watermarks import advance, clamp_to_present, folded, lock_watermarks, unread
from app.events.models import Event, Ranking
from app.orders.models import Order, RefundLine

MAX_ROWS_PER_FOLD = 8 * BATCH
"""Rows read from each source by one fold: a fold after a long pause stays a short
transaction (it holds SQLite's write lock, which the served lists wait for), and the next
fold goes on where it stopped."""
CREDITING_ROWS_PER_FOLD = BATCH
"""Orders and refunds cost a few milliseconds each to credit (served lists and events
about a tenth of one): a fold reads fewer of them, so that it holds the lock about as
long whatever it folds."""
CREDITING = ("orders", "refund_lines")


@dataclass(frozen=True)
class FoldLimits:
    """Rows one fold reads from each source: ``rows`` served lists and events,
    ``crediting_rows`` orders and refunds."""

    rows: int = MAX_ROWS_PER_FOLD
    crediting_rows: int = CREDITING_ROWS_PER_FOLD

    def of(self, source: str) -> int:
        return min(self.rows, self.crediting_rows) if source in CREDITING else self.rows


STEADY = FoldLimits(rows=2 * BATCH, crediting_rows=8)
"""A fold of what a busy second brings (a couple of hundred served lists, a few orders):
a few milliseconds of work, short enough to run on a server's event loop
(``app.measurement``)."""
DERIVED = (KpiDaily, KpiLatency, KpiVisitorDay, ExperimentUnit, AttributedLine)

Folder = Callable[[Session, ColumnElement[bool], Tally, int], list[int]]


@dataclass
class FoldReport:
    """The rows of each source folded, and whether more were waiting."""

    rankings: int = 0
    events: int = 0
    orders: int = 0
    refund_lines: int = 0
    more: bool = False

    @property
    def total(self) -> int:
        return self.rankings + self.events + self.orders + self.refund_lines


def _sources(windows: AttributionWindows, refunds_folded: ColumnElement[bool]
             ) -> list[tuple[str, InstrumentedAttribute[int], InstrumentedAttribute[int], Folder]]:
    def orders(session: Session, where: ColumnElement[bool], tally: Tally,
               limit: int) -> list[int]:
        return fold_orders(session, where, tally, windows, refunds_folded, limit)

    return [
        ("rankings", Ranking.id, Ranking.shop_id, fold_rankings),
        ("events", Event.id, Event.shop_id, fold_events),
        ("orders", Order.id, Order.shop_id, orders),
        ("refund_lines", RefundLine.id, RefundLine.shop_id, fold_refund_lines),
    ]


def _fold_batch(session: Session, folder: Folder, where: ColumnElement[bool],
                limit: int = BATCH) -> list[int]:
    tally = Tally()
    read = folder(session, where, tally, limit)
    tally.write(session)
    return read


def fold_pending(session: Session, windows: AttributionWindows,
                 limits: FoldLimits = FoldLimits()) -> FoldReport:
    """Fold the rows stored since the last fold (at most ``limits`` of each source), in
    the caller's transaction; synchronous, so that on SQLite the fold holds the write lock
    for one run of the writer thread (``MeasurementWorker``) and not across hand-overs to a
    busy event loop."""
    marks = lock_watermarks(session)
    for source, column, _, _ in _sources(windows, false()):
        clamp_to_present(session, marks[source], column)
    report = FoldReport()
    # Refunds folded by earlier folds found no credit if their order came later.
    refunds_folded = folded(RefundLine.id, marks["refund_lines"])
    with session.no_autoflush:  # the watermarks are written once, at the end
        for source, column, _, folder in _sources(windows, refunds_folded):
            mark, count, limit = marks[source], 0, limits.of(source)
            while count < limit:
                batch = min(BATCH, limit - count)
                read = _fold_batch(session, folder, unread(column, mark), batch)
                if source in CREDITING:
                    session.flush()  # the credited lines, which the refunds read
                advance(mark, read)
                count += len(read)
                if len(read) < batch:
                    break
            else:
                report.more = True
            setattr(report, source, count)
    session.flush()
    return report


async def fold_new_rows(session: AsyncSession, windows: AttributionWindows,
                        limits: FoldLimits = FoldLimits()) -> FoldReport:
    """``fold_pending`` in an async session's transaction."""
    return await session.run_sync(lambda sync: fold_pending(sync, windows, limits))


def refold(session: Session, shop_id: int | None,
                  windows: AttributionWindows = DEFAULT_WINDOWS) -> FoldReport:
    """Drop the rollups of one shop (or of every shop) and fold again every stored row:
    for one shop, the rows the watermarks have passed (later ones are the next folds');
    for every shop, all of them from the start."""
    marks = lock_watermarks(session)
    for model in DERIVED:
        session.execute(delete(model).where(
            model.shop_id == shop_id if shop_id is not None else true()))
    if shop_id is None:
        _reset(marks.values())
        report = FoldReport()
        while True:
            step = fold_pending(session, windows)
            for source in marks:
                setattr(report, source, getattr(report, source) + getattr(step, source))
            if not step.more:
                return report
    return _refold_shop(session, shop_id, windows, marks)


def _reset(marks: Iterable[RollupWatermark]) -> None:
    for mark in marks:
        mark.position, mark.gaps = 0, []


def _refold_shop(session: Session, shop_id: int, windows: AttributionWindows,
                       marks: dict[str, RollupWatermark]) -> FoldReport:
    report = FoldReport()
    for source, column, shop_column, folder in _sources(windows, false()):
        mark, after, count = marks[source], 0, 0
        while True:
            where = and_(shop_column == shop_id, column > after, folded(column, mark))
            read = _fold_batch(session, folder, where)
            count += len(read)
            if len(read) < BATCH:
                break
            after = max(read)
        setattr(report, source, count)
    session.flush()
    return report


async def rebuild(session: AsyncSession, shop_id: int | None,
                  windows: AttributionWindows = DEFAULT_WINDOWS) -> FoldReport:
    """``refold`` in an async session's transaction."""
    return await session.run_sync(lambda sync: refold(sync, shop_id, windows))
