"""Accepted events as they travel between processes: compact JSON, checked on the way in.

What comes out of Redis is read as carefully as a request: anything malformed or oversized
is ignored, never applied."""

import json
from datetime import datetime
from typing import Any

from app.events.protocol import AcceptedEvent
from app.events.types import Consent, EventType

MAX_EVENT_BYTES = 4096
MAX_FIELD_CHARS = 512
_TEXT_FIELDS = ("event_id", "visitor_id")
_OPTIONAL_TEXT_FIELDS = ("customer_id", "product_id", "recommendation_id")


def encode_event(event: AcceptedEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id, "type": event.type.value, "visitor_id": event.visitor_id,
        "customer_id": event.customer_id, "product_id": event.product_id,
        "quantity": event.quantity, "recommendation_id": event.recommendation_id,
        "occurred_at": event.occurred_at.isoformat(),
        "analytics": event.consent.analytics, "personalization": event.consent.personalization,
    }


def event_bytes(event: AcceptedEvent) -> bytes:
    return json.dumps(encode_event(event), separators=(",", ":")).encode()


def decode_event(raw: object) -> AcceptedEvent | None:
    """The event in ``raw`` (bytes of JSON, or its parsed object); ``None`` when it is not
    one this codec wrote."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_EVENT_BYTES:
            return None
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, dict):
        return None
    try:
        return _event(raw)
    except (KeyError, TypeError, ValueError):
        return None


def _event(raw: dict[str, Any]) -> AcceptedEvent | None:
    texts = [raw[name] for name in _TEXT_FIELDS]
    optional = [raw.get(name) for name in _OPTIONAL_TEXT_FIELDS]
    if not all(_short_text(t) for t in texts) or not all(
            o is None or _short_text(o) for o in optional):
        return None
    quantity, analytics, personalization = (
        raw.get("quantity"), raw["analytics"], raw["personalization"])
    if (quantity is not None and type(quantity) is not int) or not (
            type(analytics) is bool and type(personalization) is bool):
        return None
    occurred_at = raw["occurred_at"]
    if not _short_text(occurred_at):
        return None
    return AcceptedEvent(
        event_id=texts[0], type=EventType(raw["type"]), visitor_id=texts[1],
        customer_id=optional[0], product_id=optional[1], quantity=quantity,
        recommendation_id=optional[2], occurred_at=datetime.fromisoformat(occurred_at),
        consent=Consent(analytics=analytics, personalization=personalization))


def _short_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_FIELD_CHARS
