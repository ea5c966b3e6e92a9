"""Platform-neutral catalog changes: what adapters and importers hand to the catalog."""

from dataclasses import dataclass, field
from datetime import datetime


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
