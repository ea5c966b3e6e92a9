"""Purchase history as the training job and the harness see it: one record per order."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import Event
from app.events.types import EventType
from app.ids import ShopId
from app.orders.models import Order, OrderLine


@dataclass(frozen=True)
class OrderRecord:
    """An order reduced to who bought which distinct products when."""

    order_id: str
    buyer: str
    placed_at: datetime
    products: tuple[str, ...]


SESSION_EVENTS = (EventType.PRODUCT_VIEWED.value, EventType.PRODUCT_CLICKED.value,
                  EventType.PRODUCT_ADDED_TO_CART.value)


async def view_sessions(session: AsyncSession, shop_id: ShopId, since: datetime,
                        ) -> list[tuple[str, ...]]:
    """Products each visitor looked at (stored events, so only with consent) since then."""
    stmt = (select(Event.visitor_id, Event.product_id)
            .where(Event.shop_id == shop_id, Event.type.in_(SESSION_EVENTS),
                   Event.product_id.is_not(None), Event.occurred_at >= since))
    grouped: dict[str, dict[str, None]] = {}
    for visitor, product in (await session.execute(stmt)).all():
        grouped.setdefault(visitor, {})[str(product)] = None
    return [tuple(p) for p in grouped.values() if len(p) > 1]


def buyer_key(customer_id: str | None, order_id: str) -> str:
    """Guest orders count as one-order buyers of their own."""
    return customer_id if customer_id else f"guest:{order_id}"


async def purchase_history(
    session: AsyncSession, shop_id: ShopId, until: datetime | None = None
) -> list[OrderRecord]:
    """Every paid, not cancelled order with its not fully refunded products, oldest first."""
    stmt = (
        select(Order.platform_id, Order.customer_id, Order.placed_at, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_key == Order.id)
        .where(Order.shop_id == shop_id, Order.cancelled.is_(False),
               OrderLine.product_id.is_not(None),
               OrderLine.refunded_quantity < OrderLine.quantity)
        .order_by(Order.placed_at, Order.id)
    )
    if until is not None:
        stmt = stmt.where(Order.placed_at < until)
    grouped: dict[str, tuple[str, datetime, dict[str, None]]] = {}
    for order_id, customer_id, placed_at, product_id in (await session.execute(stmt)).all():
        entry = grouped.setdefault(order_id, (buyer_key(customer_id, order_id), placed_at, {}))
        entry[2][str(product_id)] = None
    return [OrderRecord(o, b, t, tuple(p)) for o, (b, t, p) in grouped.items()]
