"""Purchase popularity per shop, computed from orders and cached for a short while."""

import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.ids import ShopId
from app.orders.models import Order, OrderLine

CACHE_SECONDS = 60.0
LIMIT = 500


class PopularityCache:
    """Most purchased product ids (cancelled and fully refunded lines excluded)."""

    def __init__(self, window_days: int | None = None) -> None:
        self._window_days = window_days
        self._cached: dict[int, tuple[float, list[tuple[str, float]]]] = {}

    async def top(self, session: AsyncSession, shop_id: ShopId) -> list[tuple[str, float]]:
        hit = self._cached.get(shop_id)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        ranking = await self._compute(session, shop_id)
        self._cached[shop_id] = (time.monotonic(), ranking)
        return ranking

    def invalidate(self, shop_id: ShopId) -> None:
        self._cached.pop(shop_id, None)

    async def _compute(self, session: AsyncSession, shop_id: ShopId) -> list[tuple[str, float]]:
        buyers = func.count(func.distinct(func.coalesce(Order.customer_id, Order.platform_id)))
        stmt = (
            select(OrderLine.product_id, buyers)
            .join(Order, Order.id == OrderLine.order_key)
            .where(
                OrderLine.shop_id == shop_id,
                OrderLine.product_id.is_not(None),
                Order.cancelled.is_(False),
                OrderLine.refunded_quantity < OrderLine.quantity,
            )
            .group_by(OrderLine.product_id)
            .order_by(buyers.desc())
            .limit(LIMIT)
        )
        if self._window_days is not None:
            stmt = stmt.where(Order.placed_at >= utcnow() - timedelta(days=self._window_days))
        rows = (await session.execute(stmt)).all()
        best = float(rows[0][1]) if rows else 1.0
        return [(str(r[0]), float(r[1]) / best) for r in rows]
