"""What a recommendation request asks for, independent of GraphQL."""

from dataclasses import dataclass, field
from datetime import datetime

from app.ids import ProductId, ShopId
from app.profiles.service import Shopper
from app.recommendations.types import Placement


@dataclass(frozen=True)
class RecommendationRequest:
    shop_id: ShopId
    placement: Placement
    shopper: Shopper
    context: list[ProductId] = field(default_factory=list)
    first: int = 12
    now: datetime | None = None
    exclude_purchased: bool = False
    """Discovery only: nothing the customer bought before."""


@dataclass(frozen=True)
class CandidateLimits:
    buy_again: int = 300
    """The customer's most recently and often bought products considered for buying again."""
    collaborative: int = 200
    per_anchor: int = 15
    anchors: int = 10
    trending: int = 50
    popular: int = 50
    content_anchors: int = 3
    content_per_anchor: int = 20
    scored_to_fetch: int = 2
    """Fetch catalog rows for ``first * scored_to_fetch + 20`` of the best scored."""


DEFAULT_LIMITS = CandidateLimits()
