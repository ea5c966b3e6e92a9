"""Orders that arrived since the model was trained move the live trend right away."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId
from app.orders.models import Order, OrderLine
from app.ranking.runtime import ModelRuntime


async def feed_new_orders(session: AsyncSession, shop_id: ShopId, runtime: ModelRuntime) -> int:
    """Add the products of orders stored after ``runtime.fed_until``; returns how many orders."""
    stmt = (select(Order.id, Order.placed_at, Order.created_at, OrderLine.product_id)
            .join(OrderLine, OrderLine.order_key == Order.id)
            .where(Order.shop_id == shop_id, Order.cancelled.is_(False),
                   Order.created_at > runtime.fed_until, OrderLine.product_id.is_not(None))
            .order_by(Order.created_at))
    orders: dict[int, tuple[datetime, list[str]]] = {}
    latest = runtime.fed_until
    for key, placed_at, created_at, product in (await session.execute(stmt)).all():
        orders.setdefault(key, (placed_at, []))[1].append(str(product))
        latest = max(latest, created_at)
    for placed_at, products in orders.values():
        runtime.observe_order(products, placed_at)
    runtime.fed_until = latest
    return len(orders)
