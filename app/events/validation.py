"""Per-event checks: a bad event is rejected with a reason, the batch goes on."""

from datetime import UTC, datetime, timedelta

from app.context.types import context_problem
from app.events.types import (
    MAX_ID_LENGTH,
    MAX_QUERY_LENGTH,
    MAX_REFERENCE_LENGTH,
    PRODUCT_EVENTS,
    EventIn,
    EventType,
)

MAX_FUTURE = timedelta(minutes=10)
MAX_QUANTITY = 100_000
MAX_DWELL_MS = 24 * 60 * 60 * 1000
"""A day on one page: longer is a broken clock (the column is a 32-bit integer)."""


def _id_problem(name: str, value: str | None, required: bool,
                limit: int = MAX_ID_LENGTH) -> str | None:
    if value is None or value == "":
        return f"{name} is required" if required else None
    if len(value) > limit:
        return f"{name} is longer than {limit} characters"
    return None


def _type_problem(event: EventIn) -> str | None:
    if event.type not in EventType.__members__:
        return "unknown event type"
    kind = EventType(event.type)
    if kind in PRODUCT_EVENTS and not event.product_id:
        return f"{kind.value} needs a productId"
    if kind is EventType.SEARCH_SUBMITTED and not (event.query or "").strip():
        return "SEARCH_SUBMITTED needs a query"
    return None


def _number_problem(event: EventIn) -> str | None:
    if event.quantity is not None and not 0 <= event.quantity <= MAX_QUANTITY:
        return f"quantity must be between 0 and {MAX_QUANTITY}"
    if event.dwell_ms is not None and not 0 <= event.dwell_ms <= MAX_DWELL_MS:
        return f"dwellMs must be between 0 and {MAX_DWELL_MS}"
    if event.query is not None and len(event.query) > MAX_QUERY_LENGTH:
        return f"query is longer than {MAX_QUERY_LENGTH} characters"
    return None


def _time_problem(event: EventIn, now: datetime) -> str | None:
    if event.occurred_at is None:
        return None
    when = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    if when > now + MAX_FUTURE:
        return "occurredAt is in the future"
    return None


def problem_with(event: EventIn, now: datetime) -> str | None:
    """Why this event cannot be accepted, or ``None``."""
    for check in (
        _id_problem("visitorId", event.visitor_id, True),
        _id_problem("eventId", event.event_id, False),
        _id_problem("customerId", event.customer_id, False),
        _id_problem("productId", event.product_id, False, MAX_REFERENCE_LENGTH),
        _id_problem("variantId", event.variant_id, False, MAX_REFERENCE_LENGTH),
        _id_problem("recommendationId", event.recommendation_id, False, MAX_REFERENCE_LENGTH),
        _type_problem(event),
        _number_problem(event),
        _time_problem(event, now),
        context_problem(event.device_class, event.region, event.local_hour),
    ):
        if check is not None:
            return check
    return None
