"""Folding one batch of each source table into a ``Tally``: served lists, storefront
events, orders and refund lines. Each folder reads the rows ``where`` selects, oldest id
first, and returns the ids it read (the watermark's business, not theirs)."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from app.attribution.credits import (
    VIEW,
    AttributionWindows,
    Credit,
    credit_order,
    served_lists,
    shopper_of,
)
from app.attribution.latency import bucket_of
from app.attribution.models import (
    NO_EXPERIMENT,
    NO_PLACEMENT,
    NO_VARIANT,
    SHOPPER_CHARS,
    AttributedLine,
)
from app.attribution.tally import KpiKey, Tally, UnitKey
from app.catalog.models import Variant
from app.events.models import Event, Ranking
from app.events.types import EventType
from app.inventory.models import InventoryItemCost
from app.orders.models import Order, OrderLine, RefundLine

BATCH = 250
"""Rows of a source read at once. A fold of orders reads one batch
(``app.attribution.rollup``): an order costs a few milliseconds to credit, so 250 keep
other writers on SQLite (served lists, events) waiting about a second at most, where
2,000 had kept them waiting eight."""
COUNTED_EVENTS = {
    EventType.RECOMMENDATIONS_VIEWED.value: "impressions",
    EventType.PRODUCT_CLICKED.value: "clicks",
    EventType.PRODUCT_ADDED_TO_CART.value: "add_to_carts",
}


def _unit(shop_id: int, experiment_id: int, variant: str, shopper: str | None) -> UnitKey | None:
    if experiment_id == NO_EXPERIMENT or not shopper:
        return None
    return UnitKey(shop_id, experiment_id, variant, shopper[:SHOPPER_CHARS])


def fold_rankings(session: Session, where: ColumnElement[bool], tally: Tally,
                  limit: int = BATCH) -> list[int]:
    stmt = select(Ranking.id, Ranking.shop_id, Ranking.placement, Ranking.experiment_id,
                  Ranking.variant, Ranking.visitor_id, Ranking.customer_id, Ranking.latency_ms,
                  Ranking.created_at).where(where).order_by(Ranking.id).limit(limit)
    rows = (session.execute(stmt)).all()
    for _, shop, placement, experiment, variant, visitor, customer, latency, created in rows:
        key = KpiKey(shop, created.date(), placement, experiment or NO_EXPERIMENT,
                     variant or NO_VARIANT)
        tally.add(key, served=1)
        if latency is not None:
            tally.latency[key, bucket_of(latency)] += 1
        shopper = shopper_of(visitor, customer)
        if shopper:
            tally.visitors[key].add(shopper[:SHOPPER_CHARS])
        tally.add_unit(_unit(shop, key.experiment_id, key.variant, shopper))
    return [row[0] for row in rows]


def fold_events(session: Session, where: ColumnElement[bool], tally: Tally,
                limit: int = BATCH) -> list[int]:
    """Impressions, clicks and add-to-carts of known lists; events naming an unknown list
    are counted as unattributed on the shop's row of their day."""
    stmt = select(Event.id, Event.shop_id, Event.type, Event.recommendation_id,
                  Event.occurred_at).where(where).order_by(Event.id).limit(limit)
    rows = (session.execute(stmt)).all()
    ids_by_shop: defaultdict[int, set[str]] = defaultdict(set)
    for _, shop, _, recommendation, _ in rows:
        if recommendation:
            ids_by_shop[shop].add(recommendation)
    served = {shop: served_lists(session, shop, ids, with_products=False)
              for shop, ids in ids_by_shop.items()}
    for _, shop, kind, recommendation, occurred in rows:
        if not recommendation:
            continue
        shown = served[shop].get(recommendation)
        if shown is None:
            tally.add(KpiKey(shop, occurred.date(), NO_PLACEMENT, NO_EXPERIMENT, NO_VARIANT),
                      unattributed_events=1)
            continue
        counter = COUNTED_EVENTS.get(kind)
        if counter is not None:
            key = KpiKey(shop, occurred.date(), shown.placement, shown.experiment_id, shown.variant)
            tally.add(key, **{counter: 1})
            tally.add_unit(_unit(shop, shown.experiment_id, shown.variant, shown.shopper),
                           **{counter: 1})
    return [row[0] for row in rows]


def fold_orders(session: Session, where: ColumnElement[bool], tally: Tally,
                      windows: AttributionWindows, refunds_folded: ColumnElement[bool],
                      limit: int = BATCH) -> list[int]:
    """Credit each new order (cancelled ones count nothing); refunds folded before their
    order arrived (``refunds_folded``) are taken off at once."""
    orders = list((session.execute(
        select(Order).where(where).order_by(Order.id).limit(limit))).scalars())
    lines: defaultdict[int, list[OrderLine]] = defaultdict(list)
    keys = [order.id for order in orders if not order.cancelled]
    for start in range(0, len(keys), 500):
        stmt = select(OrderLine).where(OrderLine.order_key.in_(keys[start:start + 500])
                                       ).order_by(OrderLine.id)
        for line in (session.execute(stmt)).scalars():
            lines[line.order_key].append(line)
    for order in orders:
        if not order.cancelled:
            credited = _fold_order(session, order, lines[order.id], tally, windows)
            _take_off_earlier_refunds(session, order, credited, tally, refunds_folded)
    return [order.id for order in orders]


def _value(line: OrderLine) -> float:
    return (line.price or 0.0) * line.quantity


