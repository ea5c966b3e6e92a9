"""Platform-neutral catalog changes: what adapters and importers hand to the catalog.

The limits are the widths of the catalog's columns, enforced in code so that SQLite
(which stores any length) and PostgreSQL (which refuses) keep the same data."""

from dataclasses import dataclass, field, replace
from datetime import datetime

ID_MAX_CHARS = 64
NAME_MAX_CHARS = 255
"""Handles, vendors, product types, variant titles and SKUs."""
TITLE_MAX_CHARS = 512
STATUS_MAX_CHARS = 16
URL_MAX_CHARS = 1024
QUANTITY_RANGE = (-(2**31), 2**31 - 1)


@dataclass(frozen=True)
class VariantChange:
    platform_id: str
    title: str | None = None
    sku: str | None = None
    price: float | None = None
    inventory_item_id: str | None = None
    inventory_quantity: int | None = None
    inventory_tracked: bool = True


@dataclass(frozen=True)
class ProductChange:
    """A full product state as of ``updated_at`` (the platform's clock)."""

    platform_id: str
    title: str
    handle: str | None = None
    body_text: str = ""
    vendor: str | None = None
    product_type: str | None = None
    tags: tuple[str, ...] = ()
    status: str = "active"
    published: bool = True
    price_min: float | None = None
    price_max: float | None = None
    currency: str | None = None
    image_url: str | None = None
    url: str | None = None
    available: bool | None = None
    inventory_quantity: int | None = None
    updated_at: datetime | None = None
    variants: tuple[VariantChange, ...] = ()
    collections: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_stale: int = 0
    text_changed: list[str] = field(default_factory=list)


def shortened(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "\u2026"


def _url(url: str | None) -> str | None:
    return url if url is None or len(url) <= URL_MAX_CHARS else None  # a cut URL is broken


def fitted(change: ProductChange) -> ProductChange:
    """The change with its free text cut to the column widths.

    Shopify limits a product title to 255 characters, but WooCommerce titles are
    unbounded: a long title is shortened for display rather than refused, since the
    product itself is real. Over-long URLs are dropped."""
    return replace(
        change,
        title=shortened(change.title, TITLE_MAX_CHARS) or "",
        vendor=shortened(change.vendor, NAME_MAX_CHARS),
        product_type=shortened(change.product_type, NAME_MAX_CHARS),
        image_url=_url(change.image_url),
        url=_url(change.url),
        variants=tuple(
            replace(v, title=shortened(v.title, NAME_MAX_CHARS), sku=shortened(v.sku, NAME_MAX_CHARS))
            for v in change.variants
        ),
    )
