"""Content neighbours from the Annoy index around anchor products (session, context)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import ShopCatalog
from app.ids import ShopId
from app.index.neighbours import ContentNeighbours
from app.index.protocol import Vector
from app.ranking.candidates.pool import CandidatePool


async def add_content(session: AsyncSession, shop_id: ShopId, neighbours: ContentNeighbours,
                      catalog: ShopCatalog, pool: CandidatePool, anchors: list[str],
                      per_anchor: int) -> None:
    if not anchors:
        return
    keys = catalog.keys(anchors)
    exclude = set(keys.values())
    vectors = await neighbours.vectors_of(session, shop_id, list(keys.values()))
    found: list[tuple[str, int, Vector]] = [
        (anchor, key, vectors[key]) for anchor in anchors
        if (key := keys.get(anchor)) is not None and key in vectors]
    nearest = await neighbours.nearest_ids(session, shop_id, [v for _, _, v in found],
                                           per_anchor, exclude, [k for _, k, _ in found])
    for (anchor, _, _), hits in zip(found, nearest, strict=True):
        for platform_id, similarity in hits:
            pool.add_content(platform_id, similarity, anchor)
