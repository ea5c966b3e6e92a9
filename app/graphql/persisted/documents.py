"""The documents a storefront may run by id over ``GET /graphql``: the answers that are the
same for every anonymous shopper of a shop, so that a CDN may hold them.

None selects ``recommendationId``: an answer served to many shoppers from a cache cannot
name one served list, and a new id on every run would change the answer, and its ``ETag``,
every time. Each document declares the only variables it takes; none of them names a
visitor, a customer or a cart."""

from app.graphql.persisted.registry import PersistedQuery

PRODUCT_FIELDS = ("id handle title vendor productType tags price currency imageUrl url "
                  "available")
ITEMS = f"items {{ score product {{ {PRODUCT_FIELDS} }} reasons {{ code message }} }}"

SIMILAR_PRODUCTS = PersistedQuery(
    name="similarProducts",
    document=("query SimilarProducts($productId: ID!, $first: Int = 12) { "
              f"similarProducts(productId: $productId, first: $first) {{ {ITEMS} }} }}"),
    variables=frozenset({"productId", "first"}),
)

ANONYMOUS_RECOMMENDATIONS = PersistedQuery(
    name="anonymousRecommendations",
    document=("query AnonymousRecommendations($placement: Placement!, $productIds: [ID!], "
              "$first: Int = 12) { recommendations(placement: $placement, "
              f"productIds: $productIds, first: $first) {{ {ITEMS} }} }}"),
    variables=frozenset({"placement", "productIds", "first"}),
    placements=frozenset({"HOME", "PRODUCT"}),
)
"""New arrivals, trending and popular products: HOME and PRODUCT as the engine serves them
to a shopper it knows nothing about (no visitor, so no views, cart or purchases)."""

SHIPPED: tuple[PersistedQuery, ...] = (SIMILAR_PRODUCTS, ANONYMOUS_RECOMMENDATIONS)
