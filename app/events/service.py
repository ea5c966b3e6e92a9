"""trackEvents: validate, settle consent, drop duplicates, store, join identities.

Without analytics consent nothing is written; observers (the in-memory session state)
still hear about the event so that it can shape the current session."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.events.protocol import AcceptedEvent, EventObserver
from app.events.storage import insert_new_events, known_event_ids, link_visitors
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


def _row(shop_id: ShopId, event: AcceptedEvent, raw: EventIn) -> dict[str, object]:
    return {
        "shop_id": shop_id, "event_id": event.event_id, "type": event.type.value,
        "visitor_id": event.visitor_id, "customer_id": event.customer_id,
        "product_id": event.product_id, "variant_id": raw.variant_id,
        "quantity": event.quantity, "query": raw.query,
        "recommendation_id": event.recommendation_id, "dwell_ms": raw.dwell_ms,
        "personalization": event.consent.personalization, "occurred_at": event.occurred_at,
    }


def _accept(
    events: Sequence[EventIn], now: datetime, default_consent: Consent, result: TrackResult
) -> list[tuple[AcceptedEvent, EventIn]]:
    """The valid events, each event id once; rejections and copies counted in ``result``."""
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
    return accepted


async def _new_ids(
    session: AsyncSession, shop_id: ShopId, accepted: list[tuple[AcceptedEvent, EventIn]]
) -> set[str]:
    """Store the consenting events; the ids of the accepted events not seen before."""
    consenting = [_row(shop_id, e, raw) for e, raw in accepted if e.consent.analytics]
    new = await insert_new_events(session, consenting)
    unstored = [e.event_id for e, _ in accepted if not e.consent.analytics]
    known = await known_event_ids(session, shop_id, unstored)
    return new | (set(unstored) - known)


def _links(fresh: list[AcceptedEvent]) -> dict[str, str]:
    """Visitor to customer, from the stored events that name one (the latest wins)."""
    return {e.visitor_id: e.customer_id for e in fresh
            if e.customer_id and e.consent.analytics}


async def track_events(
    session: AsyncSession,
    shop_id: ShopId,
    events: Sequence[EventIn],
    now: datetime,
    default_consent: Consent,
    observers: Sequence[EventObserver] = (),
) -> TrackResult:
    result = TrackResult()
    accepted = _accept(events, now, default_consent, result)
    new_ids = await _new_ids(session, shop_id, accepted)
    fresh = [e for e, _ in accepted if e.event_id in new_ids]
    result.duplicates += len(accepted) - len(fresh)
    await link_visitors(session, shop_id, _links(fresh))
    for event in fresh:
        for observer in observers:
            observer.observe(shop_id, event)
    result.accepted = len(fresh)
    return result
