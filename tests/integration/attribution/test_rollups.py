"""Rollups are folded exactly once, rebuilt to the same figures, and read back per day,
placement and variant, with experiment moments and latency percentiles."""

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.attribution.models import RollupWatermark
from app.attribution.queries import experiment_moments, kpis, variant_latency
from app.attribution.rollup import FoldLimits, fold_new_rows, rebuild
from app.events.models import Ranking
from app.events.types import EventType
from app.ingestion.apply import apply_changes
from app.ingestion.protocol import ShopContext
from app.inventory.models import InventoryItemCost
from app.orders.models import Order, OrderLine
from app.shops.models import Shop
from app.storage.database import create_session_factory, transaction
from tests.factories import make_shop, shop_id
from tests.integration.attribution.support import (
    DAY,
    T0,
    WINDOWS,
    buy,
    everything,
    fold_all,
    refund,
    serve,
    track,
)
from webhooks.payload import Fields
from webhooks.shopify import NORMALIZERS

CLICKED = EventType.PRODUCT_CLICKED.value
VIEWED = EventType.RECOMMENDATIONS_VIEWED.value
ADDED = EventType.PRODUCT_ADDED_TO_CART.value
PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "shopify"


async def _history(session: AsyncSession, shop: int) -> None:
    """Two days, two placements, an experiment with two variants, orders and a refund."""
    for day in range(2):
        at = T0 + timedelta(days=day)
        await serve(session, shop, f"h{day}", ["p1", "p2"], placement="HOME", experiment=3,
                    variant="A", visitor="v1", latency_ms=4.0 + day, at=at)
        await serve(session, shop, f"b{day}", ["p1", "p3"], placement="HOME", experiment=3,
                    variant="B", visitor="v2", latency_ms=40.0, at=at)
        await serve(session, shop, f"c{day}", ["p3"], placement="CART", visitor="v3",
                    latency_ms=9.0, at=at)
        await track(session, shop, VIEWED, f"h{day}", visitor="v1", at=at)
        await track(session, shop, VIEWED, f"b{day}", visitor="v2", at=at)
        await track(session, shop, CLICKED, f"h{day}", product="p1", visitor="v1", customer="c1",
                    at=at + timedelta(minutes=1))
    await track(session, shop, ADDED, "h1", product="p1", visitor="v1", at=T0 + timedelta(days=1))
    await buy(session, shop, "o1", [("p1", 10.0, 1), ("p5", 30.0, 1)], customer="c1",
              at=T0 + timedelta(days=1, hours=1))
    await buy(session, shop, "o2", [("p3", 5.0, 2)], customer=None, cart=["c0"], at=T0)
    await refund(session, shop, "rf", "o2", "p3", 1)


