"""Reads over stored events and identity links."""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import Event, VisitorLink
from app.ids import ShopId


async def customer_of(session: AsyncSession, shop_id: ShopId, visitor_id: str) -> str | None:
    stmt = select(VisitorLink.customer_id).where(
        VisitorLink.shop_id == shop_id, VisitorLink.visitor_id == visitor_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def visitors_of(session: AsyncSession, shop_id: ShopId, customer_id: str) -> list[str]:
    stmt = select(VisitorLink.visitor_id).where(
        VisitorLink.shop_id == shop_id, VisitorLink.customer_id == customer_id)
    return list((await session.execute(stmt)).scalars())


class RecentEvent(NamedTuple):
    product_id: str | None
    type: str
    occurred_at: datetime


async def recent_events(
    session: AsyncSession,
    shop_id: ShopId,
    visitor_ids: list[str],
    customer_id: str | None,
    since: datetime,
    limit: int = 200,
) -> list[RecentEvent]:
    """The newest personalizable events of these visitors or this customer, newest first."""
    who: list[ColumnElement[bool]] = [Event.visitor_id.in_(visitor_ids)] if visitor_ids else []
    if customer_id:
        who.append(Event.customer_id == customer_id)
    if not who:
        return []
    stmt = (
        select(Event.product_id, Event.type, Event.occurred_at)
        .where(Event.shop_id == shop_id, or_(*who), Event.occurred_at >= since,
               Event.personalization.is_(True))
        .order_by(Event.occurred_at.desc())
        .limit(limit)
    )
    return [RecentEvent(*row) for row in (await session.execute(stmt)).all()]
