"""Finding the shop a delivery belongs to, from the hint its adapter reads."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.shops.models import Shop
from app.shops.service import find_by_domain
from app.sync.credentials import store_hash_of
from webhooks.protocol import ShopHint


async def find_shop(session: AsyncSession, platform: str, hint: ShopHint) -> Shop | None:
    """The shop of this platform the hint names, or ``None``."""
    if hint.domain:
        shop = await find_by_domain(session, hint.domain)
        return shop if shop is not None and shop.platform == platform else None
    if hint.store_key:
        shops = await session.execute(select(Shop).where(Shop.platform == platform))
        for shop in shops.scalars():
            if store_hash_of(shop) == hint.store_key:
                return shop
    return None
