"""The rollups as a customer data store: the per-shopper rows (experiment units, the
days a shopper was counted as a visitor, the shopper named on credited order lines) of a
customer and of every visitor id known to be theirs. The daily counters name nobody and
stay. It must run before the events store, which forgets the visitor ids of a customer."""

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.models import AttributedLine, ExperimentUnit, KpiVisitorDay
from app.customer_data import CustomerRef
from app.events.models import Ranking, VisitorLink
from app.ids import ShopId


async def _shoppers(session: AsyncSession, customer: CustomerRef) -> list[str]:
    if not customer.customer_id:
        return []
    linked = select(VisitorLink.visitor_id).where(
        VisitorLink.shop_id == customer.shop_id, VisitorLink.customer_id == customer.customer_id)
    served = select(Ranking.visitor_id).distinct().where(
        Ranking.shop_id == customer.shop_id, Ranking.customer_id == customer.customer_id,
        Ranking.visitor_id.is_not(None))
    found = set((await session.execute(linked)).scalars())
    found |= {v for v in (await session.execute(served)).scalars() if v}
    return sorted({customer.customer_id, *found})


class RollupsStore:
    name = "kpi_rollups"

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        shoppers = await _shoppers(session, customer)
        stmt = select(ExperimentUnit).where(ExperimentUnit.shop_id == customer.shop_id,
                                            ExperimentUnit.shopper.in_(shoppers))
        return [{"experiment_id": u.experiment_id, "variant": u.variant, "shopper": u.shopper,
                 "impressions": u.impressions, "clicks": u.clicks,
                 "add_to_carts": u.add_to_carts, "orders": u.orders, "revenue": u.revenue}
                for u in (await session.execute(stmt)).scalars()]

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        shoppers = await _shoppers(session, customer)
        erased = 0
        for model in (ExperimentUnit, KpiVisitorDay):
            result = await session.execute(delete(model).where(
                model.shop_id == customer.shop_id, model.shopper.in_(shoppers)))
            erased += int(getattr(result, "rowcount", 0) or 0)
        named = [AttributedLine.shopper.in_(shoppers)]
        if customer.order_ids:
            named.append(AttributedLine.order_platform_id.in_(customer.order_ids))
        for clause in named:
            result = await session.execute(update(AttributedLine).where(
                AttributedLine.shop_id == customer.shop_id, clause).values(shopper=None))
            erased += int(getattr(result, "rowcount", 0) or 0)
        await session.flush()
        return erased

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        return 0  # every rollup goes with the shop row (ON DELETE CASCADE)
