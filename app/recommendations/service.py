"""Serving: similar products and placement-aware recommendations.

Content similarity around the context products, then popularity to fill; never an
unavailable product, never one of the context products."""

import uuid

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.queries import products_by_platform_ids
from app.errors import InvalidInput, NotFound
from app.ids import ProductId, ShopId
from app.index.neighbours import ContentNeighbours
from app.recommendations.popularity import PopularityCache
from app.recommendations.types import (
    MAX_FIRST,
    MIN_FIRST,
    Placement,
    Reason,
    RecommendationList,
    ScoredProduct,
)

MAX_CONTEXT = 50


def check_first(first: int) -> None:
    if not MIN_FIRST <= first <= MAX_FIRST:
        raise InvalidInput(f"first must be between {MIN_FIRST} and {MAX_FIRST}, got {first}")


def new_recommendation_id() -> str:
    return uuid.uuid4().hex


def similar_reason(product: Product) -> Reason:
    return Reason("SIMILAR", f"Similar to {product.title}")


POPULAR_REASON = Reason("POPULAR", "Popular in this shop")


class Recommender:
    def __init__(self, neighbours: ContentNeighbours, popularity: PopularityCache) -> None:
        self._neighbours = neighbours
        self._popularity = popularity

    async def similar_products(
        self, session: AsyncSession, shop_id: ShopId, product_id: ProductId, first: int
    ) -> RecommendationList:
        check_first(first)
        found = await products_by_platform_ids(session, shop_id, [product_id])
        product = found.get(product_id)
        if product is None or product.deleted:
            raise NotFound(f"no product {product_id}")
        items = await self._around(session, shop_id, [product], first, {product.id})
        return RecommendationList(new_recommendation_id(), items)

    async def recommend(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        placement: Placement,
        context_ids: list[ProductId],
        first: int,
    ) -> RecommendationList:
        check_first(first)
        if len(context_ids) > MAX_CONTEXT:
            raise InvalidInput(f"at most {MAX_CONTEXT} productIds")
        context = list((await products_by_platform_ids(session, shop_id, context_ids)).values())
        excluded = {p.id for p in context}
        items = await self._around(session, shop_id, context, first, excluded)
        if len(items) < first:
            taken = excluded | {i.product.id for i in items}
            items.extend(await self._popular(session, shop_id, first - len(items), taken))
        return RecommendationList(new_recommendation_id(), items[:first])

    async def _around(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        context: list[Product],
        first: int,
        excluded: set[int],
    ) -> list[ScoredProduct]:
        best: dict[int, ScoredProduct] = {}
        for anchor in context:
            vector = await self._neighbours.vector_of(session, shop_id, anchor.id)
            if vector is None:
                continue
            for n in await self._neighbours.nearest(session, shop_id, vector, first, excluded):
                current = best.get(n.product.id)
                if current is None or n.similarity > current.score:
                    best[n.product.id] = ScoredProduct(n.product, n.similarity, [similar_reason(anchor)])
        return sorted(best.values(), key=lambda item: -item.score)[:first]

    async def _popular(
        self, session: AsyncSession, shop_id: ShopId, count: int, excluded: set[int]
    ) -> list[ScoredProduct]:
        ranking = await self._popularity.top(session, shop_id)
        products = await products_by_platform_ids(session, shop_id, [pid for pid, _ in ranking])
        items: list[ScoredProduct] = []
        for platform_id, score in ranking:
            product = products.get(platform_id)
            if product is None or not product.servable or product.id in excluded:
                continue
            items.append(ScoredProduct(product, float(np.float32(score)), [POPULAR_REASON]))
            if len(items) == count:
                break
        return items
