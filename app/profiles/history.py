"""Long-term purchase statistics of one customer, from the orders table."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select

from app.ids import ShopId
from app.orders.models import Order, OrderLine
from app.profiles.types import Profile, PurchaseStats
from app.storage.reads import Lookup, Reader

REPEAT_PRIOR_SHARE = 0.4
REPEAT_PRIOR_WEIGHT = 2.0


# Built once, with bound parameters: it runs on every personalized request, and building
# it took longer than running it (as ``app.events.queries``).
CUSTOMER_ORDERS = Lookup(
    select(Order.id, Order.placed_at, OrderLine.product_id)
    .join(OrderLine, OrderLine.order_key == Order.id)
    .where(Order.shop_id == bindparam("shop_id"), Order.customer_id == bindparam("customer_id"),
           Order.cancelled.is_(False), Order.placed_at <= bindparam("until"),
           OrderLine.product_id.is_not(None),
           OrderLine.refunded_quantity < OrderLine.quantity)
    .order_by(Order.placed_at, Order.id)
)


async def customer_orders(
    reader: Reader, shop_id: ShopId, customer_id: str, until: datetime
) -> list[tuple[datetime, list[str]]]:
    """The customer's paid orders before ``until``, oldest first, as distinct products."""
    found = await CUSTOMER_ORDERS.rows(
        reader, {"shop_id": shop_id, "customer_id": customer_id, "until": until})
    orders: dict[int, tuple[datetime, dict[str, None]]] = {}
    for key, placed_at, product in found:
        orders.setdefault(key, (placed_at, {}))[1][str(product)] = None
    return [(t, list(items)) for t, items in orders.values()]


def repeat_share(orders: Sequence[tuple[datetime, list[str]]]) -> float:
    """How much of this customer's later orders were products bought before (smoothed)."""
    seen: set[str] = set()
    repeats = total = 0
    for index, (_, items) in enumerate(orders):
        if index:
            repeats += len(seen.intersection(items))
            total += len(items)
        seen.update(items)
    return (repeats + REPEAT_PRIOR_SHARE * REPEAT_PRIOR_WEIGHT) / (total + REPEAT_PRIOR_WEIGHT)


def fill_purchases(profile: Profile, orders: Sequence[tuple[datetime, list[str]]]) -> None:
    n = len(orders)
    for index, (placed_at, items) in enumerate(orders):
        age = n - 1 - index
        for product in items:
            stats = profile.purchases.setdefault(product, PurchaseStats())
            stats.orders += 1
            stats.recent_half += 0.5**age
            stats.recent_slow += 0.8**age
            stats.last_at = placed_at
            stats.in_last = stats.in_last or age == 0
    profile.order_count = n
    if orders:
        profile.last_order_at = orders[-1][0]
        profile.last_order_items = list(orders[-1][1])
    profile.repeat_share = repeat_share(orders)
