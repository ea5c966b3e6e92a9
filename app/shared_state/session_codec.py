"""Accepted events as they travel between processes: compact JSON, checked on the way in.

What comes out of Redis is read as carefully as a request: anything malformed or oversized
is ignored, never applied."""

import json
from datetime import datetime
from typing import Any

from app.context.types import ShopperContext, context_problem, shopper_context
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
        **_encode_context(event.context),
    }


def _encode_context(context: ShopperContext) -> dict[str, Any]:
    if context.empty:
        return {}
    return {"device": context.device.value if context.device else None,
            "region": context.region, "hour": context.local_hour}


def _context(raw: dict[str, Any]) -> ShopperContext | None:
    """The event's context; ``None`` when it is malformed."""
    device, region, hour = raw.get("device"), raw.get("region"), raw.get("hour")
    if not (_text_or_none(device) and _text_or_none(region)
            and (hour is None or type(hour) is int)):
        return None
    if context_problem(device, region, hour) is not None:
        return None
    return shopper_context(device, region, hour)


def _text_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


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
    occurred_at, context = raw["occurred_at"], _context(raw)
    if not _short_text(occurred_at) or context is None:
        return None
    return AcceptedEvent(
        event_id=texts[0], type=EventType(raw["type"]), visitor_id=texts[1],
        customer_id=optional[0], product_id=optional[1], quantity=quantity,
        recommendation_id=optional[2], occurred_at=datetime.fromisoformat(occurred_at),
        consent=Consent(analytics=analytics, personalization=personalization),
        context=context)


def _short_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_FIELD_CHARS
