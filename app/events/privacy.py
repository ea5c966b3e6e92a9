"""The engine's customer data store for exports and erasures: events, visitor links and
served rankings of a customer and of every visitor id linked to them."""

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.customer_data import CustomerRef
from app.events.models import Event, Ranking, VisitorLink
from app.ids import ShopId


async def _visitors(session: AsyncSession, customer: CustomerRef) -> list[str]:
    if not customer.customer_id:
        return []
    stmt = select(VisitorLink.visitor_id).where(
        VisitorLink.shop_id == customer.shop_id, VisitorLink.customer_id == customer.customer_id)
    return list((await session.execute(stmt)).scalars())


def _whose(model: type[Event] | type[Ranking], customer: CustomerRef,
           visitors: list[str]) -> ColumnElement[bool]:
    """This customer's rows in their shop: each side of the ``or_`` with the shop, so that
    each is one range of a shop-first index."""
    in_shop = model.shop_id == customer.shop_id
    clauses: list[ColumnElement[bool]] = []
    if customer.customer_id:
        clauses.append(and_(in_shop, model.customer_id == customer.customer_id))
    if visitors:
        clauses.append(and_(in_shop, model.visitor_id.in_(visitors)))
    return or_(*clauses) if clauses else false()


class EventsStore:
    name = "events"

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        visitors = await _visitors(session, customer)
        stmt = (select(Event).where(_whose(Event, customer, visitors))
                .order_by(Event.occurred_at))
        return [{"event_id": e.event_id, "type": e.type, "visitor_id": e.visitor_id,
                 "customer_id": e.customer_id, "product_id": e.product_id,
                 "query": e.query, "occurred_at": e.occurred_at.isoformat()}
                for e in (await session.execute(stmt)).scalars()]

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        visitors = await _visitors(session, customer)
        erased = 0
        for model in (Event, Ranking):
            result = await session.execute(delete(model).where(
                _whose(model, customer, visitors)))
            erased += int(getattr(result, "rowcount", 0) or 0)
        if customer.customer_id:
            result = await session.execute(delete(VisitorLink).where(
                VisitorLink.shop_id == customer.shop_id,
                VisitorLink.customer_id == customer.customer_id))
            erased += int(getattr(result, "rowcount", 0) or 0)
        await session.flush()
        return erased

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        return 0  # events, links and rankings go with the shop row (ON DELETE CASCADE)
