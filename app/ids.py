"""Typed identifiers, so that one kind of id cannot be passed for another."""

from typing import NewType

ShopId = NewType("ShopId", int)
"""Internal primary key of a shop."""

ProductKey = NewType("ProductKey", int)
"""Internal primary key of a product row."""

ProductId = NewType("ProductId", str)
"""The platform's product id as a string, e.g. ``"632910392"``."""

VisitorId = NewType("VisitorId", str)
CustomerId = NewType("CustomerId", str)
RecommendationId = NewType("RecommendationId", str)

GID_PREFIX = "gid://"


def parse_product_id(raw: str) -> ProductId:
    """Accept ``632910392`` as well as ``gid://shopify/Product/632910392``."""
    value = raw.strip()
    if value.startswith(GID_PREFIX):
        value = value.rsplit("/", 1)[-1]
    return ProductId(value)
