"""trackEvents: validate, settle consent, drop duplicates, store, join identities.

Without analytics consent nothing is written; observers (the in-memory session state)
still hear about the event so that it can shape the current session."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from app.context.types import shopper_context
from app.events.protocol import AcceptedEvent, EventObserver
from app.events.sources import SourceKeys
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
        context=shopper_context(event.device_class, event.region, event.local_hour),
    )


def _row(shop_id: ShopId, event: AcceptedEvent, raw: EventIn,
         sources: SourceKeys | None) -> dict[str, object]:
    return {
        "shop_id": shop_id, "event_id": event.event_id, "type": event.type.value,
        "visitor_id": event.visitor_id, "customer_id": event.customer_id,
        "product_id": event.product_id, "variant_id": raw.variant_id,
        "quantity": event.quantity, "query": raw.query,
        "recommendation_id": event.recommendation_id, "dwell_ms": raw.dwell_ms,
        "personalization": event.consent.personalization, "occurred_at": event.occurred_at,
        "source_key": sources.key_of(raw.client_address) if sources is not None else None,
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


def _links(fresh: list[AcceptedEvent]) -> dict[str, str]:
    """Visitor to customer, from the stored events that name one (the latest wins)."""
    return {e.visitor_id: e.customer_id for e in fresh
            if e.customer_id and e.consent.analytics}


def store_events(connection: Connection, shop_id: ShopId,
                 accepted: list[tuple[AcceptedEvent, EventIn]],
                 sources: SourceKeys | None = None) -> set[str]:
    """Store the consenting events and join identities, in the caller's transaction; the
    ids of the accepted events not seen before. ``sources`` keys each event's network
    address (without it, none is kept)."""
    consenting = [_row(shop_id, e, raw, sources) for e, raw in accepted if e.consent.analytics]
    new = insert_new_events(connection, consenting)
    unstored = [e.event_id for e, _ in accepted if not e.consent.analytics]
    new |= set(unstored) - known_event_ids(connection, shop_id, unstored)
    link_visitors(connection, shop_id, _links([e for e, _ in accepted if e.event_id in new]))
    return new


def accept_events(events: Sequence[EventIn], now: datetime,
                  default_consent: Consent) -> tuple[TrackResult, list[tuple[AcceptedEvent, EventIn]]]:
    """Validate and settle a batch before anything is written: the result so far (rejections,
    copies within the batch) and the accepted events."""
    result = TrackResult()
    return result, _accept(events, now, default_consent, result)


def finish(result: TrackResult, shop_id: ShopId, accepted: list[tuple[AcceptedEvent, EventIn]],
           new_ids: set[str], observers: Sequence[EventObserver]) -> TrackResult:
    """Count what was new, and tell the observers about it."""
    fresh = [e for e, _ in accepted if e.event_id in new_ids]
    result.duplicates += len(accepted) - len(fresh)
    for event in fresh:
        for observer in observers:
            observer.observe(shop_id, event)
    result.accepted = len(fresh)
    return result


async def track_events(
    session: AsyncSession,
    shop_id: ShopId,
    events: Sequence[EventIn],
    now: datetime,
    default_consent: Consent,
    observers: Sequence[EventObserver] = (),
    sources: SourceKeys | None = None,
) -> TrackResult:
    """The whole of ``trackEvents`` in the caller's session and transaction."""
    result, accepted = accept_events(events, now, default_consent)
    new_ids = await session.run_sync(
        lambda sync: store_events(sync.connection(), shop_id, accepted, sources))
    return finish(result, shop_id, accepted, new_ids, observers)
