"""Every list served is recorded under its ``recommendationId``: later events carrying the
id (clicks, add-to-cart, purchases) are attributed to the list, its placement and position."""

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.events.models import Ranking
from app.ids import ShopId
from app.recommendations.types import RecommendationList


async def record_ranking(session: AsyncSession, shop_id: ShopId, placement: str,
                         visitor_id: str | None, customer_id: str | None,
                         result: RecommendationList, model_version: str | None) -> None:
    # One Core insert: the ORM's unit of work costs more than the write on this hot path.
    await session.execute(insert(Ranking).values(
        shop_id=shop_id, recommendation_id=result.recommendation_id, placement=placement,
        visitor_id=visitor_id, customer_id=customer_id,
        product_ids=[i.product.platform_id for i in result.items],
        reasons=[[r.code for r in i.reasons] for i in result.items], model_version=model_version,
        created_at=utcnow()))