def _fold_order(session: Session, order: Order, lines: Sequence[OrderLine],
                      tally: Tally, windows: AttributionWindows) -> list[AttributedLine]:
    day, total = order.placed_at.date(), sum(_value(line) for line in lines)
    credits = credit_order(session, order, lines, windows)
    costs = unit_costs(session, order.shop_id, [c.line.variant_id for c in credits])
    if not any(c.kind != VIEW for c in credits):
        tally.add(KpiKey(order.shop_id, day, NO_PLACEMENT, NO_EXPERIMENT, NO_VARIANT),
                  plain_orders=1, plain_order_revenue=total)
    ordered: set[KpiKey] = set()
    viewed: set[KpiKey] = set()
    unit_revenue: defaultdict[UnitKey, float] = defaultdict(float)
    attributed = []
    for credit in credits:
        key = KpiKey(order.shop_id, day, credit.served.placement, credit.served.experiment_id,
                     credit.served.variant)
        cost = costs.get(credit.line.variant_id or "") if credit.line.price is not None else None
        attributed.append(_attributed_line(order, key, credit, cost))
        value = _value(credit.line)
        if credit.kind == VIEW:
            viewed.add(key)
            tally.add(key, view_through_revenue=value)
            continue
        ordered.add(key)
        tally.add(key, attributed_revenue=value)
        if cost is not None:
            tally.add(key, margin=((credit.line.price or 0.0) - cost) * credit.line.quantity,
                      costed_lines=1)
        unit = _unit(order.shop_id, key.experiment_id, key.variant, credit.served.shopper)
        if unit is not None:
            unit_revenue[unit] += value
    for key in ordered:
        tally.add(key, orders=1, recommended_order_revenue=total)
    for key in viewed:
        tally.add(key, view_through_orders=1)
    for unit, revenue in unit_revenue.items():
        tally.add_unit(unit, orders=1, revenue=revenue)
    session.add_all(attributed)
    return attributed


def _attributed_line(order: Order, key: KpiKey, credit: Credit, cost: float | None) -> AttributedLine:
    return AttributedLine(
        shop_id=order.shop_id, order_platform_id=order.platform_id,
        line_platform_id=credit.line.platform_id, kind=credit.kind, day=key.day,
        placement=key.placement, experiment_id=key.experiment_id, variant=key.variant,
        shopper=(credit.served.shopper or None) and credit.served.shopper[:SHOPPER_CHARS],
        unit_price=credit.line.price or 0.0, unit_cost=cost,
        quantity=max(0, credit.line.quantity), refunded_quantity=0,
    )


def unit_costs(session: Session, shop_id: int,
                     variant_ids: Sequence[str | None]) -> dict[str, float]:
    """The known unit cost of each variant, through its inventory item."""
    wanted = sorted({v for v in variant_ids if v})
    if not wanted:
        return {}
    stmt = select(Variant.platform_id, InventoryItemCost.cost).join(
        InventoryItemCost, and_(InventoryItemCost.shop_id == Variant.shop_id,
                                InventoryItemCost.inventory_item_id == Variant.inventory_item_id),
    ).where(Variant.shop_id == shop_id, Variant.platform_id.in_(wanted),
            InventoryItemCost.cost.is_not(None))
    return {variant: float(cost) for variant, cost in (session.execute(stmt)).all()
            if cost is not None}


def _take_off_earlier_refunds(session: Session, order: Order,
                                    credited: Sequence[AttributedLine], tally: Tally,
                                    refunds_folded: ColumnElement[bool]) -> None:
    if not credited:
        return
    stmt = select(RefundLine.line_platform_id, func.sum(RefundLine.quantity)).where(
        RefundLine.shop_id == order.shop_id, RefundLine.order_platform_id == order.platform_id,
        refunds_folded,
    ).group_by(RefundLine.line_platform_id)
    refunded = {str(line): int(quantity) for line, quantity in (session.execute(stmt)).all()}
    for line in credited:
        take_off_refund(tally, line, refunded.get(line.line_platform_id, 0))


def take_off_refund(tally: Tally, line: AttributedLine, quantity: int) -> None:
    """A refund of ``quantity`` units of a credited line, never more than was bought."""
    newly = min(max(0, quantity), line.quantity - line.refunded_quantity)
    if newly <= 0:
        return
    line.refunded_quantity += newly
    amount = line.unit_price * newly
    key = KpiKey(line.shop_id, line.day, line.placement, line.experiment_id, line.variant)
    if line.kind == VIEW:
        tally.add(key, view_through_revenue=-amount)
        return
    tally.add(key, refunded_revenue=amount)
    if line.unit_cost is not None:
        tally.add(key, margin=-(line.unit_price - line.unit_cost) * newly)
    tally.add_unit(_unit(line.shop_id, line.experiment_id, line.variant, line.shopper),
                   revenue=-amount)


def fold_refund_lines(session: Session, where: ColumnElement[bool],
                            tally: Tally, limit: int = BATCH) -> list[int]:
    """Refunds of credited lines; a refund of an order not folded yet is taken off when
    its order is (``fold_orders``)."""
    refunds = list((session.execute(
        select(RefundLine).where(where).order_by(RefundLine.id).limit(limit))).scalars())
    for refund in refunds:
        stmt = select(AttributedLine).where(
            AttributedLine.shop_id == refund.shop_id,
            AttributedLine.order_platform_id == refund.order_platform_id,
            AttributedLine.line_platform_id == refund.line_platform_id)
        line = (session.execute(stmt)).scalar_one_or_none()
        if line is not None:
            take_off_refund(tally, line, refund.quantity)
    return [refund.id for refund in refunds]
