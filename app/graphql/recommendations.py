"""Recommendation queries: thin resolvers over the recommendation engine."""

from typing import Annotated

import strawberry

from app.context.types import DeviceClass, ShopperContext, shopper_context
from app.graphql.context import Info
from app.graphql.events import ConsentInput
from app.graphql.types import Recommendations
from app.ids import CustomerId, ProductId, ShopId, VisitorId, parse_product_id
from app.profiles.service import Shopper
from app.ranking.types import RecommendationRequest
from app.recommendations.types import Placement
from app.storage.database import transaction, utcnow

CUSTOMER_ID = "The customer: with the public storefront key only with a customerToken."
CUSTOMER_TOKEN = ("A customer token signed by the shop's server; it names its customer "
                  "(a customerId must name the same one).")


REGION = "The shopper's country or region, an ISO 3166 code (GB, GB-ENG)."
LOCAL_HOUR = "The hour of the day (0-23) on the shopper's clock."


def _shopper(visitor_id: strawberry.ID | None, customer_id: CustomerId | None,
             consent: ConsentInput | None, context: ShopperContext | None = None) -> Shopper:
    return Shopper(
        visitor_id=VisitorId(str(visitor_id)) if visitor_id else None,
        customer_id=customer_id,
        personalization=consent.personalization if consent else None, context=context)


def _context(device: DeviceClass | None, region: str | None,
             local_hour: int | None) -> ShopperContext | None:
    """The request's context (``None`` when it names none: the session's is used)."""
    if device is None and region is None and local_hour is None:
        return None
    return shopper_context(device.value if device else None, region, local_hour)


def proven_customer(info: Info, customer_id: strawberry.ID | None,
                    customer_token: str | None) -> CustomerId | None:
    """The customer this caller may name; ``CustomerProofRequired`` without proof."""
    return info.context.proof.customer(
        None if customer_id is None else str(customer_id), customer_token, utcnow())


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

    @strawberry.field(description=(
        "Recommendations for a placement and shopper: HOME and EMAIL for you, PRODUCT "
        "similar and complementary to productIds, CART bought together with the cart, "
        "POST_PURCHASE complementary to the order. Each item says why; events that echo "
        "recommendationId are attributed to this list."))
    async def recommendations(
        self,
        info: Info,
        placement: Placement,
        visitor_id: strawberry.ID | None = None,
        customer_id: Annotated[strawberry.ID | None,
                               strawberry.argument(description=CUSTOMER_ID)] = None,
        product_ids: list[strawberry.ID] | None = None,
        first: int = 12,
        consent: ConsentInput | None = None,
        customer_token: Annotated[str | None,
                                  strawberry.argument(description=CUSTOMER_TOKEN)] = None,
        device_class: DeviceClass | None = None,
        region: Annotated[str | None, strawberry.argument(description=REGION)] = None,
        local_hour: Annotated[int | None, strawberry.argument(description=LOCAL_HOUR)] = None,
    ) -> Recommendations:
        shop = info.context.shop
        customer = proven_customer(info, customer_id, customer_token)
        context: list[ProductId] = [parse_product_id(str(p)) for p in product_ids or []]
        situation = _context(device_class, region, local_hour)
        request = RecommendationRequest(
            shop_id=ShopId(shop.id), placement=placement,
            shopper=_shopper(visitor_id, customer, consent, situation), context=context,
            first=first)
        services = info.context.services
        result = await services.ranker.serve(services.readers, request,
                                             started=info.context.started)
        return Recommendations.from_domain(result, shop)
