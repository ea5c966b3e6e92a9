"""Orders as a customer data store: the customer link goes, the anonymous basket stays."""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.customer_data import CustomerRef
from app.ids import ShopId
from app.orders.models import Order, OrderLine


def _orders_of(customer: CustomerRef) -> ColumnElement[bool]:
    """This customer's orders in their shop: each side of the ``or_`` with the shop, so
    that each is one range of a shop-first index."""
    in_shop = Order.shop_id == customer.shop_id
    clauses: list[ColumnElement[bool]] = []
    if customer.customer_id:
        clauses.append(and_(in_shop, Order.customer_id == customer.customer_id))
    if customer.order_ids:
        clauses.append(and_(in_shop, Order.platform_id.in_(list(customer.order_ids))))
    return or_(*clauses) if clauses else false()


class OrdersStore:
    """Orders are kept as anonymous baskets (co-purchase signal); the customer link goes."""

    name = "orders"

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        stmt = select(Order).where(_orders_of(customer))
        orders = list((await session.execute(stmt.order_by(Order.placed_at))).scalars())
        records = []
        for order in orders:
            lines = await session.execute(select(OrderLine).where(OrderLine.order_key == order.id))
            records.append({
                "order_id": order.platform_id,
                "customer_id": order.customer_id,
                "placed_at": order.placed_at.isoformat(),
                "cancelled": order.cancelled,
                "currency": order.currency,
                "lines": [
                    {"line_id": line.platform_id, "product_id": line.product_id,
                     "variant_id": line.variant_id, "quantity": line.quantity,
                     "refunded_quantity": line.refunded_quantity, "price": line.price}
                    for line in lines.scalars()
                ],
            })
        return records

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        stmt = (
            update(Order)
            .where(_orders_of(customer))
            .values(customer_id=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(await session.execute(stmt), "rowcount", 0))

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        return 0  # orders go with the shop row (ON DELETE CASCADE)
