"""What every resolver receives: the calling shop, what the caller can prove about
customers, and the services."""

from dataclasses import dataclass, field

import strawberry

from app.container import Services
from app.graphql.limits import EventAllowance
from app.shops.customer_proof import PUBLIC, CustomerProof


@dataclass(frozen=True)
class ShopView:
    """The authenticated shop, detached from any database session."""

    id: int
    domain: str
    currency: str
    platform: str


@dataclass
class Context:
    shop: ShopView
    services: Services
    proof: CustomerProof = PUBLIC
    """Whether this caller may name a customer (``app.shops.customer_proof``)."""
    client_address: str | None = None
    """The caller's network address (``None``: unknown, or the shop's own server)."""
    events: EventAllowance = field(default_factory=EventAllowance)
    """The events this HTTP request may still store (``app.graphql.limits``)."""


Info = strawberry.Info[Context, None]
