"""What a merchandising rule may say, and the bounds every field is checked against before
anything is stored. Refusals are ``InvalidInput`` naming the field and the reason, never
repeating the value. Checks against the shop's catalog (does the product, the collection,
the tag exist?) are the service's (``app.rules.service``).

| kind | uses | effect |
|---|---|---|
| ``pin`` | ``product_id``, ``position`` (1 to 100) | the product at that position |
| ``boost`` / ``bury`` | ``field`` + ``values`` (or a price range), ``strength`` (0 to 1] | moves matching items up / down |
| ``include`` | ``field`` + ``values`` (or a price range) | only matching items are shown |
| ``exclude`` | ``field`` + ``values`` (or a price range) | matching items are never shown |
| ``margin_floor`` | ``threshold`` (0 to 0.95, a share of the price) | hides products whose known margin is below |
| ``min_stock`` | ``threshold`` (1 to 1,000,000 units) | hides products whose known stock is below |
"""

import math
from dataclasses import dataclass, replace
from datetime import datetime

from app.errors import InvalidInput
from app.recommendations.types import MAX_FIRST, Placement

PIN, BOOST, BURY, INCLUDE, EXCLUDE = "pin", "boost", "bury", "include", "exclude"
MARGIN_FLOOR, MIN_STOCK = "margin_floor", "min_stock"
KINDS = (PIN, BOOST, BURY, INCLUDE, EXCLUDE, MARGIN_FLOOR, MIN_STOCK)
MATCHING_KINDS = frozenset({BOOST, BURY, INCLUDE, EXCLUDE})
TAG, VENDOR, PRODUCT_TYPE, COLLECTION, PRICE = "tag", "vendor", "product_type", "collection", "price"
FIELDS = (TAG, VENDOR, PRODUCT_TYPE, COLLECTION, PRICE)
PLACEMENTS = frozenset(p.value for p in Placement)

MAX_RULES_PER_SHOP = 200
MAX_NAME_CHARS = 100
MAX_VALUES = 50
MAX_VALUE_CHARS = 255
"""A tag, vendor or product type (the catalog's column width)."""
MAX_ID_CHARS = 64
MAX_POSITION = MAX_FIRST
MAX_STRENGTH = 1.0
MAX_MARGIN_FLOOR = 0.95
MAX_MIN_STOCK = 1_000_000
MAX_PRICE = 1e9
PRIORITY_RANGE = (-1000, 1000)
MAX_DATETIME_CHARS = 32


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the merchant writes it. ``starts_at``/``ends_at``: wall-clock time in the
    shop's time zone, without an offset (None: no bound)."""

    name: str
    kind: str
    placement: str | None = None
    field: str | None = None
    values: tuple[str, ...] = ()
    price_min: float | None = None
    price_max: float | None = None
    product_id: str | None = None
    position: int | None = None
    strength: float | None = None
    threshold: float | None = None
    priority: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    enabled: bool = True


def local_time(field: str, value: str | None) -> datetime | None:
    """``YYYY-MM-DDTHH:MM[:SS]`` in the shop's time zone (an offset is refused: the shop's
    zone decides, daylight saving included)."""
    if value is None or value == "":
        return None
    if len(value) > MAX_DATETIME_CHARS:
        raise InvalidInput(f"{field}: longer than {MAX_DATETIME_CHARS} characters")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: expected a date and time such as 2026-11-27T09:00") from None
    if parsed.tzinfo is not None:
        raise InvalidInput(f"{field}: give the shop's local time without an offset")
    return parsed.replace(microsecond=0)


def _number(field: str, value: float | None, low: float, high: float,
            low_open: bool = False) -> None:
    if value is None:
        raise InvalidInput(f"{field}: required for this kind of rule")
    if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
        bound = f"above {low}" if low_open else f"from {low}"
        raise InvalidInput(f"{field}: must be {bound} to {high}")


