"""``similarProducts``: the content neighbours of one product, servable ones only.

Placement-aware recommendations are the ranking engine's (``app/ranking``)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogSnapshots
from app.errors import InvalidInput, NotFound
from app.ids import ProductId, ShopId
from app.index.neighbours import ContentNeighbours
from app.input_limits import MAX_REFERENCE_LENGTH, check_id
from app.recommendations.types import (
    MAX_FIRST,
    MIN_FIRST,
    Reason,
    RecommendationList,
    ScoredProduct,
)


def check_first(first: int) -> None:
    if not MIN_FIRST <= first <= MAX_FIRST:
        raise InvalidInput(f"first must be between {MIN_FIRST} and {MAX_FIRST}, got {first}")


def new_recommendation_id() -> str:
    return uuid.uuid4().hex


class Recommender:
    def __init__(self, neighbours: ContentNeighbours, catalogs: CatalogSnapshots) -> None:
        self._neighbours = neighbours
        self._catalogs = catalogs

    async def similar_products(
        self, session: AsyncSession, shop_id: ShopId, product_id: ProductId, first: int
    ) -> RecommendationList:
        check_first(first)
        check_id("productId", product_id, MAX_REFERENCE_LENGTH)
        catalog = await self._catalogs.catalog(session, shop_id)
        product = catalog.by_platform_id.get(product_id)
        if product is None or product.deleted:
            raise NotFound("no such product")
        vector = await self._neighbours.vector_of(session, shop_id, product.id)
        neighbours = [] if vector is None else await self._neighbours.nearest(
            session, shop_id, vector, first, {product.id}, anchor=product.id)
        reason = Reason("SIMILAR", f"Similar to {product.title}")
        items = [ScoredProduct(n.product, n.similarity, [reason]) for n in neighbours]
        return RecommendationList(new_recommendation_id(), items)
