"""Platform-neutral order changes."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OrderLineChange:
    platform_id: str
    product_id: str | None
    variant_id: str | None
    quantity: int
    price: float | None = None
    recommendation_id: str | None = None
    """The served list the item was added to the cart from, if the storefront said."""


@dataclass(frozen=True)
class OrderChange:
    platform_id: str
    customer_id: str | None
    placed_at: datetime
    lines: tuple[OrderLineChange, ...]
    cancelled: bool = False
    currency: str | None = None
    updated_at: datetime | None = None
    recommendation_ids: tuple[str, ...] = ()
    """The served lists the cart named, most recent last (``app.orders.recommendations``)."""


@dataclass(frozen=True)
class RefundLineChange:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class RefundChange:
    """A refund as the platform identifies it; applying it twice counts it once."""

    platform_id: str
    order_platform_id: str
    lines: tuple[RefundLineChange, ...]
