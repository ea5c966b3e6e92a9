"""GraphQL output types, kept apart from the ORM models."""

import strawberry

from app.catalog.snapshot import CatalogProduct
from app.graphql.context import ShopView
from app.graphql.fast import shared_view
from app.process.lru import Lru
from app.recommendations.types import Placement as DomainPlacement
from app.recommendations.types import RecommendationList, ScoredProduct

# Registers the domain enum with GraphQL; resolvers annotate with the domain type itself.
strawberry.enum(DomainPlacement, name="Placement")


@shared_view
@strawberry.type
class Product:
    """A catalog row as the storefront sees it. Views of snapshot rows are shared by requests
    (``product_view``) and never changed."""

    id: strawberry.ID
    handle: str | None
    title: str
    vendor: str | None
    product_type: str | None
    tags: list[str]
    price: float | None
    currency: str | None
    image_url: str | None
    url: str | None
    available: bool

    @classmethod
    def from_row(cls, row: CatalogProduct, shop: ShopView) -> "Product":
        url = row.url or (f"https://{shop.domain}/products/{row.handle}" if row.handle else None)
        return cls(
            id=strawberry.ID(row.platform_id),
            handle=row.handle,
            title=row.title,
            vendor=row.vendor,
            product_type=row.product_type,
            tags=list(row.tags or []),
            price=row.price_min,
            currency=row.currency or shop.currency,
            image_url=row.image_url,
            url=url,
            available=row.servable,
        )


PRODUCT_VIEWS_CAPACITY = 20_000
# Per catalog row and shop: the row is immutable (a change to a product makes a new row),
# so is its view. Each entry holds its row, so that the id in its key is not reused.
_PRODUCT_VIEWS: Lru[tuple[int, str, str], tuple[CatalogProduct, Product]] = Lru(
    PRODUCT_VIEWS_CAPACITY)


def product_view(row: CatalogProduct, shop: ShopView) -> Product:
    """The shared view of a catalog snapshot's row (``Product.from_row``, built once)."""
    key = (id(row), shop.domain, shop.currency)
    found = _PRODUCT_VIEWS.get(key)
    if found is not None and found[0] is row:
        return found[1]
    view = Product.from_row(row, shop)
    _PRODUCT_VIEWS.put(key, (row, view))
    return view


@strawberry.type
class Reason:
    code: str
    message: str


@strawberry.type
class RecommendedItem:
    product: Product
    score: float
    reasons: list[Reason]

    @classmethod
    def from_domain(cls, item: ScoredProduct, shop: ShopView,
                    reasons: dict[int, Reason] | None = None) -> "RecommendedItem":
        """``reasons``: the views of domain reasons already made for this list, by id (a
        list of 100 shares a handful of reasons)."""
        views = {} if reasons is None else reasons
        return cls(
            product=product_view(item.product, shop),
            score=round(float(item.score), 6),
            reasons=[views.get(id(r)) or views.setdefault(id(r), Reason(code=r.code,
                                                                        message=r.message))
                     for r in item.reasons],
        )


@strawberry.type
class Recommendations:
    recommendation_id: strawberry.ID
    items: list[RecommendedItem]

    @classmethod
    def from_domain(cls, result: RecommendationList, shop: ShopView) -> "Recommendations":
        reasons: dict[int, Reason] = {}  # while ``result`` holds its reasons, ids are theirs
        return cls(
            recommendation_id=strawberry.ID(result.recommendation_id),
            items=[RecommendedItem.from_domain(i, shop, reasons) for i in result.items],
        )
