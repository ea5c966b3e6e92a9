"""Ports of the events feature: who else hears about an accepted event."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.context.types import NO_CONTEXT, ShopperContext
from app.events.types import Consent, EventIn, EventType
from app.ids import ShopId


@dataclass(frozen=True)
class AcceptedEvent:
    """An event that passed validation, with its time and consent settled."""

    event_id: str
    type: EventType
    visitor_id: str
    customer_id: str | None
    product_id: str | None
    quantity: int | None
    recommendation_id: str | None
    occurred_at: datetime
    consent: Consent
    context: ShopperContext = NO_CONTEXT
    """Device class, region and local hour, where the storefront sent them."""


class EventObserver(Protocol):
    """Told of every accepted event, stored or not (e.g. the in-memory session state)."""

    def observe(self, shop_id: ShopId, event: AcceptedEvent) -> None: ...


class EventStream(Protocol):
    """Where a server hands the events to be stored, for event writers to store them
    (``app.event_stream``), instead of writing them on the request path."""

    async def publish(self, shop_id: ShopId,
                      accepted: Sequence[tuple[AcceptedEvent, EventIn]]) -> bool:
        """Whether the events are in the stream; ``False``: store them yourself."""
        ...
