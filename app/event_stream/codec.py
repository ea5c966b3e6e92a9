"""One stream entry <-> one shop's accepted events, checked as carefully as a request.

An entry holds the shop's id and the events as compact JSON, each settled (event id,
time with its zone, consent) so that the writer stores exactly what the server accepted.
The network address never enters the stream: only its keyed hash (``app.events.sources``).
Decoding trusts nothing: sizes first, then every field's type, then the request path's own
checks (``app.events.validation``); anything off is ``MalformedEntry``."""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from app.events.protocol import AcceptedEvent
from app.events.sources import SourceKeys
from app.events.types import Consent, EventIn
from app.events.validation import problem_with
from app.ids import ShopId

FORMAT = b"1"
EVENTS_PER_ENTRY = 50
"""A batch of up to 500 events (``MAX_BATCH``) makes up to 10 entries."""
MAX_ENTRY_BYTES = 512 * 1024
"""Fifty events at their longest (every string at its limit, escaped) stay under this."""
MAX_SOURCE_KEY_LENGTH = 64
MAX_TIME_LENGTH = 40
MAX_SHOP_ID = 2**31 - 1
"""Shop ids are 32-bit integers (the column's type on PostgreSQL)."""
STRING_FIELDS = ("event_id", "type", "visitor_id", "customer_id", "product_id", "variant_id",
                 "query", "recommendation_id", "source")
INT_FIELDS = ("quantity", "dwell_ms")
BOOL_FIELDS = ("analytics", "personalization")
FIELDS = frozenset((*STRING_FIELDS, *INT_FIELDS, *BOOL_FIELDS, "occurred_at"))
REQUIRED = frozenset(("event_id", "type", "visitor_id", "occurred_at", *BOOL_FIELDS))


class MalformedEntry(Exception):
    """An entry that is not what a server writes (the message names no value)."""


def _event_fields(event: AcceptedEvent, raw: EventIn, source: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": event.event_id, "type": event.type.value, "visitor_id": event.visitor_id,
        "customer_id": event.customer_id, "product_id": event.product_id,
        "variant_id": raw.variant_id, "quantity": event.quantity, "query": raw.query,
        "recommendation_id": event.recommendation_id, "dwell_ms": raw.dwell_ms,
        "occurred_at": event.occurred_at.isoformat(), "source": source,
        "analytics": event.consent.analytics,
        "personalization": event.consent.personalization,
    }
    return {name: value for name, value in fields.items() if value is not None}


def encode_entries(shop_id: ShopId, accepted: Sequence[tuple[AcceptedEvent, EventIn]],
                   sources: SourceKeys | None) -> list[dict[bytes, bytes]]:
    """The stream entries of one shop's accepted events, ``EVENTS_PER_ENTRY`` to an entry."""
    events = [_event_fields(e, raw, sources.key_of(raw.client_address) if sources else None)
              for e, raw in accepted]
    return [{b"v": FORMAT, b"shop": str(int(shop_id)).encode(),
             b"events": json.dumps(events[start:start + EVENTS_PER_ENTRY],
                                   separators=(",", ":"), ensure_ascii=False).encode()}
            for start in range(0, len(events), EVENTS_PER_ENTRY)]


def _shop_id(raw: bytes) -> ShopId:
    if not 0 < len(raw) <= 10 or not raw.isdigit():
        raise MalformedEntry("the shop id is not a number")
    value = int(raw)
    if not 0 < value <= MAX_SHOP_ID:
        raise MalformedEntry("the shop id is out of range")
    return ShopId(value)


def _checked_types(fields: Any) -> dict[str, Any]:
    if not isinstance(fields, dict) or not REQUIRED <= fields.keys() <= FIELDS:
        raise MalformedEntry("an event has missing or unknown fields")
    for name in STRING_FIELDS:
        if name in fields and not isinstance(fields[name], str):
            raise MalformedEntry(f"{name} is not a string")
    for name in INT_FIELDS:
        if name in fields and (type(fields[name]) is not int):
            raise MalformedEntry(f"{name} is not an integer")
    for name in BOOL_FIELDS:
        if not isinstance(fields[name], bool):
            raise MalformedEntry(f"{name} is not a boolean")
    return fields


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > MAX_TIME_LENGTH:
        raise MalformedEntry("occurred_at is not a time")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedEntry("occurred_at is not a time") from None
    if when.tzinfo is None:
        raise MalformedEntry("occurred_at has no time zone")
    return when


def _event(fields: Any) -> EventIn:
    checked = _checked_types(fields)
    source = checked.get("source")
    if source is not None and not 0 < len(source) <= MAX_SOURCE_KEY_LENGTH:
        raise MalformedEntry("source is out of bounds")
    when = _time(checked["occurred_at"])
    event = EventIn(
        type=checked["type"], visitor_id=checked["visitor_id"], event_id=checked["event_id"],
        customer_id=checked.get("customer_id"), product_id=checked.get("product_id"),
        variant_id=checked.get("variant_id"), quantity=checked.get("quantity"),
        query=checked.get("query"), recommendation_id=checked.get("recommendation_id"),
        dwell_ms=checked.get("dwell_ms"), occurred_at=when,
        consent=Consent(checked["analytics"], checked["personalization"]),
        client_address=source)
    # Checked against its own time: a writer's clock may be behind the server's.
    if not event.event_id or problem_with(event, when) is not None:
        raise MalformedEntry("an event does not pass the request's checks")
    return event


def decode_entry(fields: Mapping[bytes, bytes]) -> tuple[ShopId, list[EventIn]]:
    """The shop and its events (``client_address`` holds the stored source key), or
    ``MalformedEntry``."""
    if set(fields) != {b"v", b"shop", b"events"} or fields[b"v"] != FORMAT:
        raise MalformedEntry("not an events entry of this format")
    shop_id = _shop_id(fields[b"shop"])
    body = fields[b"events"]
    if len(body) > MAX_ENTRY_BYTES:
        raise MalformedEntry("the entry is too large")
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedEntry("the events are not JSON") from None
    if not isinstance(events, list) or not 0 < len(events) <= EVENTS_PER_ENTRY:
        raise MalformedEntry("the events are not a list of the allowed length")
    return shop_id, [_event(fields) for fields in events]


class KeptSourceKeys:
    """The source keys of decoded events are already keyed: stored as they are."""

    def key_of(self, address: str | None) -> str | None:
        return address or None
