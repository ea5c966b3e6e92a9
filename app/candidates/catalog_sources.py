"""Sources that need only the catalog: a brand-new shop still gets something to show."""

import time
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.candidates.pool import CandidatePool, Source
from app.catalog.models import Product
from app.catalog.queries import servable_clause
from app.ids import ShopId


async def newest_products(session: AsyncSession, shop_id: ShopId, since: datetime,
                          until: datetime, count: int) -> list[str]:
    stmt = (select(Product.platform_id)
            .where(Product.shop_id == shop_id, servable_clause(), Product.created_at >= since,
                   Product.created_at <= until)
            .order_by(Product.created_at.desc(), Product.id.desc()).limit(count))
    return list((await session.execute(stmt)).scalars())


async def add_catalog(session: AsyncSession, shop_id: ShopId, pool: CandidatePool,
                      count: int) -> None:
    """Any servable products, for a shop with no orders and no shopper context yet."""
    stmt = (select(Product.platform_id).where(Product.shop_id == shop_id, servable_clause())
            .order_by(Product.created_at.desc(), Product.id).limit(count))
    for product_id in (await session.execute(stmt)).scalars():
        pool.add(product_id, Source.POPULAR)


class NewArrivals:
    """The newest servable products per shop, looked up at most once a minute."""

    def __init__(self, days: int = 30, count: int = 10, cache_seconds: float = 60.0) -> None:
        self._days = days
        self._count = count
        self._cache_seconds = cache_seconds
        self._cached: dict[tuple[int, int], tuple[float, list[str]]] = {}

    async def add(self, session: AsyncSession, shop_id: ShopId, pool: CandidatePool,
                  now: datetime) -> None:
        key = (shop_id, int(now.timestamp() // self._cache_seconds))
        hit = self._cached.get(key)
        if hit is None or time.monotonic() - hit[0] > self._cache_seconds:
            since = now - timedelta(days=self._days)
            hit = (time.monotonic(), await newest_products(session, shop_id, since, now,
                                                           self._count))
            if len(self._cached) > 10_000:
                self._cached.clear()
            self._cached[key] = hit
        for product_id in hit[1]:
            pool.add(product_id, Source.NEW_ARRIVAL)

    def forget(self, shop_id: ShopId) -> None:
        for key in [k for k in self._cached if k[0] == shop_id]:
            del self._cached[key]
