"""What every resolver receives: the calling shop and the services."""

from dataclasses import dataclass

import strawberry

from app.container import Services


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


Info = strawberry.Info[Context, None]
