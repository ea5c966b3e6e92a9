"""Content neighbours from the Annoy index around anchor products (session, context)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.candidates.pool import CandidatePool
from app.catalog.queries import keys_by_platform_ids
from app.ids import ShopId
from app.index.neighbours import ContentNeighbours


async def add_content(session: AsyncSession, shop_id: ShopId, neighbours: ContentNeighbours,
                      pool: CandidatePool, anchors: list[str], per_anchor: int) -> None:
    if not anchors:
        return
    keys = await keys_by_platform_ids(session, shop_id, anchors)
    exclude = set(keys.values())
    for anchor in anchors:
        key = keys.get(anchor)
        if key is None:
            continue
        vector = await neighbours.vector_of(session, shop_id, key)
        if vector is None:
            continue
        for platform_id, similarity in await neighbours.nearest_ids(
                session, shop_id, vector, per_anchor, exclude):
            pool.add_content(platform_id, similarity, anchor)
