"""trackEvents: validate, settle consent, drop duplicates, store, join identities.

Without analytics consent nothing is written; observers (the in-memory session state)
still hear about the event so that it can shape the current session."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import Event, VisitorLink
from app.events.protocol import AcceptedEvent, EventObserver
from app.events.types import Consent, EventIn, EventType, Rejection, TrackResult
from app.events.validation import problem_with
from app.ids import ShopId


def _settle(event: EventIn, now: datetime, default: Consent) -> AcceptedEvent:
    when = event.occurred_at or now
    return AcceptedEvent(
        event_id=event.event_id or uuid.uuid4().hex,
        type=EventType(event.type),
        visitor_id=event.visitor_id,
        customer_id=event.customer_id or None,
        product_id=event.product_id or None,
        quantity=event.quantity,
        recommendation_id=event.recommendation_id or None,
        occurred_at=when if when.tzinfo else when.replace(tzinfo=UTC),
        consent=event.consent or default,
    )


async def _known_ids(session: AsyncSession, shop_id: ShopId, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    stmt = select(Event.event_id).where(Event.shop_id == shop_id, Event.event_id.in_(ids))
    return set((await session.execute(stmt)).scalars())


def _row(shop_id: ShopId, event: AcceptedEvent, raw: EventIn) -> dict[str, object]:
    return {
        "shop_id": shop_id, "event_id": event.event_id, "type": event.type.value,
        "visitor_id": event.visitor_id, "customer_id": event.customer_id,
        "product_id": event.product_id, "variant_id": raw.variant_id,
        "quantity": event.quantity, "query": raw.query,
        "recommendation_id": event.recommendation_id, "dwell_ms": raw.dwell_ms,
        "personalization": event.consent.personalization, "occurred_at": event.occurred_at,
    }


async def _store(session: AsyncSession, rows: list[dict[str, object]]) -> int:
    """Insert the rows; a concurrent copy of the same event id is skipped, not an error."""
    if not rows:
        return 0
    try:
        async with session.begin_nested():
            await session.execute(insert(Event), rows)
        return len(rows)
    except IntegrityError:
        stored = 0
        for row in rows:
            try:
                async with session.begin_nested():
                    await session.execute(insert(Event), [row])
                stored += 1
            except IntegrityError:
                continue
        return stored


async def link_visitor(
    session: AsyncSession, shop_id: ShopId, visitor_id: str, customer_id: str
) -> None:
    """Remember that this visitor is this customer (the latest login wins)."""
    stmt = select(VisitorLink).where(
        VisitorLink.shop_id == shop_id, VisitorLink.visitor_id == visitor_id)
    link = (await session.execute(stmt)).scalar_one_or_none()
    if link is None:
        try:
            async with session.begin_nested():
                session.add(VisitorLink(shop_id=shop_id, visitor_id=visitor_id,
                                        customer_id=customer_id))
                await session.flush()
        except IntegrityError:
            return
    elif link.customer_id != customer_id:
        link.customer_id = customer_id
        await session.flush()


async def track_events(
    session: AsyncSession,
    shop_id: ShopId,
    events: Sequence[EventIn],
    now: datetime,
    default_consent: Consent,
    observers: Sequence[EventObserver] = (),
) -> TrackResult:
    result = TrackResult()
    accepted: list[tuple[AcceptedEvent, EventIn]] = []
    seen: set[str] = set()
    for index, raw in enumerate(events):
        problem = problem_with(raw, now)
        if problem is not None:
            result.rejected.append(Rejection(index, problem))
            continue
        event = _settle(raw, now, default_consent)
        if event.event_id in seen:
            result.duplicates += 1
            continue
        seen.add(event.event_id)
        accepted.append((event, raw))
    known = await _known_ids(session, shop_id, [e.event_id for e, _ in accepted])
    fresh = [(e, raw) for e, raw in accepted if e.event_id not in known]
    result.duplicates += len(accepted) - len(fresh)
    consenting = [(e, raw) for e, raw in fresh if e.consent.analytics]
    await _store(session, [_row(shop_id, e, raw) for e, raw in consenting])
    for event, _ in consenting:
        if event.customer_id:
            await link_visitor(session, shop_id, event.visitor_id, event.customer_id)
    await session.flush()
    for event, _ in fresh:
        for observer in observers:
            observer.observe(shop_id, event)
    result.accepted = len(fresh)
    return result
