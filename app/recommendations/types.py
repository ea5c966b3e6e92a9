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


MIN_FIRST = 1
MAX_FIRST = 100
