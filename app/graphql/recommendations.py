"""Recommendation queries: thin resolvers over the recommender."""

import strawberry

from app.db import transaction
from app.graphql.context import Info
from app.graphql.types import Recommendations
from app.recommendations.types import Placement
from app.ids import ProductId, ShopId, parse_product_id


@strawberry.type
class RecommendationQuery:
    @strawberry.field(description="Products most similar in content to the given product.")
    async def similar_products(
        self, info: Info, product_id: strawberry.ID, first: int = 12
    ) -> Recommendations:
        shop = info.context.shop
        recommender = info.context.services.recommender
        async with transaction(info.context.services.sessions) as session:
            result = await recommender.similar_products(
                session, ShopId(shop.id), parse_product_id(str(product_id)), first
            )
        return Recommendations.from_domain(result, shop)

    @strawberry.field(description="Recommendations for a placement, shopper and context.")
    async def recommendations(
        self,
        info: Info,
        placement: Placement,
        visitor_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        product_ids: list[strawberry.ID] | None = None,
        first: int = 12,
    ) -> Recommendations:
        shop = info.context.shop
        context: list[ProductId] = [parse_product_id(str(p)) for p in product_ids or []]
        recommender = info.context.services.recommender
        async with transaction(info.context.services.sessions) as session:
            result = await recommender.recommend(
                session, ShopId(shop.id), placement, context, first
            )
        return Recommendations.from_domain(result, shop)
