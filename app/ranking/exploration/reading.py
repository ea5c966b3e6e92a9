"""Folding the events stored since the last read into a shop's ``ProductCounts``: one
query for the new impression and click events (past the mark, at most ``limit``), one for
the products of the lists they viewed."""

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import Event, Ranking
from app.events.types import EventType
from app.ids import ShopId
from app.ranking.exploration.counts import ProductCounts

CHUNK = 500
COUNTED = (EventType.RECOMMENDATIONS_VIEWED.value, EventType.PRODUCT_CLICKED.value)


async def first_mark(session: AsyncSession, shop_id: ShopId, since: object) -> int:
    """The mark from which a new process counts: the last event before ``since`` (an aware
    datetime), so that its counts cover a recent window, not the shop's whole history."""
    stmt = select(func.max(Event.id)).where(Event.shop_id == shop_id, Event.occurred_at < since)
    return int((await session.execute(stmt)).scalar() or 0)


async def fold_new_events(session: AsyncSession, shop_id: ShopId, counts: ProductCounts,
                          limit: int) -> int:
    """Add up to ``limit`` events past ``counts.event_mark``; the number read."""
    stmt = (select(Event.id, Event.type, Event.product_id, Event.recommendation_id)
            .where(Event.shop_id == shop_id, Event.id > counts.event_mark,
                   Event.type.in_(COUNTED), Event.recommendation_id.is_not(None))
            .order_by(Event.id).limit(limit))
    rows = (await session.execute(stmt)).all()
    viewed: list[str] = []
    clicked: list[str] = []
    for _, kind, product_id, recommendation_id in rows:
        if kind == EventType.PRODUCT_CLICKED.value and product_id:
            clicked.append(str(product_id))
        elif kind == EventType.RECOMMENDATIONS_VIEWED.value and recommendation_id:
            viewed.append(str(recommendation_id))
    listed = await _listed_products(session, shop_id, viewed)
    # Added only once every read succeeded: a failed read adds nothing and keeps the mark.
    for product_ids in listed:
        counts.add_impressions(product_ids)
    for product_id in clicked:
        counts.add_click(product_id)
    if rows:
        counts.event_mark = int(rows[-1][0])
    return len(rows)


async def _listed_products(session: AsyncSession, shop_id: ShopId,
                           recommendation_ids: Iterable[str]) -> list[list[str]]:
    """The products of each viewed list (one entry per impression: a list viewed twice
    counts twice)."""
    ids = list(recommendation_ids)
    wanted = sorted(set(ids))
    products: dict[str, list[str]] = {}
    for start in range(0, len(wanted), CHUNK):
        stmt = select(Ranking.recommendation_id, Ranking.product_ids).where(
            Ranking.shop_id == shop_id, Ranking.recommendation_id.in_(wanted[start:start + CHUNK]))
        for recommendation_id, listed in (await session.execute(stmt)).all():
            products[recommendation_id] = [str(p) for p in listed or ()]
    return [products[i] for i in ids if i in products]
