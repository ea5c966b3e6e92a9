"""Which variant a shopper gets: a point in [0, 1) from a salted hash of their id, then the
variant whose cumulative range holds it.

The point depends on nothing but the salt and the id, so a shopper keeps their variant
across requests, server processes and restarts, and nothing about assignments is stored.
Ranges follow the variants' fixed order: when shares change (a ramp, a variant stopped by a
guardrail) each boundary moves by the change of the shares before it, and only shoppers
between a boundary's old and new place change variant.

The unit is the visitor id when the request names one, else the customer id (an email, a
server-rendered page): a shopper keeps their variant in their browser when they log in;
on another device they are another unit (docs/experiments.md). The attribution rollups
count shoppers by the same rule (``app.attribution.credits.shopper_of``)."""

import hashlib
from collections.abc import Sequence

UNIT_OF_CUSTOMER = "c"
UNIT_OF_VISITOR = "v"
_SCALE = float(2**64)


def shopper_unit(visitor_id: str | None, customer_id: str | None) -> str | None:
    """The id the shopper is assigned by (None: no id, so no assignment); the prefix keeps
    a visitor id from ever colliding with an equal customer id."""
    if visitor_id:
        return f"{UNIT_OF_VISITOR}:{visitor_id}"
    if customer_id:
        return f"{UNIT_OF_CUSTOMER}:{customer_id}"
    return None


def hash_point(salt: str, unit: str) -> float:
    """A uniform point in [0, 1) for ``unit`` under ``salt`` (BLAKE2b, 64 bits)."""
    digest = hashlib.blake2b(f"{salt}|{unit}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def holdout_salt(shop_id: int) -> str:
    """The shop's holdout salt: fixed per shop and independent of every experiment's."""
    return f"holdout:{shop_id}"


def in_holdout(shop_id: int, unit: str, share: float) -> bool:
    """Whether the shopper is in the shop's holdout: the points below ``share``, so raising
    the share only adds shoppers to it."""
    return share > 0 and hash_point(holdout_salt(shop_id), unit) < share


def cumulative_bounds(shares: Sequence[float]) -> list[float]:
    """The upper end of each variant's range, in the variants' order (the last is 1)."""
    bounds, total = [], 0.0
    for share in shares:
        total += share
        bounds.append(total)
    if bounds:
        bounds[-1] = max(bounds[-1], 1.0)  # rounding never leaves a gap at the top
    return bounds


def variant_index(point: float, bounds: Sequence[float]) -> int:
    """The index of the range that holds ``point`` (variants of share 0 hold nothing)."""
    for index, upper in enumerate(bounds):
        if point < upper:
            return index
    return len(bounds) - 1


def assign_variant(salt: str, unit: str, names: Sequence[str], shares: Sequence[float]) -> str:
    """The variant of ``unit`` among ``names`` with traffic ``shares`` (summing to 1)."""
    return names[variant_index(hash_point(salt, unit), cumulative_bounds(shares))]
