"""What the demo storefront pages need from the database."""

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.service import find_product
from app.demo.loader import DEMO_DOMAIN
from app.demo_storefront.images import ImageLabel
from app.ids import ShopId
from app.shops.models import SHOP_ACTIVE
from app.shops.service import find_by_domain
from app.storage.database import transaction


def demo_key_lookup(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[], Awaitable[str | None]]:
    async def lookup() -> str | None:
        async with transaction(sessions) as session:
            shop = await find_by_domain(session, DEMO_DOMAIN)
            return shop.storefront_key if shop and shop.status == SHOP_ACTIVE else None

    return lookup


def demo_image_labels(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[str], Awaitable[ImageLabel | None]]:
    async def lookup(product_id: str) -> ImageLabel | None:
        async with transaction(sessions) as session:
            shop = await find_by_domain(session, DEMO_DOMAIN)
            if shop is None:
                return None
            product = await find_product(session, ShopId(shop.id), product_id)
            return None if product is None else ImageLabel(product.title, product.product_type)

    return lookup
