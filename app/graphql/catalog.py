"""Catalog reads: one product, and a plain listing for storefront pages."""

import strawberry

from app.catalog.queries import products_by_platform_ids
from app.catalog.snapshot import CatalogProduct
from app.errors import InvalidInput
from app.graphql.context import Info
from app.graphql.types import Product, product_view
from app.ids import ShopId, parse_product_id
from app.storage.database import transaction

MAX_LISTING = 100


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="One product of the calling shop, or null.")
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        shop = info.context.shop
        product_id = parse_product_id(str(id))
        async with transaction(info.context.services.sessions) as session:
            found = await products_by_platform_ids(session, ShopId(shop.id), [product_id])
        row = found.get(product_id)
        return None if row is None or row.deleted else Product.from_row(CatalogProduct.of(row), shop)

    @strawberry.field(description=(
        "Servable products in catalog order, optionally those whose title holds every "
        "word of query (the first eight words)."))
    async def products(
        self, info: Info, first: int = 24, offset: int = 0, query: str | None = None
    ) -> list[Product]:
        if not 1 <= first <= MAX_LISTING or offset < 0:
            raise InvalidInput(f"first must be between 1 and {MAX_LISTING}, offset >= 0")
        shop = info.context.shop
        services = info.context.services
        async with transaction(services.sessions) as session:
            catalog = await services.catalogs.catalog(session, ShopId(shop.id))
        return [product_view(p, shop) for p in catalog.listing(first, offset, query)]
