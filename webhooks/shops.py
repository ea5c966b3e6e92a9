"""Finding the shop a delivery belongs to, and what adapters may know of it.

The shop's secrets are stored encrypted: the secret box of the composition root opens
them here, for the signature check and for the platform API."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto.secret_box import SecretBox
from app.ids import ShopId
from app.shops.models import Shop
from app.shops.service import find_by_domain
from app.sync.credentials import credentials_of, store_hash_of
from webhooks.protocol import ShopContext, ShopHint


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


def context_of(shop: Shop, box: SecretBox | None) -> ShopContext:
    """What adapters know of the shop; without a box its API credentials stay closed."""
    return ShopContext(id=ShopId(shop.id), domain=shop.domain, currency=shop.currency,
                       credentials=None if box is None else credentials_of(shop, box))

