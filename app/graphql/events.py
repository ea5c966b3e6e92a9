"""trackEvents: thin mutation over the events service."""

from datetime import datetime
from enum import Enum

import strawberry

from app.context.types import DeviceClass
from app.events.checked_batches import store_checked, with_proven_customer
from app.events.types import MAX_BATCH, Consent, EventIn, EventType, TrackResult
from app.graphql.context import Info
from app.graphql.fast import plain_input
from app.ids import ShopId
from app.storage.database import utcnow

strawberry.enum(EventType, name="EventType")
strawberry.enum(DeviceClass, name="DeviceClass")


@plain_input
@strawberry.input
class ConsentInput:
    analytics: bool
    personalization: bool


@plain_input
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
    device_class: DeviceClass | None = None
    region: str | None = strawberry.field(default=None, description=(
        "The shopper's country or region, an ISO 3166 code (GB, GB-ENG)."))
    local_hour: int | None = strawberry.field(default=None, description=(
        "The hour of the day (0-23) on the shopper's clock."))
    customer_token: str | None = strawberry.field(default=None, description=(
        "A customer token signed by the shop's server: with the public storefront key, "
        "the only way to name a customer (a customerId must name the same one)."))


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


def to_domain(event: EventInput, client_address: str | None = None) -> EventIn:
    kind = event.type.value if isinstance(event.type, Enum) else str(event.type)
    return EventIn(
        type=kind, visitor_id=str(event.visitor_id), event_id=_opt(event.event_id),
        customer_id=_opt(event.customer_id), product_id=_opt(event.product_id),
        variant_id=_opt(event.variant_id), quantity=event.quantity, query=event.query,
        recommendation_id=_opt(event.recommendation_id), dwell_ms=event.dwell_ms,
        occurred_at=event.occurred_at,
        consent=Consent(event.consent.analytics, event.consent.personalization)
        if event.consent else None, client_address=client_address,
        device_class=_enum_name(event.device_class), region=event.region,
        local_hour=event.local_hour)


def _enum_name(value: object) -> str | None:
    if value is None:
        return None
    return value.value if isinstance(value, Enum) else str(value)


def batch_too_large(count: int, allowed: int = MAX_BATCH) -> TrackEventsResult | None:
    """A refusal of the whole call when it has more events than the request may still store
    (``MAX_BATCH`` per HTTP request, across all its trackEvents fields)."""
    if count <= allowed:
        return None
    return TrackEventsResult(accepted=0, duplicates=0, rejected=[EventRejection(
        index=0, reason=f"at most {MAX_BATCH} events per request (all trackEvents together)")])


@strawberry.type
class EventMutation:
    @strawberry.mutation(description="Record storefront events (at most 500 per request).")
    async def track_events(self, info: Info, events: list[EventInput]) -> TrackEventsResult:
        too_large = batch_too_large(len(events), info.context.events.remaining)
        if too_large is not None:
            if info.context.services.metrics is not None:
                info.context.services.metrics.count_refused_batch(len(events))
            return too_large
        info.context.events.take([str(event.visitor_id) for event in events])
        now, proof, address = utcnow(), info.context.proof, info.context.client_address
        checked = [with_proven_customer(index, to_domain(event, address), event.customer_token,
                                        proof, now)
                   for index, event in enumerate(events)]
        result = await store_checked(
            info.context.services.tracker, ShopId(info.context.shop.id), checked, now)
        if info.context.services.metrics is not None:
            info.context.services.metrics.count_events(result)
        return TrackEventsResult.from_domain(result)
