"""Read one ``/collect`` event from its JSON: every field checked for its kind and bounded
here, so that an odd field refuses that event with a reason (never the value) and the rest
of the batch is stored. GraphQL's types do the same for trackEvents."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.context.types import HOURS
from app.events.types import Consent, EventIn
from app.events.validation import MAX_DWELL_MS, MAX_QUANTITY

ID_FIELDS = {"eventId": "event_id", "visitorId": "visitor_id", "customerId": "customer_id",
             "productId": "product_id", "variantId": "variant_id",
             "recommendationId": "recommendation_id"}
MAX_TEXT_LENGTH = 1024
"""Longer strings are refused before they are looked at (the tighter limits come later)."""


class EventRefused(ValueError):
    """The event cannot be read; the message names the field, never its value."""


@dataclass(frozen=True)
class CollectedEvent:
    event: EventIn
    customer_token: str | None


def _text(raw: dict[str, Any], field: str) -> str | None:
    value = raw.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EventRefused(f"{field} must be a string")
    text = str(value) if isinstance(value, int) else value
    if len(text) > MAX_TEXT_LENGTH:
        raise EventRefused(f"{field} is longer than {MAX_TEXT_LENGTH} characters")
    return text


def _bounded(raw: dict[str, Any], field: str, upper: int) -> int | None:
    value = raw.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise EventRefused(f"{field} must be an integer between 0 and {upper}")
    return value


def _time(raw: dict[str, Any]) -> datetime | None:
    value = raw.get("occurredAt")
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError
        return datetime.fromisoformat(value)
    except ValueError:
        raise EventRefused("occurredAt must be an ISO 8601 time") from None


def _consent(raw: dict[str, Any]) -> Consent | None:
    value = raw.get("consent")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
            isinstance(value.get(k, False), bool) for k in ("analytics", "personalization")):
        raise EventRefused("consent must be {\"analytics\": bool, \"personalization\": bool}")
    return Consent(value.get("analytics") is True, value.get("personalization") is True)


def parse_event(raw: Any) -> CollectedEvent:
    """The event and its customer token; ``EventRefused`` for anything out of shape."""
    if not isinstance(raw, dict):
        raise EventRefused("an event must be an object")
    ids = {name: _text(raw, key) for key, name in ID_FIELDS.items()}
    event = EventIn(
        type=_text(raw, "type") or "", visitor_id=ids.pop("visitor_id") or "",
        quantity=_bounded(raw, "quantity", MAX_QUANTITY),
        dwell_ms=_bounded(raw, "dwellMs", MAX_DWELL_MS),
        query=_text(raw, "query"), occurred_at=_time(raw), consent=_consent(raw),
        device_class=_text(raw, "deviceClass"), region=_text(raw, "region"),
        local_hour=_bounded(raw, "localHour", HOURS - 1), **ids)
    return CollectedEvent(event, _text(raw, "customerToken"))
