"""Events between processes: what goes out comes back equal; anything else is ignored."""

import json
from datetime import UTC, datetime

import pytest

from app.events.protocol import AcceptedEvent
from app.events.types import Consent, EventType
from app.shared_state.session_codec import MAX_EVENT_BYTES, decode_event, encode_event, event_bytes

EVENT = AcceptedEvent("e1", EventType.PRODUCT_ADDED_TO_CART, "v1", "c1", "p1", 2, "r1",
                      datetime(2026, 12, 7, 18, 0, tzinfo=UTC), Consent(False, True))


def test_an_event_comes_back_equal() -> None:
    assert decode_event(event_bytes(EVENT)) == EVENT
    assert decode_event(encode_event(EVENT)) == EVENT


@pytest.mark.parametrize("change", [
    {"type": "HACKED"}, {"visitor_id": ""}, {"visitor_id": "v" * 600}, {"product_id": 5},
    {"quantity": "2"}, {"quantity": True}, {"analytics": "yes"}, {"occurred_at": "yesterday"},
    {"event_id": None},
])
def test_a_malformed_event_is_ignored(change: dict[str, object]) -> None:
    assert decode_event({**encode_event(EVENT), **change}) is None


@pytest.mark.parametrize("raw", [b"not json", b"[]", b"null", json.dumps(
    {**encode_event(EVENT), "product_id": "p" * MAX_EVENT_BYTES}).encode(), 42])
def test_what_is_not_an_event_is_ignored(raw: object) -> None:
    assert decode_event(raw) is None
