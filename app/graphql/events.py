"""trackEvents: thin mutation over the events service."""

from datetime import datetime
from enum import Enum

import strawberry

from app.db import transaction, utcnow
from app.events.types import MAX_BATCH, Consent, EventIn, EventType, TrackResult
from app.graphql.context import Info
from app.ids import ShopId

strawberry.enum(EventType, name="EventType")


@strawberry.input
class ConsentInput:
    analytics: bool
    personalization: bool


@strawberry.input
class EventInput:
    type: EventType
    visitor_id: strawberry.ID
    event_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    variant_id: strawberry.ID | None = None
    quantity: int | None = None
    query: str | None = None
    recommendation_id: strawberry.ID | None = None
    dwell_ms: int | None = None
    occurred_at: datetime | None = None
    consent: ConsentInput | None = None


@strawberry.type
class EventRejection:
    index: int
    reason: str


@strawberry.type
class TrackEventsResult:
    accepted: int
    duplicates: int
    rejected: list[EventRejection]

    @classmethod
    def from_domain(cls, result: TrackResult) -> "TrackEventsResult":
        return cls(accepted=result.accepted, duplicates=result.duplicates,
                   rejected=[EventRejection(index=r.index, reason=r.reason)
                             for r in result.rejected])


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def to_domain(event: EventInput) -> EventIn:
    kind = event.type.value if isinstance(event.type, Enum) else str(event.type)
    return EventIn(
        type=kind, visitor_id=str(event.visitor_id), event_id=_opt(event.event_id),
        customer_id=_opt(event.customer_id), product_id=_opt(event.product_id),
        variant_id=_opt(event.variant_id), quantity=event.quantity, query=event.query,
        recommendation_id=_opt(event.recommendation_id), dwell_ms=event.dwell_ms,
        occurred_at=event.occurred_at,
        consent=Consent(event.consent.analytics, event.consent.personalization)
        if event.consent else None)


def batch_too_large(count: int) -> TrackEventsResult | None:
    if count <= MAX_BATCH:
        return None
    return TrackEventsResult(accepted=0, duplicates=0, rejected=[
        EventRejection(index=0, reason=f"at most {MAX_BATCH} events per call, got {count}")])


@strawberry.type
class EventMutation:
    @strawberry.mutation(description="Record storefront events (at most 500 per call).")
    async def track_events(self, info: Info, events: list[EventInput]) -> TrackEventsResult:
        too_large = batch_too_large(len(events))
        if too_large is not None:
            return too_large
        services = info.context.services
        async with transaction(services.sessions) as session:
            result = await services.tracker.track(
                session, ShopId(info.context.shop.id), [to_domain(e) for e in events], utcnow())
        return TrackEventsResult.from_domain(result)
