"""Content neighbours from the Annoy index around anchor products (session, context)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.candidates.pool import CandidatePool
from app.catalog.queries import products_by_platform_ids
from app.ids import ShopId
from app.index.neighbours import ContentNeighbours


async def add_content(session: AsyncSession, shop_id: ShopId, neighbours: ContentNeighbours,
                      pool: CandidatePool, anchors: list[str], per_anchor: int) -> None:
    if not anchors:
        return
    rows = await products_by_platform_ids(session, shop_id, anchors)
    exclude = {p.id for p in rows.values()}
    for anchor in anchors:
        product = rows.get(anchor)
        if product is None:
            continue
        vector = await neighbours.vector_of(session, shop_id, product.id)
        if vector is None:
            continue
        for found in await neighbours.nearest(session, shop_id, vector, per_anchor, exclude):
            pool.add_content(found.product.platform_id, found.similarity, anchor)
