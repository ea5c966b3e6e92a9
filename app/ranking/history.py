"""Purchase history as the training job and the harness see it: one record per order."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

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
PRODUCTS_PER_VISITOR_DAY = 20
"""A visitor's distinct products counted per day; the rest of that day's views are not."""
PRODUCTS_PER_VISITOR = 50
"""A visitor's distinct products counted over the whole look-back (at most 1,225 pairs)."""


@dataclass(frozen=True)
class ViewSession:
    """The products one visitor looked at, and where from: the keyed hash of the network
    address (``events.sources``), or the visitor itself where none was kept."""

    source: str
    products: tuple[str, ...]


def _capped_sessions(rows: Iterable[tuple[str, str | None, str, datetime]],
                     ) -> list[ViewSession]:
    """Each visitor's distinct products, in the order first seen, within the caps."""
    products: dict[str, dict[str, None]] = {}
    sources: dict[str, str] = {}
    per_day: dict[tuple[str, date], int] = {}
    for visitor, source, product, occurred_at in rows:
        seen = products.setdefault(visitor, {})
        sources.setdefault(visitor, f"address:{source}" if source else f"visitor:{visitor}")
        day = (visitor, occurred_at.date())
        if product in seen or len(seen) >= PRODUCTS_PER_VISITOR:
            continue
        if per_day.get(day, 0) >= PRODUCTS_PER_VISITOR_DAY:
            continue
        per_day[day] = per_day.get(day, 0) + 1
        seen[product] = None
    return [ViewSession(sources[v], tuple(p)) for v, p in products.items() if len(p) > 1]


async def view_sessions(session: AsyncSession, shop_id: ShopId, since: datetime,
                        ) -> list[ViewSession]:
    """Products each visitor looked at (stored events, so only with consent) since then,
    within the per-visitor caps; ``ranking.coviews`` caps what one address adds."""
    stmt = (select(Event.visitor_id, Event.source_key, Event.product_id, Event.occurred_at)
            .where(Event.shop_id == shop_id, Event.type.in_(SESSION_EVENTS),
                   Event.product_id.is_not(None), Event.occurred_at >= since)
            .order_by(Event.occurred_at, Event.id))
    rows = (await session.execute(stmt)).all()
    return _capped_sessions((v, s, str(p), t) for v, s, p, t in rows)


def buyer_key(customer_id: str | None, order_id: str) -> str:
    """Guest orders count as one-order buyers of their own."""
    return customer_id if customer_id else f"guest:{order_id}"


async def purchase_history(
    session: AsyncSession, shop_id: ShopId, until: datetime | None = None
) -> list[OrderRecord]:
    """Every paid, not cancelled order with its not fully refunded products, oldest first;
    each order's products in line order (what followed what: ``session_intent``)."""
    stmt = (
        select(Order.platform_id, Order.customer_id, Order.placed_at, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_key == Order.id)
        .where(Order.shop_id == shop_id, Order.cancelled.is_(False),
               OrderLine.product_id.is_not(None),
               OrderLine.refunded_quantity < OrderLine.quantity)
        .order_by(Order.placed_at, Order.id, OrderLine.id)
    )
    if until is not None:
        stmt = stmt.where(Order.placed_at < until)
    grouped: dict[str, tuple[str, datetime, dict[str, None]]] = {}
    for order_id, customer_id, placed_at, product_id in (await session.execute(stmt)).all():
        entry = grouped.setdefault(order_id, (buyer_key(customer_id, order_id), placed_at, {}))
        entry[2][str(product_id)] = None
    return [OrderRecord(o, b, t, tuple(p)) for o, (b, t, p) in grouped.items()]
