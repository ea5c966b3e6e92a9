"""Reads of the catalog used by serving."""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.ids import ShopId


def servable_clause() -> ColumnElement[bool]:
    """Only these products may ever reach a shopper."""
    return and_(
        Product.available.is_(True),
        Product.published.is_(True),
        Product.deleted.is_(False),
        Product.status == "active",
    )


async def products_by_platform_ids(
    session: AsyncSession, shop_id: ShopId, platform_ids: Iterable[str]
) -> dict[str, Product]:
    ids = list(dict.fromkeys(platform_ids))
    if not ids:
        return {}
    stmt = select(Product).where(Product.shop_id == shop_id, Product.platform_id.in_(ids))
    return {p.platform_id: p for p in (await session.execute(stmt)).scalars()}


async def count_products(session: AsyncSession, shop_id: ShopId) -> int:
    stmt = select(func.count()).select_from(Product).where(
        Product.shop_id == shop_id, Product.deleted.is_(False)
    )
    return int((await session.execute(stmt)).scalar_one())
