"""Search reordering: the storefront's results, personalized."""

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.recommendations import CUSTOMER_ID, CUSTOMER_TOKEN, proven_customer
from app.graphql.types import Recommendations
from app.ids import ShopId
from app.search.protocol import Shopper


@strawberry.type
class SearchQuery:
    @strawberry.field(description="The storefront's search results reordered for this shopper.")
    async def rerank_search(
        self,
        info: Info,
        query: str,
        product_ids: list[strawberry.ID],
        visitor_id: strawberry.ID | None = None,
        customer_id: Annotated[strawberry.ID | None,
                               strawberry.argument(description=CUSTOMER_ID)] = None,
        first: int | None = None,
        customer_token: Annotated[str | None,
                                  strawberry.argument(description=CUSTOMER_TOKEN)] = None,
    ) -> Recommendations:
        shop = info.context.shop
        shopper = Shopper(
            visitor_id=str(visitor_id) if visitor_id else None,
            customer_id=proven_customer(info, customer_id, customer_token),
        )
        services = info.context.services
        result = await services.reranker.serve(
            services.readers, ShopId(shop.id), query, [str(p) for p in product_ids], shopper,
            first, started=info.context.started)
        return Recommendations.from_domain(result, shop)
