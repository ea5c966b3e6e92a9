"""What a rule may say: every refusal names the field and the reason, never the value."""

from datetime import datetime

import pytest

from app.errors import InvalidInput
from app.rules.specs import RuleSpec, checked_spec, local_time


def _refusal(**kwargs: object) -> str:
    kwargs.setdefault("name", "rule")
    with pytest.raises(InvalidInput) as refused:
        checked_spec(RuleSpec(**kwargs))  # type: ignore[arg-type]
    return refused.value.message


@pytest.mark.parametrize(("spec", "field"), [
    ({"kind": "promote"}, "kind:"),
    ({"name": " ", "kind": "pin", "product_id": "1", "position": 1}, "name:"),
    ({"name": "x" * 101, "kind": "pin", "product_id": "1", "position": 1}, "name:"),
    ({"kind": "pin", "product_id": "1", "position": 0}, "position:"),
    ({"kind": "pin", "product_id": "1", "position": 101}, "position:"),
    ({"kind": "pin", "position": 1}, "productId:"),
    ({"kind": "pin", "product_id": "1" * 65, "position": 1}, "productId:"),
    ({"kind": "pin", "product_id": "1", "position": 1, "strength": 0.5}, "strength:"),
    ({"kind": "boost", "field": "tag", "values": ("a",), "strength": 1.5}, "strength:"),
    ({"kind": "boost", "field": "tag", "values": ("a",), "strength": 0.0}, "strength:"),
    ({"kind": "boost", "field": "tag", "values": ("a",)}, "strength:"),
    ({"kind": "bury", "field": "tag", "values": ("a",), "strength": float("nan")}, "strength:"),
    ({"kind": "boost", "field": "colour", "values": ("a",), "strength": 1}, "field:"),
    ({"kind": "exclude", "field": "tag"}, "values:"),
    ({"kind": "exclude", "field": "tag", "values": tuple(map(str, range(51)))}, "values:"),
    ({"kind": "exclude", "field": "tag", "values": ("x" * 256,)}, "values:"),
    ({"kind": "include", "field": "price"}, "priceMin:"),
    ({"kind": "include", "field": "price", "price_min": 20.0, "price_max": 10.0}, "priceMax:"),
    ({"kind": "include", "field": "price", "price_min": -1.0}, "priceMin:"),
    ({"kind": "include", "field": "tag", "values": ("a",), "price_min": 1.0}, "priceMin:"),
    ({"kind": "margin_floor", "threshold": 0.99}, "threshold:"),
    ({"kind": "margin_floor"}, "threshold:"),
    ({"kind": "min_stock", "threshold": 0}, "threshold:"),
    ({"kind": "min_stock", "threshold": 2.5}, "threshold:"),
    ({"kind": "min_stock", "threshold": 5, "field": "tag"}, "field:"),
    ({"kind": "exclude", "field": "tag", "values": ("a",), "placement": "SIDEBAR"}, "placement:"),
    ({"kind": "exclude", "field": "tag", "values": ("a",), "priority": 5000}, "priority:"),
    ({"kind": "exclude", "field": "tag", "values": ("a",), "starts_at": datetime(2026, 5, 2),
      "ends_at": datetime(2026, 5, 1)}, "endsAt:"),
])
def test_refusals_name_the_field(spec: dict[str, object], field: str) -> None:
    message = _refusal(**spec)
    assert message.startswith(field), message
    assert "x" * 65 not in message


def test_a_valid_rule_is_normalized() -> None:
    spec = checked_spec(RuleSpec(name=" Summer ", kind="boost", placement="home", field="tag",
                                 values=(" summer ", "summer", "beach"), strength=0.5))
    assert (spec.name, spec.placement, spec.values) == ("Summer", "HOME", ("summer", "beach"))


def test_local_times_take_no_offset() -> None:
    assert local_time("startsAt", "2026-11-27T09:00") == datetime(2026, 11, 27, 9)
    assert local_time("startsAt", None) is None
    for bad in ("2026-11-27T09:00+01:00", "tomorrow", "2" * 40):
        with pytest.raises(InvalidInput) as refused:
            local_time("startsAt", bad)
        assert refused.value.message.startswith("startsAt:")
