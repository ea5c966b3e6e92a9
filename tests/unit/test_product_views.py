"""Views of catalog rows are built once per row and shop, and follow a changed row."""

import dataclasses

from app.catalog.snapshot import CatalogProduct
from app.graphql.context import ShopView
from app.graphql.types import Product, product_view

SHOP = ShopView(1, "one.example", "GBP", "shopify")
OTHER = ShopView(2, "two.example", "EUR", "shopify")


def test_a_row_has_one_view_per_shop() -> None:
    row = CatalogProduct(7, "1007", "Oak shelf", handle="oak-shelf", tags=("wood",), price_min=40.0)
    view = product_view(row, SHOP)
    assert view == Product.from_row(row, SHOP)
    assert view.url == "https://one.example/products/oak-shelf" and view.currency == "GBP"
    assert product_view(row, SHOP) is view
    other = product_view(row, OTHER)
    assert other is not view
    assert other.url == "https://two.example/products/oak-shelf" and other.currency == "EUR"


def test_a_changed_product_gets_a_new_view() -> None:
    row = CatalogProduct(8, "1008", "Pine shelf", handle="pine-shelf", price_min=30.0)
    before = product_view(row, SHOP)
    changed = dataclasses.replace(row, title="Pine shelf, large", price_min=35.0, servable=False)
    after = product_view(changed, SHOP)
    assert (after.title, after.price, after.available) == ("Pine shelf, large", 35.0, False)
    assert (before.title, before.price, before.available) == ("Pine shelf", 30.0, True)
