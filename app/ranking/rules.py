"""Built-in rules applied after scoring: what may never be shown, diversity caps and a
small share of exploration slots; and the port through which serving applies each shop's
own settings and merchandising rules (``ShopRulesSource``, implemented by
``app.rules.directory`` so that the rules package depends on the engine, never the other
way round)."""

import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogProduct, ShopCatalog
from app.ids import ShopId
from app.profiles.types import Profile
from app.recommendations.types import ScoredProduct


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


@dataclass
class RuledList:
    """A list after the shop's merchandising rules."""

    items: list[ScoredProduct]
    moved: list[str] = field(default_factory=list)
    """Platform ids a pin or a boost moved up (each carries ``FEATURED_BY_SHOP``)."""
    removed: list[str] = field(default_factory=list)
    """Platform ids a filter took out."""
    fell_back: bool = False
    """The filters would have emptied the list: ``items`` is the list without rules."""


class ListRules(Protocol):
    """The shop's rules active on one placement at one moment."""

    def apply(self, items: list[ScoredProduct], catalog: ShopCatalog,
              avoid: Collection[str] = (), insert_pins: bool = True) -> RuledList:
        """``items`` (best first) filtered, boosted, buried and pinned. ``avoid``: platform
        ids a pin may not bring in (the page's products, the cart); ``insert_pins``: a pinned
        product not in ``items`` is taken from ``catalog`` (False: only moved if present)."""
        ...


class ShopRules(Protocol):
    """One shop's settings and rules, as the serving path reads them (from memory)."""

    def settings(self, defaults: RuleSettings) -> RuleSettings:
        """``defaults`` (the server's) with the shop's own values."""
        ...

    def search_unavailable(self, default: str) -> str:
        """``sink`` or ``drop``: the shop's own, else ``default``."""
        ...

    def for_list(self, placement: str, now: datetime) -> ListRules | None:
        """The rules active on ``placement`` at ``now`` (aware); None when there are none."""
        ...


class ShopRulesSource(Protocol):
    async def shop_rules(self, session: AsyncSession, shop_id: ShopId) -> ShopRules:
        """Served from memory; ``session`` only for an occasional refresh."""
        ...


class NoShopRules:
    """The server's defaults and no merchandising rules (an offline replay, a test)."""

    def settings(self, defaults: RuleSettings) -> RuleSettings:
        return defaults

    def search_unavailable(self, default: str) -> str:
        return default

    def for_list(self, placement: str, now: datetime) -> ListRules | None:
        return None

    async def shop_rules(self, session: AsyncSession, shop_id: ShopId) -> ShopRules:
        return self
