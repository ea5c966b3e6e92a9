"""An erased customer leaves no per-shopper rollup row; the daily counters stay."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.models import AttributedLine, ExperimentUnit, KpiVisitorDay
from app.attribution.privacy import RollupsStore
from app.attribution.queries import kpis
from app.customer_data import CustomerRef
from tests.factories import make_shop, shop_id
from tests.integration.attribution.support import DAY, buy, fold_all, link, serve


async def _count(session: AsyncSession, model: type[ExperimentUnit] | type[KpiVisitorDay],
                 shop: int) -> int:
    return int((await session.execute(select(func.count()).select_from(model).where(
        model.shop_id == shop))).scalar_one())


async def test_erasing_a_customer_removes_their_shopper_rows(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await link(session, shop, "v-laptop", "c1")
    await serve(session, shop, "r1", ["p1"], visitor="v-laptop", experiment=2, variant="A")
    await serve(session, shop, "r2", ["p1"], visitor="v-phone", customer="c1", experiment=2,
                variant="A")
    await serve(session, shop, "r3", ["p1"], visitor="v-other", experiment=2, variant="A")
    await buy(session, shop, "o1", [("p1", 9.0, 1)], customer="c1", cart=["r1"])
    await fold_all(session)
    store = RollupsStore()
    customer = CustomerRef(shop, "c1", order_ids=("o1",))
    assert {row["shopper"] for row in await store.export(session, customer)} == {
        "v-laptop", "v-phone"}

    assert await store.erase(session, customer) > 0
    assert await store.export(session, customer) == []
    assert (await _count(session, ExperimentUnit, shop), await _count(session, KpiVisitorDay, shop)) == (1, 1)
    named = select(AttributedLine.shopper).where(AttributedLine.shop_id == shop)
    assert (await session.execute(named)).scalars().all() == [None]
    [row] = await kpis(session, shop, DAY, DAY, None, [])
    assert (row.served, row.visitors, row.orders) == (3, 3, 1)
