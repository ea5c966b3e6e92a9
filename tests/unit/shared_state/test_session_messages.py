"""What another process publishes about sessions: applied when well formed, else ignored."""

import json
from datetime import UTC, datetime

import pytest

from app.events.protocol import AcceptedEvent
from app.events.types import FULL_CONSENT, EventType
from app.ids import ShopId
from app.profiles.session_state import SessionStore
from app.shared_state.connection import RedisLink
from app.shared_state.session_codec import encode_event
from app.shared_state.sessions import SharedSessions

SHOP = ShopId(3)
VIEW = AcceptedEvent("e1", EventType.PRODUCT_VIEWED, "v1", "c1", "p1", None, None,
                     datetime(2026, 12, 7, tzinfo=UTC), FULL_CONSENT)


def sessions() -> SharedSessions:
    # Never connected: these tests only hand it messages.
    return SharedSessions(SessionStore(), RedisLink.from_url("redis://127.0.0.1:1/0"), origin="me")


def message(**fields: object) -> bytes:
    return json.dumps({"origin": "other", "kind": "event", "shop": SHOP,
                       "body": encode_event(VIEW), **fields}).encode()


def test_another_process_event_is_applied_and_an_erasure_removes_it() -> None:
    shared = sessions()
    shared._receive("c", message())
    intent = shared.local.get(SHOP, "v1")
    assert intent is not None and intent.views == ["p1"]
    shared._receive("c", message(kind="forget_customer", body="c1"))
    assert shared.local.get(SHOP, "v1") is None


@pytest.mark.parametrize("bad", [
    message(origin="me"), message(shop="3"), message(shop=None), message(kind="drop_all"),
    message(body={"visitor_id": "v1"}), message(body="p1"), message(body=None),
])
def test_a_message_of_its_own_or_malformed_changes_nothing(bad: bytes) -> None:
    shared = sessions()
    shared._receive("c", bad)
    assert shared.local.get(SHOP, "v1") is None


def test_observing_applies_locally_at_once_and_queues_for_the_others() -> None:
    shared = sessions()
    shared.observe(SHOP, VIEW)
    intent = shared.get(SHOP, "v1")
    assert intent is not None and intent.views == ["p1"]
    assert len(shared._outbox) == 1
