"""The core's customer data stores: orders, and the raw payloads kept for inspection."""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId
from app.ingestion.models import FAILED, InboxDelivery, RejectedDelivery
from app.orders.models import Order, OrderLine
from app.privacy.protocol import CustomerDataStore, CustomerRef

REDACTED = "payload redacted on the customer's request"


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


def _needles(customer: CustomerRef) -> list[bytes]:
    values = [customer.customer_id, customer.email, customer.phone]
    return [v.encode() for v in values if v and len(v) >= 3]


class PayloadStore:
    """Raw payloads still held (failed or rejected deliveries) that mention the customer."""

    name = "webhook_payloads"

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        return []  # raw payloads are the platform's own copy, not data we derived

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        needles = _needles(customer)
        if not needles:
            return 0
        erased = 0
        failed = select(InboxDelivery).where(
            InboxDelivery.shop_id == customer.shop_id, InboxDelivery.status == FAILED,
            InboxDelivery.body.is_not(None),
        )
        for delivery in (await session.execute(failed)).scalars():
            if any(n in (delivery.body or b"") for n in needles):
                delivery.body, delivery.last_error = None, REDACTED
                erased += 1
        rejected = select(RejectedDelivery).where(
            RejectedDelivery.shop_id == customer.shop_id, RejectedDelivery.body.is_not(None)
        )
        for rejection in (await session.execute(rejected)).scalars():
            if any(n in (rejection.body or b"") for n in needles):
                rejection.body, rejection.reason = None, REDACTED
                erased += 1
        await session.flush()
        return erased

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        return 0  # deliveries go with the shop row (ON DELETE CASCADE)


def core_customer_stores() -> list[CustomerDataStore]:
    """The stores of the core; the composition root appends the engine's own."""
    return [OrdersStore(), PayloadStore()]
