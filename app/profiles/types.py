"""The profile the ranking reads: long-term history and short-term intent together."""

from dataclasses import dataclass, field
from datetime import datetime

from app.context.types import NO_CONTEXT, ShopperContext


@dataclass
class PurchaseStats:
    """One product in one customer's order history."""

    orders: int = 0
    recent_half: float = 0.0
    """Sum over the orders holding it of 0.5 ** (orders since): 1.0 if only in the last."""
    recent_slow: float = 0.0
    """The same with 0.8 ** (orders since)."""
    last_at: datetime | None = None
    in_last: bool = False


@dataclass
class Profile:
    customer_id: str | None
    visitor_id: str | None
    personalized: bool = True
    purchases: dict[str, PurchaseStats] = field(default_factory=dict)
    order_count: int = 0
    last_order_at: datetime | None = None
    repeat_share: float = 0.4
    last_order_items: list[str] = field(default_factory=list)
    interactions: dict[str, float] = field(default_factory=dict)
    recent_views: list[str] = field(default_factory=list)
    cart: list[str] = field(default_factory=list)
    dismissed: set[str] = field(default_factory=set)
    context: ShopperContext = NO_CONTEXT
    """Device class, region and local hour: the request's, else the live session's."""

    @property
    def session_products(self) -> list[str]:
        """What the shopper is doing now: cart first, then the latest views."""
        return list(dict.fromkeys([*self.cart, *self.recent_views]))


ANONYMOUS = Profile(customer_id=None, visitor_id=None, personalized=False)
