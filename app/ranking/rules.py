"""Built-in rules applied after scoring: what may never be shown, diversity caps and a
small share of exploration slots."""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.catalog.snapshot import CatalogProduct
from app.profiles.types import Profile


@dataclass(frozen=True)
class RuleSettings:
    exclude_recent_purchases_days: int = 30
    """Hide products bought within this many days unless they are replenishable (0: off)."""
    replenishable_rate: float = 0.02
    """A product is replenishable if its repeat rate (P(in the next order | bought)) is above."""
    max_per_vendor: int = 4
    """At most this many of one vendor per 10 items shown."""
    max_per_product_type: int = 5
    """At most this many of one product type per 10 items shown."""
    exploration_share: float = 0.1
    """Share of slots (rounded down; at least 10 slots to get one) for new or unexposed products."""


DEFAULT_RULES = RuleSettings()


@dataclass(frozen=True)
class Blocked:
    """Products that must not appear for this request."""

    product_ids: frozenset[str]


def blocked_products(profile: Profile, context: list[str], now: datetime, rules: RuleSettings,
                     replenishable: set[str], exclude_purchased: bool) -> Blocked:
    # What the shopper just looked at is not news to them: the carousel shows other things.
    blocked = set(profile.cart) | set(context) | profile.dismissed | set(profile.recent_views)
    cutoff = now - timedelta(days=rules.exclude_recent_purchases_days)
    for product, stats in profile.purchases.items():
        if exclude_purchased or (rules.exclude_recent_purchases_days and stats.last_at and stats.last_at >= cutoff
              and product not in replenishable):
            blocked.add(product)
    return Blocked(frozenset(blocked))


def exploration_slots(first: int, rules: RuleSettings) -> int:
    return math.floor(first * rules.exploration_share)


class DiversityCap:
    """Counts vendors and product types as items are taken."""

    def __init__(self, rules: RuleSettings, shown: int = 10) -> None:
        per = max(1.0, shown / 10)
        self._max_vendor = math.ceil(rules.max_per_vendor * per)
        self._max_type = math.ceil(rules.max_per_product_type * per)
        self._vendors: Counter[str] = Counter()
        self._types: Counter[str] = Counter()

    def allows(self, product: CatalogProduct) -> bool:
        if product.vendor and self._vendors[product.vendor] >= self._max_vendor:
            return False
        kind = product.product_type
        return not (kind and self._types[kind] >= self._max_type)

    def take(self, product: CatalogProduct) -> None:
        if product.vendor:
            self._vendors[product.vendor] += 1
        if product.product_type:
            self._types[product.product_type] += 1
