"""Orders are credited to the served lists they came from: through the ids the cart
carried, else a click within the click-through window, else (reported apart) an impression
within the view-through window; refunds take revenue back; unknown ids are counted, not
credited. On SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.service import apply_product_change
from app.events.types import EventType
from app.inventory.service import CostChange, record_cost
from tests.factories import make_shop, product, shop_id, variant
from tests.integration.attribution.support import (
    DAY,
    SHOP_ROW,
    T0,
    buy,
    daily,
    fold_all,
    link,
    refund,
    serve,
    track,
)

CLICKED = EventType.PRODUCT_CLICKED.value
VIEWED = EventType.RECOMMENDATIONS_VIEWED.value
ADDED = EventType.PRODUCT_ADDED_TO_CART.value
HOME = (DAY, "HOME", 0, "")


async def test_ids_carried_by_the_lines_and_the_cart_credit_their_lists(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "r-home", ["p1", "p2"], placement="HOME")
    await serve(session, shop, "r-cart", ["p3"], placement="CART")
    await serve(session, shop, "r-older-cart", ["p3"], placement="PRODUCT")
    await buy(session, shop, "o1", [("p1", 10.0, 2), ("p3", 5.0, 1), ("p9", 100.0, 1)],
              customer=None, line_recs={"p1": "r-home"}, cart=["r-older-cart", "r-cart"])
    await fold_all(session)

    rows = await daily(session, shop)
    assert rows[HOME] == {"served": 1, "visitors": 1, "orders": 1, "attributed_revenue": 20.0,
                          "recommended_order_revenue": 125.0}
    assert rows[DAY, "CART", 0, ""]["attributed_revenue"] == 5.0  # the latest list with p3
    assert "attributed_revenue" not in rows[DAY, "PRODUCT", 0, ""]
    assert (DAY, *SHOP_ROW) not in rows  # the order had a recommended item


async def test_a_click_credits_a_purchase_within_the_click_window_only(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "r1", ["p1", "p2"], at=T0 - timedelta(days=10))
    await link(session, shop, "v1", "c1")
    await track(session, shop, CLICKED, "r1", product="p1", at=T0 - timedelta(days=6, hours=23))
    await track(session, shop, CLICKED, "r1", product="p2", at=T0 - timedelta(days=7, hours=1))
    await buy(session, shop, "o1", [("p1", 10.0, 1), ("p2", 20.0, 1)], at=T0)
    await fold_all(session)

    rows = await daily(session, shop)
    assert rows[HOME]["orders"] == 1
    assert rows[HOME]["attributed_revenue"] == 10.0  # p2's click was 7 days and 1 hour before


async def test_a_click_of_the_customer_under_another_visitor_id_counts_too(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "r1", ["p1"], visitor="v-phone")
    await track(session, shop, CLICKED, "r1", product="p1", visitor="v-phone", customer="c1",
                at=T0 - timedelta(hours=2))
    await buy(session, shop, "o1", [("p1", 10.0, 1)], customer="c1")
    await buy(session, shop, "o2", [("p1", 10.0, 1)], customer="someone-else")
    await fold_all(session)

    rows = await daily(session, shop)
    assert rows[HOME]["orders"] == 1
    assert rows[DAY, *SHOP_ROW] == {"plain_orders": 1, "plain_order_revenue": 10.0}


async def test_view_through_purchases_are_reported_apart(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "r1", ["p1", "p2"])
    await link(session, shop, "v1", "c1")
    await track(session, shop, VIEWED, "r1", at=T0 - timedelta(hours=3))
    await buy(session, shop, "o1", [("p2", 8.0, 2)], at=T0)
    await buy(session, shop, "o2", [("p1", 8.0, 1)], at=T0 + timedelta(days=1, hours=1))
    await fold_all(session)

    rows = await daily(session, shop)
    assert rows[HOME] == {"served": 1, "visitors": 1, "impressions": 1,
                          "view_through_orders": 1, "view_through_revenue": 16.0}
    next_day = rows[DAY + timedelta(days=1), *SHOP_ROW]
    assert next_day == {"plain_orders": 1, "plain_order_revenue": 8.0}  # out of the window
    assert rows[DAY, *SHOP_ROW] == {"plain_orders": 1, "plain_order_revenue": 16.0}


async def test_refunds_reduce_attributed_revenue_whenever_they_arrive(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await serve(session, shop, "r1", ["p1", "p2"])
    await buy(session, shop, "o1", [("p1", 10.0, 3)], cart=["r1"])
    await refund(session, shop, "rf-early", "o2", "p2", 1)  # before its order exists
    await buy(session, shop, "o2", [("p2", 4.0, 2)], cart=["r1"])
    await fold_all(session)
    assert (await daily(session, shop))[HOME]["refunded_revenue"] == 4.0

    await refund(session, shop, "rf-1", "o1", "p1", 1)
    await refund(session, shop, "rf-2", "o1", "p1", 5)  # more than is left: 2 units
    await fold_all(session)
    rows = await daily(session, shop)
    assert rows[HOME]["attributed_revenue"] == 38.0  # gross
    assert rows[HOME]["refunded_revenue"] == 4.0 + 30.0


async def test_an_unknown_recommendation_id_is_counted_and_not_credited(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    other = shop_id(await make_shop(session))
    await serve(session, other, "r-other-shop", ["p1"])
    await track(session, shop, CLICKED, "r-nowhere", product="p1", customer="c1")
    await track(session, shop, ADDED, "r-other-shop", product="p1", customer="c1")
    await track(session, shop, VIEWED, None, customer="c1")  # no id at all: not counted
    await buy(session, shop, "o1", [("p1", 10.0, 1)], cart=["r-nowhere", "r-other-shop"])
    await fold_all(session)

    assert await daily(session, shop) == {
        (DAY, *SHOP_ROW): {"unattributed_events": 2, "plain_orders": 1,
                           "plain_order_revenue": 10.0}}


async def test_margin_is_counted_only_where_the_unit_cost_is_known(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await apply_product_change(session, shop, product(
        "p1", "Mug", variants=(variant("v-mug", 5, inventory_item_id="inv-mug"),)))
    await apply_product_change(session, shop, product(
        "p2", "Cup", variants=(variant("v-cup", 5, inventory_item_id="inv-cup"),)))
    await record_cost(session, shop, CostChange("inv-mug", 6.0))
    await record_cost(session, shop, CostChange("inv-cup", None))
    await serve(session, shop, "r1", ["p1", "p2"], placement="HOME")
    await serve(session, shop, "r2", ["p2"], placement="CART")
    await buy(session, shop, "o1", [("p1", 10.0, 2), ("p2", 7.0, 1)],
              line_recs={"p1": "r1", "p2": "r2"}, variants={"p1": "v-mug", "p2": "v-cup"})
    await fold_all(session)
    await refund(session, shop, "rf", "o1", "p1", 1)
    await fold_all(session)

    rows = await daily(session, shop)
    assert (rows[HOME]["margin"], rows[HOME]["costed_lines"]) == ((10.0 - 6.0) * 2 - 4.0, 1)
    assert "margin" not in rows[DAY, "CART", 0, ""] and "costed_lines" not in rows[DAY, "CART", 0, ""]
