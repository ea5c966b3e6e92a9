"""Platform-neutral event shapes; names follow Shopify's Web Pixels standard events."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

# The limits every shopper input shares (recommendations and search too), kept importable
# from here.
from app.input_limits import MAX_ID_LENGTH as MAX_ID_LENGTH  # noqa: PLC0414
from app.input_limits import MAX_QUERY_LENGTH as MAX_QUERY_LENGTH  # noqa: PLC0414
from app.input_limits import MAX_REFERENCE_LENGTH as MAX_REFERENCE_LENGTH  # noqa: PLC0414

MAX_BATCH = 500


class EventType(str, Enum):
    PRODUCT_VIEWED = "PRODUCT_VIEWED"
    PRODUCT_CLICKED = "PRODUCT_CLICKED"
    PRODUCT_ADDED_TO_CART = "PRODUCT_ADDED_TO_CART"
    PRODUCT_REMOVED_FROM_CART = "PRODUCT_REMOVED_FROM_CART"
    PRODUCT_DISMISSED = "PRODUCT_DISMISSED"
    SEARCH_SUBMITTED = "SEARCH_SUBMITTED"
    CHECKOUT_COMPLETED = "CHECKOUT_COMPLETED"
    RECOMMENDATIONS_VIEWED = "RECOMMENDATIONS_VIEWED"


PRODUCT_EVENTS = frozenset({
    EventType.PRODUCT_VIEWED, EventType.PRODUCT_CLICKED, EventType.PRODUCT_ADDED_TO_CART,
    EventType.PRODUCT_REMOVED_FROM_CART, EventType.PRODUCT_DISMISSED,
})


@dataclass(frozen=True)
class Consent:
    analytics: bool
    personalization: bool


FULL_CONSENT = Consent(analytics=True, personalization=True)


@dataclass(frozen=True)
class EventIn:
    """One event as a storefront sends it (``None`` where the field was left out)."""

    type: str
    visitor_id: str
    event_id: str | None = None
    customer_id: str | None = None
    product_id: str | None = None
    variant_id: str | None = None
    quantity: int | None = None
    query: str | None = None
    recommendation_id: str | None = None
    dwell_ms: int | None = None
    occurred_at: datetime | None = None
    consent: Consent | None = None
    client_address: str | None = None
    """The network address the event came from, as the edge saw it (never stored as is)."""
    device_class: str | None = None
    """``MOBILE``, ``DESKTOP`` or ``TABLET`` (``app.context``)."""
    region: str | None = None
    """The shopper's country or region, an ISO 3166 code (``GB``, ``GB-ENG``)."""
    local_hour: int | None = None
    """The hour of the day (0-23) on the shopper's clock."""


@dataclass(frozen=True)
class Rejection:
    index: int
    reason: str


@dataclass
class TrackResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