async def test_folding_twice_adds_nothing(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await _history(session, shop)
    first = await fold_all(session)
    folded = await everything(session, shop)
    again = await fold_all(session)
    assert first.total >= 6 + 6 + 1 + 2 + 1 and again.total == 0
    assert await everything(session, shop) == folded


async def test_a_rebuild_gives_what_folding_as_rows_arrived_gave(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "early", ["p1"], visitor="v9", experiment=3, variant="A")
    await fold_all(session)  # folds in steps, as a server does
    await _history(session, shop)
    step = await fold_new_rows(session, WINDOWS, FoldLimits(rows=3, crediting_rows=1))
    # 6 served lists, 7 events, 2 orders, 1 refund waiting: a fold reads up to its limits.
    assert (step.rankings, step.events, step.orders, step.refund_lines) == (3, 3, 1, 1)
    assert step.more
    await fold_all(session)
    incremental = await everything(session, shop)
    assert incremental[0]  # something was folded

    await rebuild(session, shop, WINDOWS)
    assert await everything(session, shop) == incremental
    assert (await fold_all(session)).total == 0


async def test_kpis_group_by_day_placement_and_variant(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await _history(session, shop)
    await fold_all(session)
    end = DAY + timedelta(days=1)

    [total] = await kpis(session, shop, DAY, end, None, [])
    assert (total.served, total.impressions, total.clicks, total.add_to_carts) == (6, 4, 2, 1)
    assert (total.orders, total.attributed_revenue, total.refunded_revenue) == (2, 15.0, 5.0)
    assert total.ctr == 0.5 and total.click_to_cart == 0.5
    assert total.visitors == 6  # three shoppers on each of two days
    assert total.aov_with_recommended == (40.0 + 10.0) / 2
    assert total.contribution_margin is None  # no unit cost known

    by_day = await kpis(session, shop, DAY, end, None, ["day"])
    assert [(r.day, r.served, r.orders) for r in by_day] == [(DAY, 3, 1), (end, 3, 1)]

    by_variant = await kpis(session, shop, DAY, end, "HOME", ["placement", "variant"])
    assert [(r.placement, r.experiment_id, r.variant, r.impressions, r.clicks, r.orders,
             r.attributed_revenue) for r in by_variant] == [
        ("HOME", 3, "A", 2, 2, 1, 10.0), ("HOME", 3, "B", 2, 0, 0, 0.0)]
    a, b = by_variant
    assert a.latency_p50_ms is not None and 4.0 / 1.2 <= a.latency_p50_ms <= 5.0 * 1.2
    assert b.latency_p99_ms is not None and 40.0 / 1.2 <= b.latency_p99_ms <= 40.0 * 1.2

    cart = await kpis(session, shop, end, end, "CART", ["day", "placement"])
    assert [(r.day, r.placement, r.served, r.orders) for r in cart] == [(end, "CART", 1, 0)]


async def test_experiment_moments_and_latency_per_variant(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "a1", ["p1"], experiment=8, variant="A", visitor="s1", latency_ms=2)
    await serve(session, shop, "a2", ["p1"], experiment=8, variant="A", visitor="s2", latency_ms=2)
    await serve(session, shop, "b1", ["p1"], experiment=8, variant="B", visitor="s3", latency_ms=20)
    await serve(session, shop, "n1", ["p1"], experiment=8, variant="C", visitor=None,
                latency_ms=None)
    for _ in range(2):
        await track(session, shop, VIEWED, "a1", visitor="s1")
    await track(session, shop, VIEWED, "a2", visitor="s2")
    await track(session, shop, CLICKED, "a1", product="p1", visitor="s1")
    await buy(session, shop, "o1", [("p1", 15.0, 2)], customer=None, line_recs={"p1": "a1"})
    await fold_all(session)

    moments = await experiment_moments(session, shop, 8)
    a, b, c = moments["A"], moments["B"], moments["C"]
    assert (a.n, b.n, c.n) == (2, 1, 0)
    assert a.sums == {"impressions": 3.0, "clicks": 1.0, "add_to_carts": 0.0, "orders": 1.0,
                      "revenue": 30.0}
    assert a.squares["impressions"] == 2.0**2 + 1.0**2 and a.squares["revenue"] == 900.0
    assert a.products["impressions", "clicks"] == 2.0 == a.products["clicks", "impressions"]
    assert a.products["clicks", "revenue"] == 30.0
    assert b.sums["impressions"] == 0.0 and b.squares["revenue"] == 0.0

    latency = await variant_latency(session, shop, 8)
    assert (latency["A"].count, latency["B"].count) == (2, 1)
    assert latency["A"].p99_ms is not None and latency["A"].p99_ms <= 2.0 * 1.2
    assert latency["B"].p50_ms is not None and latency["B"].p50_ms >= 20.0 / 1.2
    assert "C" not in latency
    assert await experiment_moments(session, shop, 999) == {}


async def test_a_recorded_shopify_order_and_unit_cost_arrive_with_their_ids(
        session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    context = ShopContext(id=shop, domain="snowdevil.myshopify.com", currency="USD")
    for topic, name in (("orders/create", "orders_create_recommended.json"),
                        ("inventory_items/update", "inventory_items_update.json")):
        body = Fields.of((PAYLOADS / name).read_bytes())
        await apply_changes(session, shop, NORMALIZERS[topic](body, context), [])

    order = (await session.execute(select(Order).where(Order.shop_id == shop))).scalar_one()
    assert order.recommendation_ids == ["rec-cart-0001", "rec-product-42", "rec-home-7f3a"]
    lines = (await session.execute(select(OrderLine.recommendation_id).where(
        OrderLine.order_key == order.id).order_by(OrderLine.platform_id))).scalars().all()
    assert sorted(lines, key=str) == sorted(["rec-home-7f3a", None], key=str)
    cost = (await session.execute(select(InventoryItemCost.cost).where(
        InventoryItemCost.shop_id == shop))).scalar_one()
    assert cost == 120.5
    stale = json.loads((PAYLOADS / "inventory_items_update.json").read_text())
    stale.update(cost="1.00", updated_at="2024-01-01T00:00:00Z")
    await apply_changes(session, shop, NORMALIZERS["inventory_items/update"](
        Fields(stale), context), [])
    assert (await session.execute(select(InventoryItemCost.cost).where(
        InventoryItemCost.shop_id == shop))).scalar_one() == 120.5  # an older report loses


async def test_two_processes_folding_at_once_fold_each_row_once(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        before = [(m.source, m.position, m.gaps)
                  for m in (await session.execute(select(RollupWatermark))).scalars()]
        shop = shop_id(await make_shop(session))
        await fold_all(session)  # the watermark rows exist: the folds meet on them
    async with transaction(sessions) as session:
        for i in range(30):
            await serve(session, shop, f"conc-{shop}-{i}", ["p1"], visitor=f"v{i}")
    try:
        async def fold() -> int:
            async with transaction(sessions) as session:
                return (await fold_all(session)).rankings

        await asyncio.gather(fold(), fold())
        async with transaction(sessions) as session:
            [row] = await kpis(session, shop, DAY, DAY, None, [])
            assert (row.served, row.visitors) == (30, 30)
    finally:
        async with transaction(sessions) as session:
            await session.execute(delete(Shop).where(Shop.id == shop))
            await session.execute(delete(RollupWatermark))  # as the other tests found them
            session.add_all(RollupWatermark(source=source, position=position, gaps=gaps)
                            for source, position, gaps in before)


async def test_rows_after_the_newest_rows_were_erased_are_still_folded(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "kept", ["p1"], visitor="v1")
    await serve(session, shop, "erased", ["p1"], visitor="v2")
    await fold_all(session)
    await session.execute(delete(Ranking).where(Ranking.recommendation_id == "erased"))
    await fold_all(session)
    await serve(session, shop, "after", ["p1"], visitor="v3")  # SQLite may give it the same id
    await fold_all(session)

    [row] = await kpis(session, shop, DAY, DAY, None, [])
    assert (row.served, row.visitors) == (3, 3)
