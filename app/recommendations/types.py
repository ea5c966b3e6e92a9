"""What the serving path returns, independent of GraphQL."""

from dataclasses import dataclass, field
from enum import Enum

from app.catalog.snapshot import CatalogProduct


class Placement(str, Enum):
    HOME = "HOME"
    PRODUCT = "PRODUCT"
    CART = "CART"
    SEARCH = "SEARCH"
    POST_PURCHASE = "POST_PURCHASE"
    EMAIL = "EMAIL"


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(slots=True)
class ScoredProduct:
    product: CatalogProduct
    score: float
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class RecommendationList:
    recommendation_id: str
    items: list[ScoredProduct]
    model_version: str | None = None
    """Which model ordered the list (recorded with it)."""
    fell_back: bool = False
    """The shop's merchandising rules would have emptied the list: served without them."""


FEATURED_BY_SHOP = Reason("FEATURED_BY_SHOP", "Featured by the shop")
"""The reason of an item a shop's merchandising rule pinned or boosted."""
MIN_FIRST = 1
MAX_FIRST = 100
