"""Factories as plain functions."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.changes import ProductChange, VariantChange
from app.ids import ShopId
from app.shops.service import NewShopCredentials, create_shop


async def make_shop(session: AsyncSession, **kwargs: Any) -> NewShopCredentials:
    domain = kwargs.pop("domain", f"shop-{uuid.uuid4().hex[:8]}.myshopify.com")
    kwargs.setdefault("platform", "shopify")
    return await create_shop(session, domain, **kwargs)


def shop_id(credentials: NewShopCredentials) -> ShopId:
    return ShopId(credentials.shop.id)


def product(platform_id: str, title: str, **kwargs: Any) -> ProductChange:
    kwargs.setdefault("price_min", 10.0)
    kwargs.setdefault("currency", "USD")
    return ProductChange(platform_id=platform_id, title=title, **kwargs)


def variant(platform_id: str, quantity: int | None, **kwargs: Any) -> VariantChange:
    kwargs.setdefault("inventory_item_id", f"inv-{platform_id}")
    return VariantChange(platform_id=platform_id, inventory_quantity=quantity, **kwargs)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


MUGS_AND_MORE = [
    ("1", "White ceramic coffee mug"),
    ("2", "Blue enamel camping mug"),
    ("3", "Large tea cup and saucer"),
    ("4", "Garden hose reel with wheels"),
    ("5", "Steel garden trowel"),
    ("6", "Scented soy candle, lavender"),
    ("7", "Beeswax pillar candle"),
    ("8", "Red retro alarm clock"),
    ("9", "Wooden wall clock"),
    ("10", "Porcelain espresso cup set"),
]
