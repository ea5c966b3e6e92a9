"""The shopper's context as a storefront sends it: checked field by field, a problem named
by the field and never by the value, the latest event's fields kept by the live session."""

from datetime import UTC, datetime

import pytest

from app.context.types import DeviceClass, ShopperContext, context_problem, shopper_context
from app.errors import InvalidInput
from app.events.protocol import AcceptedEvent
from app.events.types import Consent, EventIn, EventType
from app.events.validation import problem_with
from app.http.collect_events import EventRefused, parse_event
from app.metrics.reasons import reason_label
from app.profiles.session_state import SessionIntent
from app.shared_state.session_codec import decode_event, encode_event

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
SECRET = "<script>x</script>"


def _accepted(context: ShopperContext, product: str = "p1") -> AcceptedEvent:
    return AcceptedEvent("e1", EventType.PRODUCT_VIEWED, "v1", None, product, None, None,
                         NOW, Consent(True, True), context)


@pytest.mark.parametrize(("device", "region", "hour"), [
    ("MOBILE", "GB", 0), ("TABLET", "gb-eng", 23), ("DESKTOP", "US-CA", None),
    (None, None, None), (None, "FR", 12),
])
def test_well_formed_fields_are_taken(device: str | None, region: str | None,
                                      hour: int | None) -> None:
    assert context_problem(device, region, hour) is None
    context = shopper_context(device, region, hour)
    assert context.region == (region.upper() if region else None)
    assert context.device == (DeviceClass(device) if device else None)


@pytest.mark.parametrize(("device", "region", "hour", "field"), [
    ("PHONE", None, None, "deviceClass"), ("mobile", None, None, "deviceClass"),
    (None, "GBR", None, "region"), (None, "G", None, "region"), (None, "GB-" + "E" * 9, None, "region"),
    (None, "G1", None, "region"), (None, SECRET, None, "region"),
    (None, None, 24, "localHour"), (None, None, -1, "localHour"),
])
def test_a_bad_field_is_named_and_its_value_never_echoed(
        device: str | None, region: str | None, hour: int | None, field: str) -> None:
    problem = context_problem(device, region, hour)
    assert problem is not None and problem.startswith(field)
    assert SECRET not in problem
    with pytest.raises(InvalidInput, match=field):
        shopper_context(device, region, hour)
    assert reason_label(problem) == field


def test_an_event_with_a_bad_context_is_rejected_with_the_field() -> None:
    good = EventIn(type="PRODUCT_VIEWED", visitor_id="v1", product_id="p1", region="GB",
                   device_class="MOBILE", local_hour=9)
    assert problem_with(good, NOW) is None
    bad = EventIn(type="PRODUCT_VIEWED", visitor_id="v1", product_id="p1", local_hour=99)
    assert problem_with(bad, NOW) == "localHour must be an integer between 0 and 23"


def test_collect_reads_the_context_fields() -> None:
    collected = parse_event({"type": "PRODUCT_VIEWED", "visitorId": "v", "productId": "1",
                             "deviceClass": "TABLET", "region": "DE", "localHour": 7})
    event = collected.event
    assert (event.device_class, event.region, event.local_hour) == ("TABLET", "DE", 7)


@pytest.mark.parametrize("change", [{"localHour": "7"}, {"localHour": 24}, {"localHour": True},
                                    {"region": ["GB"]}, {"deviceClass": {"a": 1}}])
def test_collect_refuses_an_odd_context_field(change: dict[str, object]) -> None:
    with pytest.raises(EventRefused) as refused:
        parse_event({"type": "PRODUCT_VIEWED", "visitorId": "v", "productId": "1", **change})
    assert next(iter(change)) in str(refused.value)


def test_the_session_keeps_the_latest_context_and_fills_what_an_event_leaves_out() -> None:
    intent = SessionIntent()
    intent.apply(_accepted(ShopperContext(DeviceClass.MOBILE, "GB", 9)))
    intent.apply(_accepted(ShopperContext(None, None, None)))
    assert intent.context == ShopperContext(DeviceClass.MOBILE, "GB", 9)
    intent.apply(_accepted(ShopperContext(None, "FR", 0)))
    assert intent.context == ShopperContext(DeviceClass.MOBILE, "FR", 0)


def test_the_context_travels_between_processes() -> None:
    event = _accepted(ShopperContext(DeviceClass.DESKTOP, "GB-ENG", 21))
    assert decode_event(encode_event(event)) == event
    plain = _accepted(ShopperContext())
    assert "region" not in encode_event(plain) and decode_event(encode_event(plain)) == plain


@pytest.mark.parametrize("change", [{"region": "GBR"}, {"hour": 25}, {"hour": "3"},
                                    {"device": "PHONE"}, {"hour": True}, {"region": 44}])
def test_a_malformed_context_from_another_process_is_ignored(change: dict[str, object]) -> None:
    raw = {**encode_event(_accepted(ShopperContext(DeviceClass.DESKTOP, "GB", 1))), **change}
    assert decode_event(raw) is None
