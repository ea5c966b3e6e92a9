"""Commands on orders: idempotent upserts guarded by the platform's ``updated_at``.

An order change without ``updated_at`` is applied only while the order's platform time
is unknown; it never beats nor erases a known time."""

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from app.ids import ShopId
from app.orders.changes import OrderChange, RefundChange
from app.orders.models import Order, OrderLine, RefundLine
from app.orders.recommendations import MAX_CART_IDS

ID_MAX_CHARS = 64
QUANTITY_RANGE = (-(2**31), 2**31 - 1)


def check_order_change(change: OrderChange) -> None:
    """Refuse what cannot be stored the same way on every database (``InvalidInput``)."""
    ids = [change.platform_id, change.customer_id]
    ids += [i for line in change.lines
            for i in (line.platform_id, line.product_id, line.variant_id, line.recommendation_id)]
    ids += change.recommendation_ids
    if any(i is not None and len(i) > ID_MAX_CHARS for i in ids):
        raise InvalidInput(f"order: an id longer than {ID_MAX_CHARS} characters")
    if len(change.recommendation_ids) > MAX_CART_IDS:
        raise InvalidInput(f"order: more than {MAX_CART_IDS} recommendation ids")
    if change.currency is not None and len(change.currency) != 3:
        raise InvalidInput("order currency: not a three-letter code")
    if any(not QUANTITY_RANGE[0] <= line.quantity <= QUANTITY_RANGE[1] for line in change.lines):
        raise InvalidInput("order line quantity: out of range")


