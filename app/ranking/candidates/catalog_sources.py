"""Sources that need only the catalog: a brand-new shop still gets something to show."""

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.queries import servable_clause
from app.ids import ShopId
from app.ranking.candidates.pool import CandidatePool, Source


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
    """The newest servable products per shop, looked up at most once a minute.

    One lookup at a time per shop and minute: the requests that find the minute's entry
    missing while it is being read wait for that read instead of each starting its own."""

    def __init__(self, days: int = 30, count: int = 10, cache_seconds: float = 60.0) -> None:
        self._days = days
        self._count = count
        self._cache_seconds = cache_seconds
        self._cached: dict[tuple[int, int], tuple[float, list[str]]] = {}
        self._reading: dict[tuple[int, int], asyncio.Future[list[str]]] = {}

    async def add(self, session: AsyncSession, shop_id: ShopId, pool: CandidatePool,
                  now: datetime) -> None:
        for product_id in await self._newest(session, shop_id, now):
            pool.add(product_id, Source.NEW_ARRIVAL)

    async def _newest(self, session: AsyncSession, shop_id: ShopId, now: datetime) -> list[str]:
        key = (shop_id, int(now.timestamp() // self._cache_seconds))
        hit = self._cached.get(key)
        if hit is not None and time.monotonic() - hit[0] <= self._cache_seconds:
            return hit[1]
        reading = self._reading.get(key)
        while reading is not None:
            await asyncio.wait([reading])  # its outcome, whatever it is, without raising
            if not reading.cancelled():
                return reading.result()
            reading = self._reading.get(key)  # that read failed: another, or our own
        reading = self._reading[key] = asyncio.get_running_loop().create_future()
        try:
            since = now - timedelta(days=self._days)
            newest = await newest_products(session, shop_id, since, now, self._count)
        except BaseException:
            reading.cancel()  # the waiting requests read for themselves
            raise
        finally:
            if self._reading.get(key) is reading:
                del self._reading[key]
        if len(self._cached) > 10_000:
            self._cached.clear()
        self._cached[key] = (time.monotonic(), newest)
        reading.set_result(newest)
        return newest

    def forget(self, shop_id: ShopId) -> None:
        for key in [k for k in self._cached if k[0] == shop_id]:
            del self._cached[key]
