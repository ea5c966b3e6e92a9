"""Reads over stored events and identity links.

The statements are built once, with bound parameters (``Lookup``): they run on every
personalized request, and building one costs about as much as running it. How they run is
the reader's business (``app.storage.reads``)."""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select

from app.events.models import Event, VisitorLink
from app.ids import ShopId
from app.storage.reads import Lookup, Reader

CUSTOMER_OF = Lookup(select(VisitorLink.customer_id).where(
    VisitorLink.shop_id == bindparam("shop_id"), VisitorLink.visitor_id == bindparam("visitor_id")))
VISITORS_OF = Lookup(select(VisitorLink.visitor_id).where(
    VisitorLink.shop_id == bindparam("shop_id"),
    VisitorLink.customer_id == bindparam("customer_id")))


def _recent(who: ColumnElement[bool]) -> Select[str | None, str, datetime]:
    return (select(Event.product_id, Event.type, Event.occurred_at)
            .where(who, Event.occurred_at >= bindparam("since"), Event.personalization.is_(True))
            .order_by(Event.occurred_at.desc())
            .limit(bindparam("limit")))


# Each with the shop, so that each side of their ``or_`` is one range of a shop-first index.
IN_SHOP = Event.shop_id == bindparam("shop_id")
BY_VISITORS = and_(IN_SHOP, Event.visitor_id.in_(bindparam("visitor_ids", expanding=True)))
BY_CUSTOMER = and_(IN_SHOP, Event.customer_id == bindparam("customer_id"))
RECENT = {
    (True, False): Lookup(_recent(BY_VISITORS)),
    (False, True): Lookup(_recent(BY_CUSTOMER)),
    (True, True): Lookup(_recent(or_(BY_VISITORS, BY_CUSTOMER))),
}


class RecentEvent(NamedTuple):
    product_id: str | None
    type: str
    occurred_at: datetime


async def customer_of(reader: Reader, shop_id: ShopId, visitor_id: str) -> str | None:
    found = await CUSTOMER_OF.rows(reader, {"shop_id": shop_id, "visitor_id": visitor_id})
    return found[0][0] if found else None


async def visitors_of(reader: Reader, shop_id: ShopId, customer_id: str) -> list[str]:
    found = await VISITORS_OF.rows(reader, {"shop_id": shop_id, "customer_id": customer_id})
    return [visitor for visitor, in found]


async def recent_events(
    reader: Reader,
    shop_id: ShopId,
    visitor_ids: list[str],
    customer_id: str | None,
    since: datetime,
    limit: int = 200,
) -> list[RecentEvent]:
    """The newest personalizable events of these visitors or this customer, newest first."""
    read = RECENT.get((bool(visitor_ids), bool(customer_id)))
    if read is None:
        return []
    found = await read.rows(reader, {
        "shop_id": shop_id, "visitor_ids": visitor_ids, "customer_id": customer_id,
        "since": since, "limit": limit})
    return [RecentEvent(product, kind, at) for product, kind, at in found]
