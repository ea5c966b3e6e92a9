"""How far the rollups have read each source table, by its ids, and the ids still to come.

A fold locks every watermark row first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite
the insert that opens the fold takes the single writer's lock), so two processes folding at
once fold one after the other, and what a fold adds is committed with its watermarks or not
at all.

An id is taken from a sequence when a row is inserted, not when it commits: on PostgreSQL a
row can become visible after rows with higher ids were read. The ids skipped over are kept
as gaps and read again by the next folds, until they are older than ``GAP_SECONDS`` (the
insert was rolled back, or its row deleted).

SQLite gives a new row the highest id present plus one: once the newest rows are deleted
(an erasure), their ids come again. A fold therefore first brings each watermark down to
the highest id present; only a row stored between such a deletion and the next fold (a
second, by default) can be missed, until ``affinity kpis rebuild``."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.attribution.models import RollupWatermark
from app.storage.database import utcnow

SOURCES = ("rankings", "events", "orders", "refund_lines")
GAP_SECONDS = 600
MAX_GAPS = 1000
Gap = list[float]
"""``[first_id, last_id, seen_at_epoch_seconds]``."""


def lock_watermarks(session: Session) -> dict[str, RollupWatermark]:
    """Every source's watermark, locked until the transaction ends."""
    rows = [{"source": s, "position": 0, "gaps": [], "updated_at": utcnow()} for s in SOURCES]
    insert = (postgresql.insert(RollupWatermark)
              if session.get_bind().dialect.name == "postgresql" else sqlite.insert(RollupWatermark))
    session.execute(insert.on_conflict_do_nothing(index_elements=["source"]), rows)
    stmt = (select(RollupWatermark).where(RollupWatermark.source.in_(SOURCES))
            .order_by(RollupWatermark.source).with_for_update()
            .execution_options(populate_existing=True))
    return {mark.source: mark for mark in (session.execute(stmt)).scalars()}


def clamp_to_present(session: Session, mark: RollupWatermark,
                           column: InstrumentedAttribute[int]) -> None:
    """Bring the watermark down to the highest id stored, if the newest rows went."""
    top = (session.execute(select(func.max(column)))).scalar_one_or_none() or 0
    if top < mark.position:
        mark.position = top
        mark.gaps = [[first, min(last, top), seen] for first, last, seen in mark.gaps
                     if first <= top]


def unread(column: InstrumentedAttribute[int], mark: RollupWatermark) -> ColumnElement[bool]:
    """Rows past the watermark, and rows in its gaps."""
    return or_(column > mark.position, *(column.between(int(g[0]), int(g[1])) for g in mark.gaps))


def folded(column: InstrumentedAttribute[int], mark: RollupWatermark) -> ColumnElement[bool]:
    """Rows already folded: up to the watermark, outside its gaps."""
    if mark.position <= 0:
        return false()
    in_gaps = [column.between(int(g[0]), int(g[1])) for g in mark.gaps]
    return and_(column <= mark.position, not_(or_(*in_gaps))) if in_gaps else column <= mark.position


def advance(mark: RollupWatermark, read: Iterable[int], now: datetime | None = None) -> None:
    """Record the ids just read: the watermark moves past the highest, ids skipped become
    gaps, and gaps that were read or have grown old go."""
    ids = sorted(set(read))
    at = (now or utcnow()).timestamp()
    gaps = [g for g in _without(mark.gaps, ids) if at - g[2] <= GAP_SECONDS]
    previous = mark.position
    for found in (i for i in ids if i > previous):
        if found > previous + 1:
            gaps.append([previous + 1, found - 1, at])
        previous = found
    mark.gaps = gaps[-MAX_GAPS:]
    mark.position = max(mark.position, previous)
    mark.updated_at = now or utcnow()


def _without(gaps: list[Gap], ids: list[int]) -> list[Gap]:
    """The gaps with the ids read taken out (a gap read in its middle splits in two)."""
    remaining: list[Gap] = []
    for first, last, seen in gaps:
        start = int(first)
        for found in (i for i in ids if first <= i <= last):
            if found > start:
                remaining.append([start, found - 1, seen])
            start = found + 1
        if start <= last:
            remaining.append([start, int(last), seen])
    return remaining
