"""What a recommendation request asks for, independent of GraphQL; a request outside the
shared input limits (``app.input_limits``) is never made."""

from dataclasses import dataclass, field
from datetime import datetime

from app.ids import ProductId, ShopId
from app.input_limits import MAX_CONTEXT_PRODUCTS, check_ids, check_range
from app.profiles.service import Shopper
from app.recommendations.types import MAX_FIRST, MIN_FIRST, Placement


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

    def __post_init__(self) -> None:
        check_range("first", self.first, MIN_FIRST, MAX_FIRST)
        check_ids("productIds", self.context, MAX_CONTEXT_PRODUCTS)


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
