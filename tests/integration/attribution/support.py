"""Served lists, events and orders with explicit times, and the rollups read back."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.credits import AttributionWindows
from app.attribution.models import ExperimentUnit, KpiDaily, KpiLatency
from app.attribution.rollup import FoldReport, fold_new_rows
from app.events.models import Event, Ranking, VisitorLink
from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange, RefundChange, RefundLineChange
from app.orders.service import record_order, record_refund

WINDOWS = AttributionWindows(click=timedelta(days=7), view=timedelta(days=1))
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY = T0.date()
SHOP_ROW = ("", 0, "")
"""The placement, experiment and variant of a shop's own row (unattributed, plain orders)."""


async def serve(session: AsyncSession, shop: ShopId, rec: str, products: Sequence[str] = ("p1", "p2"),
                *, placement: str = "HOME", visitor: str | None = "v1", customer: str | None = None,
                experiment: int | None = None, variant: str | None = None,
                latency_ms: float | None = 5.0, at: datetime = T0) -> None:
    session.add(Ranking(shop_id=shop, recommendation_id=rec, placement=placement,
                        visitor_id=visitor, customer_id=customer, product_ids=list(products),
                        reasons=[], model_version="m1", created_at=at, experiment_id=experiment,
                        variant=variant, latency_ms=latency_ms))
    await session.flush()


async def track(session: AsyncSession, shop: ShopId, kind: str, rec: str | None, *,
                product: str | None = None, visitor: str = "v1", customer: str | None = None,
                at: datetime = T0) -> None:
    session.add(Event(shop_id=shop, event_id=uuid.uuid4().hex, type=kind, visitor_id=visitor,
                      customer_id=customer, product_id=product, recommendation_id=rec,
                      occurred_at=at))
    await session.flush()


async def link(session: AsyncSession, shop: ShopId, visitor: str, customer: str) -> None:
    session.add(VisitorLink(shop_id=shop, visitor_id=visitor, customer_id=customer))
    await session.flush()


async def buy(session: AsyncSession, shop: ShopId, order_id: str,
              lines: Sequence[tuple[str, float, int]], *, customer: str | None = "c1",
              at: datetime = T0, cart: Sequence[str] = (),
              line_recs: dict[str, str] | None = None, variants: dict[str, str] | None = None) -> None:
    """An order of ``(product, price, quantity)`` lines; line ids are ``<order>-<product>``."""
    await record_order(session, shop, OrderChange(
        platform_id=order_id, customer_id=customer, placed_at=at,
        lines=tuple(OrderLineChange(f"{order_id}-{product}", product,
                                    (variants or {}).get(product), quantity, price,
                                    (line_recs or {}).get(product))
                    for product, price, quantity in lines),
        currency="USD", updated_at=at, recommendation_ids=tuple(cart)))


async def refund(session: AsyncSession, shop: ShopId, refund_id: str, order_id: str,
                 product: str, quantity: int) -> None:
    await record_refund(session, shop, RefundChange(
        refund_id, order_id, (RefundLineChange(f"{order_id}-{product}", quantity),)))


async def daily(session: AsyncSession, shop: ShopId) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Each stored rollup row of the shop by (day, placement, experiment, variant), with its
    non-zero counters."""
    rows = (await session.execute(select(KpiDaily).where(KpiDaily.shop_id == shop))).scalars()
    return {(r.day, r.placement, r.experiment_id, r.variant): {
        c: getattr(r, c) for c in KpiDaily.__table__.columns.keys()  # noqa: SIM118
        if c not in {"id", "shop_id", "day", "placement", "experiment_id", "variant"}
        and getattr(r, c)} for r in rows}


async def everything(session: AsyncSession, shop: ShopId) -> tuple[Any, ...]:
    """Every rollup of the shop, comparable between two ways of building them."""
    latency = (await session.execute(select(
        KpiLatency.day, KpiLatency.placement, KpiLatency.experiment_id, KpiLatency.variant,
        KpiLatency.bucket, KpiLatency.count).where(KpiLatency.shop_id == shop))).all()
    units = (await session.execute(select(
        ExperimentUnit.experiment_id, ExperimentUnit.variant, ExperimentUnit.shopper,
        ExperimentUnit.impressions, ExperimentUnit.clicks, ExperimentUnit.add_to_carts,
        ExperimentUnit.orders, ExperimentUnit.revenue).where(ExperimentUnit.shop_id == shop))).all()
    return await daily(session, shop), sorted(latency), sorted(units)


async def fold_all(session: AsyncSession) -> FoldReport:
    """Fold until nothing waits (the database may hold other tests' committed rows)."""
    total = FoldReport()
    while True:
        report = await fold_new_rows(session, WINDOWS)
        for source in ("rankings", "events", "orders", "refund_lines"):
            setattr(total, source, getattr(total, source) + getattr(report, source))
        if not report.more:
            return total
