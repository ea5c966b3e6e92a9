"""Stream entries: what a server appends comes back as it was accepted, and anything else
is refused as malformed, without echoing what it held."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from app.event_stream.codec import (
    EVENTS_PER_ENTRY,
    MAX_ENTRY_BYTES,
    KeptSourceKeys,
    MalformedEntry,
    decode_entry,
    encode_entries,
)
from app.events.service import accept_events
from app.events.sources import SourceHasher
from app.events.types import (
    FULL_CONSENT,
    MAX_ID_LENGTH,
    MAX_QUERY_LENGTH,
    MAX_REFERENCE_LENGTH,
    Consent,
    EventIn,
)
from app.ids import ShopId
from app.settings import Settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SHOP = ShopId(42)
HASHER = SourceHasher(b"k" * 32)


def _accepted(events: list[EventIn]) -> list[tuple[object, EventIn]]:
    result, accepted = accept_events(events, NOW, FULL_CONSENT)
    assert not result.rejected
    return accepted  # type: ignore[return-value]


def _entry(events: list[dict[str, object]], shop: bytes = b"42") -> dict[bytes, bytes]:
    return {b"v": b"1", b"shop": shop, b"events": json.dumps(events).encode()}


def _valid(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "event_id": "e1", "type": "PRODUCT_VIEWED", "visitor_id": "v1", "product_id": "p1",
        "occurred_at": NOW.isoformat(), "analytics": True, "personalization": False}
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def test_an_entry_gives_back_the_events_as_they_were_accepted() -> None:
    raw = [
        EventIn(type="PRODUCT_ADDED_TO_CART", visitor_id="v1", event_id="e1", product_id="p1",
                variant_id="var1", quantity=2, customer_id="c1", recommendation_id="r1",
                occurred_at=datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
                consent=Consent(analytics=True, personalization=False),
                client_address="203.0.113.9"),
        EventIn(type="SEARCH_SUBMITTED", visitor_id="v2", query="blue mug ☕", dwell_ms=1200),
    ]
    accepted = _accepted(raw)
    [entry] = encode_entries(SHOP, accepted, HASHER)  # type: ignore[arg-type]
    assert b"203.0.113.9" not in entry[b"events"]
    shop, events = decode_entry(entry)
    assert shop == SHOP
    again = _accepted(events)
    assert [a for a, _ in again] == [a for a, _ in accepted]
    first, second = events
    assert (first.variant_id, first.quantity, first.client_address) == (
        "var1", 2, HASHER.key_of("203.0.113.9"))
    assert KeptSourceKeys().key_of(first.client_address) == HASHER.key_of("203.0.113.9")
    assert (second.query, second.dwell_ms, second.client_address) == ("blue mug ☕", 1200, None)
    assert second.event_id == accepted[1][0].event_id  # type: ignore[attr-defined]
    assert second.occurred_at == NOW


def test_a_large_batch_is_cut_into_entries_of_bounded_count() -> None:
    raw = [EventIn(type="PRODUCT_VIEWED", visitor_id="v", product_id=f"p{i}", event_id=f"e{i}")
           for i in range(EVENTS_PER_ENTRY * 2 + 1)]
    entries = encode_entries(SHOP, _accepted(raw), None)  # type: ignore[arg-type]
    assert [len(decode_entry(e)[1]) for e in entries] == [EVENTS_PER_ENTRY, EVENTS_PER_ENTRY, 1]
    ids = [event.event_id for entry in entries for event in decode_entry(entry)[1]]
    assert ids == [f"e{i}" for i in range(len(raw))]


def test_events_at_every_limit_fit_the_entry_bound() -> None:
    worst = '"\x01'  # each character escaped to its longest form
    ident = (worst * MAX_ID_LENGTH)[:MAX_ID_LENGTH]
    reference = (worst * MAX_REFERENCE_LENGTH)[:MAX_REFERENCE_LENGTH]
    raw = [EventIn(type="PRODUCT_ADDED_TO_CART", visitor_id=ident, event_id=ident[:-3] + f"{i:03}",
                   customer_id=ident, product_id=reference, variant_id=reference,
                   recommendation_id=reference, query=(worst * MAX_QUERY_LENGTH)[:MAX_QUERY_LENGTH],
                   quantity=100_000, dwell_ms=86_400_000, client_address="2001:db8::1")
           for i in range(EVENTS_PER_ENTRY)]
    [entry] = encode_entries(SHOP, _accepted(raw), HASHER)  # type: ignore[arg-type]
    assert len(entry[b"events"]) <= MAX_ENTRY_BYTES
    assert len(decode_entry(entry)[1]) == EVENTS_PER_ENTRY


@pytest.mark.parametrize("fields", [
    {b"v": b"1", b"shop": b"42"},
    {b"v": b"2", b"shop": b"42", b"events": b"[]"},
    {b"v": b"1", b"shop": b"42", b"events": b"[]", b"more": b"x"},
    _entry([_valid()], shop=b"0"),
    _entry([_valid()], shop=b"-1"),
    _entry([_valid()], shop=b"4x2"),
    _entry([_valid()], shop=b"9" * 20),
    _entry([_valid()], shop=str(2**31).encode()),
    _entry([]),
    _entry([_valid(event_id=f"e{i}") for i in range(EVENTS_PER_ENTRY + 1)]),
    {b"v": b"1", b"shop": b"42", b"events": b"{not json"},
    {b"v": b"1", b"shop": b"42", b"events": b"\xff\xfe"},
    {b"v": b"1", b"shop": b"42", b"events": b"[" * 100_000 + b"]" * 100_000},
    {b"v": b"1", b"shop": b"42", b"events": b'{"event_id": "e1"}'},
    {b"v": b"1", b"shop": b"42", b"events": b"[" + b" " * MAX_ENTRY_BYTES + b"]"},
    _entry(["e1"]),  # type: ignore[list-item]
    _entry([_valid(unknown="x")]),
    _entry([_valid(event_id=None)]),
    _entry([_valid(event_id="")]),
    _entry([_valid(analytics=None)]),
    _entry([_valid(analytics="yes")]),
    _entry([_valid(quantity=True)]),
    _entry([_valid(quantity=2.5)]),
    _entry([_valid(quantity=10**9)]),
    _entry([_valid(visitor_id=7)]),
    _entry([_valid(visitor_id="v" * (MAX_ID_LENGTH + 1))]),
    _entry([_valid(product_id="p" * (MAX_REFERENCE_LENGTH + 1))]),
    _entry([_valid(type="PRODUCT_STOLEN")]),
    _entry([_valid(product_id=None)]),
    _entry([_valid(occurred_at="2026-03-01T12:00:00")]),
    _entry([_valid(occurred_at="yesterday")]),
    _entry([_valid(occurred_at="2026-03-01T12:00:00+00:00" + " " * 40)]),
    _entry([_valid(source="s" * 65)]),
    _entry([_valid(source="")]),
])
def test_anything_a_server_does_not_write_is_malformed(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(MalformedEntry) as refused:
        decode_entry(fields)
    assert "PRODUCT_STOLEN" not in str(refused.value) and "yesterday" not in str(refused.value)


def test_an_event_dated_ahead_of_this_clock_is_not_refused() -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    _, [event] = decode_entry(_entry([_valid(occurred_at=ahead)]))
    assert event.occurred_at == datetime.fromisoformat(ahead)


def test_the_stream_cannot_be_on_without_redis() -> None:
    with pytest.raises(ValidationError, match="AFFINITY_EVENT_STREAM needs AFFINITY_REDIS_URL"):
        Settings(event_stream=True, redis_url=None)
    on = Settings(event_stream=True, redis_url="redis://127.0.0.1:6379/0")
    assert on.event_stream and on.event_stream_key == "affinity:events"