def _text(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput(f"{field}: must be 1 to {limit} characters")
    return value


def _check_match(spec: RuleSpec) -> RuleSpec:
    if spec.field not in FIELDS:
        raise InvalidInput(f"field: expected one of {', '.join(FIELDS)}")
    if spec.field == PRICE:
        if spec.values:
            raise InvalidInput("values: a price rule takes priceMin and priceMax, not values")
        if spec.price_min is None and spec.price_max is None:
            raise InvalidInput("priceMin: a price rule needs priceMin, priceMax or both")
        for name, price in (("priceMin", spec.price_min), ("priceMax", spec.price_max)):
            if price is not None:
                _number(name, price, 0.0, MAX_PRICE)
        if (spec.price_min is not None and spec.price_max is not None
                and spec.price_max < spec.price_min):
            raise InvalidInput("priceMax: below priceMin")
        return spec
    if not spec.values or len(spec.values) > MAX_VALUES:
        raise InvalidInput(f"values: 1 to {MAX_VALUES} values")
    if spec.price_min is not None or spec.price_max is not None:
        raise InvalidInput("priceMin: only a price rule takes a price range")
    limit = MAX_ID_CHARS if spec.field == COLLECTION else MAX_VALUE_CHARS
    values = tuple(dict.fromkeys(_text("values", v, limit) for v in spec.values))
    return replace(spec, values=values)


def _only(spec: RuleSpec, allowed: set[str]) -> None:
    """Fields a kind does not use must be left out (a rule says what it does)."""
    given = {"field": spec.field is not None, "values": bool(spec.values),
             "priceMin": spec.price_min is not None, "priceMax": spec.price_max is not None,
             "productId": spec.product_id is not None, "position": spec.position is not None,
             "strength": spec.strength is not None, "threshold": spec.threshold is not None}
    for name, present in given.items():
        if present and name not in allowed:
            raise InvalidInput(f"{name}: not used by a {spec.kind} rule")


MATCH_FIELDS = {"field", "values", "priceMin", "priceMax"}


def checked_spec(spec: RuleSpec) -> RuleSpec:
    """``spec`` within its bounds (strings trimmed, values deduplicated), or ``InvalidInput``."""
    spec = replace(spec, name=_text("name", spec.name, MAX_NAME_CHARS))
    if spec.kind not in KINDS:
        raise InvalidInput(f"kind: expected one of {', '.join(KINDS)}")
    if spec.placement is not None:
        placement = spec.placement.upper()
        if placement not in PLACEMENTS:
            raise InvalidInput(f"placement: expected one of {', '.join(sorted(PLACEMENTS))}")
        spec = replace(spec, placement=placement)
    if not PRIORITY_RANGE[0] <= spec.priority <= PRIORITY_RANGE[1]:
        raise InvalidInput(f"priority: must be from {PRIORITY_RANGE[0]} to {PRIORITY_RANGE[1]}")
    if spec.starts_at is not None and spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        raise InvalidInput("endsAt: the schedule ends before it starts")
    if spec.kind == PIN:
        _only(spec, {"productId", "position"})
        if spec.product_id is None:
            raise InvalidInput("productId: required for a pin")
        spec = replace(spec, product_id=_text("productId", spec.product_id, MAX_ID_CHARS))
        if spec.position is None or not 1 <= spec.position <= MAX_POSITION:
            raise InvalidInput(f"position: must be from 1 to {MAX_POSITION}")
        return spec
    if spec.kind in (BOOST, BURY):
        _only(spec, MATCH_FIELDS | {"strength"})
        _number("strength", spec.strength, 0.0, MAX_STRENGTH, low_open=True)
        return _check_match(spec)
    if spec.kind in (INCLUDE, EXCLUDE):
        _only(spec, MATCH_FIELDS)
        return _check_match(spec)
    _only(spec, {"threshold"})
    if spec.kind == MARGIN_FLOOR:
        _number("threshold", spec.threshold, 0.0, MAX_MARGIN_FLOOR)
    else:
        _number("threshold", spec.threshold, 1.0, MAX_MIN_STOCK)
        assert spec.threshold is not None
        if not float(spec.threshold).is_integer():
            raise InvalidInput("threshold: a minimum stock is a whole number of units")
    return spec