async def find_order(session: AsyncSession, shop_id: ShopId, platform_id: str) -> Order | None:
    stmt = select(Order).where(Order.shop_id == shop_id, Order.platform_id == platform_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def record_order(session: AsyncSession, shop_id: ShopId, change: OrderChange) -> str:
    """Store an order and its lines; returns ``created``, ``updated``, ``unchanged`` or ``stale``."""
    check_order_change(change)
    order = await find_order(session, shop_id, change.platform_id)
    outcome = "updated"
    if order is None:
        order = Order(shop_id=shop_id, platform_id=change.platform_id)
        try:
            async with session.begin_nested():
                _fill(order, change)
                session.add(order)
                await session.flush()
            outcome = "created"
        except IntegrityError:
            order = await find_order(session, shop_id, change.platform_id)
            assert order is not None
    known = order.platform_updated_at
    if outcome != "created" and known is not None:
        if change.updated_at is None or change.updated_at < known:
            return "stale"
        if change.updated_at == known and change.cancelled == order.cancelled:
            return "unchanged"
    _fill(order, change)
    await _replace_lines(session, shop_id, order, change)
    return outcome


def _fill(order: Order, change: OrderChange) -> None:
    order.customer_id = change.customer_id
    order.placed_at = change.placed_at
    order.cancelled = change.cancelled or order.cancelled
    order.currency = change.currency
    order.platform_updated_at = change.updated_at or order.platform_updated_at
    # An update that lost the cart's attributes keeps what the first delivery carried.
    order.recommendation_ids = list(change.recommendation_ids or order.recommendation_ids or [])


async def _replace_lines(
    session: AsyncSession, shop_id: ShopId, order: Order, change: OrderChange
) -> None:
    refunded = {
        line.platform_id: line.refunded_quantity
        for line in (
            await session.execute(select(OrderLine).where(OrderLine.order_key == order.id))
        ).scalars()
    }
    for line_id, quantity in (await _refunded_by_line(session, shop_id, order.platform_id)).items():
        refunded[line_id] = max(refunded.get(line_id, 0), quantity)
    await session.execute(delete(OrderLine).where(OrderLine.order_key == order.id))
    for line in change.lines:
        session.add(
            OrderLine(
                shop_id=shop_id,
                order_key=order.id,
                platform_id=line.platform_id,
                product_id=line.product_id,
                variant_id=line.variant_id,
                quantity=line.quantity,
                refunded_quantity=min(line.quantity, refunded.get(line.platform_id, 0)),
                price=line.price,
                recommendation_id=line.recommendation_id,
            )
        )
    await session.flush()


async def cancel_order(session: AsyncSession, shop_id: ShopId, platform_id: str) -> bool:
    order = await find_order(session, shop_id, platform_id)
    if order is None:
        return False
    order.cancelled = True
    await session.flush()
    return True


async def refund_line(
    session: AsyncSession, shop_id: ShopId, order_platform_id: str, line_id: str, quantity: int
) -> bool:
    """Record a refunded quantity; a fully refunded line stops counting as a purchase."""
    order = await find_order(session, shop_id, order_platform_id)
    if order is None:
        return False
    stmt = select(OrderLine).where(
        OrderLine.order_key == order.id, OrderLine.platform_id == line_id
    )
    line = (await session.execute(stmt)).scalar_one_or_none()
    if line is None:
        return False
    line.refunded_quantity = min(line.quantity, max(line.refunded_quantity, quantity))
    await session.flush()
    return True


async def _refunded_by_line(
    session: AsyncSession, shop_id: ShopId, order_platform_id: str
) -> dict[str, int]:
    """Refunded quantity per line id, summed over the distinct refunds recorded."""
    stmt = (
        select(RefundLine.line_platform_id, func.sum(RefundLine.quantity))
        .where(RefundLine.shop_id == shop_id, RefundLine.order_platform_id == order_platform_id)
        .group_by(RefundLine.line_platform_id)
    )
    return {str(line): int(total) for line, total in (await session.execute(stmt)).all()}


async def record_refund(session: AsyncSession, shop_id: ShopId, refund: RefundChange) -> bool:
    """Record a refund once (keyed by its id); returns whether it was new.

    A refund that arrives before its order is kept and applied when the order comes."""
    known = select(func.count()).select_from(RefundLine).where(
        RefundLine.shop_id == shop_id, RefundLine.refund_id == refund.platform_id
    )
    if (await session.execute(known)).scalar_one():
        return False
    quantities: dict[str, int] = {}
    for line in refund.lines:
        quantities[line.line_id] = quantities.get(line.line_id, 0) + max(0, line.quantity)
    try:
        async with session.begin_nested():
            session.add_all(
                RefundLine(shop_id=shop_id, refund_id=refund.platform_id,
                           order_platform_id=refund.order_platform_id,
                           line_platform_id=line_id, quantity=quantity)
                for line_id, quantity in quantities.items()
            )
            await session.flush()
    except IntegrityError:  # a concurrent copy of the same refund won
        return False
    await _apply_refunds(session, shop_id, refund.order_platform_id)
    return True


async def _apply_refunds(session: AsyncSession, shop_id: ShopId, order_platform_id: str) -> None:
    order = await find_order(session, shop_id, order_platform_id)
    if order is None:
        return
    refunded = await _refunded_by_line(session, shop_id, order_platform_id)
    lines = await session.execute(select(OrderLine).where(OrderLine.order_key == order.id))
    for line in lines.scalars():
        if line.platform_id in refunded:
            line.refunded_quantity = min(
                line.quantity, max(line.refunded_quantity, refunded[line.platform_id])
            )
    await session.flush()


BATCH = 500


async def record_orders(session: AsyncSession, shop_id: ShopId, changes: list[OrderChange]) -> int:
    """Bulk path for backfills and imports: new orders are inserted in batches, known
    ones go through ``record_order``. Returns how many orders were created."""
    for change in changes:
        check_order_change(change)
    created = 0
    for start in range(0, len(changes), BATCH):
        chunk = list({c.platform_id: c for c in changes[start : start + BATCH]}.values())
        stmt = select(Order.platform_id).where(
            Order.shop_id == shop_id, Order.platform_id.in_([c.platform_id for c in chunk])
        )
        known = set((await session.execute(stmt)).scalars())
        fresh = [c for c in chunk if c.platform_id not in known]
        try:
            async with session.begin_nested():
                await _insert_many(session, shop_id, fresh)
            created += len(fresh)
            await _apply_early_refunds(session, shop_id, [c.platform_id for c in fresh])
        except IntegrityError:  # a concurrent writer: fall back to one by one
            known = set()
        for change in chunk:
            if change.platform_id in known:
                created += await record_order(session, shop_id, change) == "created"
    return created


async def _insert_many(session: AsyncSession, shop_id: ShopId, fresh: list[OrderChange]) -> None:
    if not fresh:
        return
    rows = [
        {"shop_id": shop_id, "platform_id": c.platform_id, "customer_id": c.customer_id,
         "placed_at": c.placed_at, "cancelled": c.cancelled, "currency": c.currency,
         "platform_updated_at": c.updated_at, "recommendation_ids": list(c.recommendation_ids)}
        for c in fresh
    ]
    result = await session.execute(insert(Order).returning(Order.id, Order.platform_id), rows)
    keys = {platform_id: key for key, platform_id in result.all()}
    lines = [
        {"shop_id": shop_id, "order_key": keys[c.platform_id], "platform_id": line.platform_id,
         "product_id": line.product_id, "variant_id": line.variant_id,
         "quantity": line.quantity, "refunded_quantity": 0, "price": line.price,
         "recommendation_id": line.recommendation_id}
        for c in fresh
        for line in c.lines
    ]
    if lines:
        await session.execute(insert(OrderLine), lines)


async def _apply_early_refunds(session: AsyncSession, shop_id: ShopId, order_ids: list[str]) -> None:
    """Refunds recorded before their order existed now reach its lines."""
    if not order_ids:
        return
    stmt = select(RefundLine.order_platform_id).distinct().where(
        RefundLine.shop_id == shop_id, RefundLine.order_platform_id.in_(order_ids)
    )
    for order_platform_id in (await session.execute(stmt)).scalars():
        await _apply_refunds(session, shop_id, order_platform_id)
