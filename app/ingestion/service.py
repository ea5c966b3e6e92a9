"""Commands on the webhook inbox: claim, take, finish, fail, reject.

The claim is an ``INSERT .. ON CONFLICT DO NOTHING`` under the inbox's unique
constraints, so any number of concurrent copies of one delivery store exactly one row.
Taking a delivery is a conditional ``UPDATE`` in the transaction that applies it: a
crash rolls both back and the delivery is simply taken again later."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId
from app.ingestion.models import DONE, FAILED, PENDING, InboxDelivery, RejectedDelivery
from app.storage.database import utcnow

MAX_ERROR_CHARS = 2000
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class NewDelivery:
    shop_id: ShopId
    platform: str
    topic: str
    delivery_id: str
    event_id: str | None
    triggered_at: datetime | None
    body: bytes


def _insert_ignoring_duplicates(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(InboxDelivery).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(InboxDelivery).on_conflict_do_nothing()
    raise NotImplementedError(f"no inbox support for {dialect}")


def _claim_keys(delivery: NewDelivery) -> list[tuple[object, ...]]:
    keys: list[tuple[object, ...]] = [
        ("delivery", delivery.shop_id, delivery.platform, delivery.delivery_id)]
    if delivery.event_id:
        keys.append(("event", delivery.shop_id, delivery.platform, delivery.topic,
                     delivery.event_id))
    return keys


def claim_deliveries(connection: Connection, deliveries: Sequence[NewDelivery]) -> list[bool]:
    """Store each delivery unless one with its delivery id or event id is known, in one
    statement; ``result[i]`` tells whether ``deliveries[i]`` was stored by this call
    (``False``: a duplicate, to acknowledge only). In the caller's transaction."""
    seen: set[tuple[object, ...]] = set()
    fresh: list[int] = []
    for index, delivery in enumerate(deliveries):
        keys = _claim_keys(delivery)
        if not seen.intersection(keys):  # a copy within the same batch is a duplicate too
            seen.update(keys)
            fresh.append(index)
    if not fresh:
        return [False] * len(deliveries)
    now = utcnow()
    rows = [
        {"shop_id": d.shop_id, "platform": d.platform, "topic": d.topic,
         "delivery_id": d.delivery_id, "event_id": d.event_id, "triggered_at": d.triggered_at,
         "body": d.body, "status": PENDING, "attempts": 0, "received_at": now,
         "next_attempt_at": now}
        for d in (deliveries[i] for i in fresh)
    ]
    stmt = _insert_ignoring_duplicates(connection.dialect.name).values(rows).returning(
        InboxDelivery.shop_id, InboxDelivery.platform, InboxDelivery.delivery_id)
    stored = {(int(r[0]), str(r[1]), str(r[2])) for r in connection.execute(stmt).all()}
    fresh_set = set(fresh)
    return [
        index in fresh_set and (int(d.shop_id), d.platform, d.delivery_id) in stored
        for index, d in enumerate(deliveries)
    ]


async def record_rejection(
    session: AsyncSession,
    shop_id: ShopId,
    platform: str,
    topic: str,
    delivery_id: str | None,
    reason: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    session.add(RejectedDelivery(
        shop_id=shop_id, platform=platform, topic=topic[:128], delivery_id=delivery_id,
        reason=reason[:MAX_ERROR_CHARS], headers=headers, body=body,
    ))
    await session.flush()


async def due_deliveries(session: AsyncSession, limit: int = 100) -> list[int]:
    """Ids of pending deliveries whose turn has come, oldest first."""
    stmt = (
        select(InboxDelivery.id)
        .where(InboxDelivery.status == PENDING, InboxDelivery.next_attempt_at <= utcnow())
        .order_by(InboxDelivery.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def take_delivery(session: AsyncSession, delivery_key: int) -> bool:
    """Mark a pending delivery done and drop its body (the row stays as a receipt for
    deduplication), in one statement of the caller's transaction, the one that applies it;
    ``False`` when another processor took it first."""
    result = await session.execute(
        update(InboxDelivery)
        .where(InboxDelivery.id == delivery_key, InboxDelivery.status == PENDING)
        .values(status=DONE, processed_at=utcnow(), attempts=InboxDelivery.attempts + 1,
                body=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


async def record_failure(
    session: AsyncSession, delivery_key: int, error: str, max_attempts: int
) -> str:
    """Count a failed attempt: retry later with back-off, or park it as failed."""
    delivery = await session.get(InboxDelivery, delivery_key, populate_existing=True)
    if delivery is None:
        return "gone"
    delivery.attempts += 1
    delivery.last_error = error[:MAX_ERROR_CHARS]
    if delivery.attempts >= max_attempts:
        delivery.status = FAILED
    else:
        delivery.status = PENDING
        delivery.next_attempt_at = utcnow() + backoff(delivery.attempts)
    await session.flush()
    return delivery.status


async def retry_failed(session: AsyncSession, shop_id: ShopId | None = None) -> int:
    """Put parked deliveries back in the queue (after the cause was fixed)."""
    stmt = (
        update(InboxDelivery)
        .where(InboxDelivery.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if shop_id is not None:
        stmt = stmt.where(InboxDelivery.shop_id == shop_id)
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0))


async def inbox_counts(session: AsyncSession, shop_id: ShopId | None = None) -> dict[str, int]:
    stmt = select(InboxDelivery.status, func.count()).group_by(InboxDelivery.status)
    if shop_id is not None:
        stmt = stmt.where(InboxDelivery.shop_id == shop_id)
    counts = {PENDING: 0, DONE: 0, FAILED: 0}
    counts.update({str(status): int(n) for status, n in (await session.execute(stmt)).all()})
    rejected = select(func.count()).select_from(RejectedDelivery)
    if shop_id is not None:
        rejected = rejected.where(RejectedDelivery.shop_id == shop_id)
    counts["rejected"] = int((await session.execute(rejected)).scalar_one())
    return counts
