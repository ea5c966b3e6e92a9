"""Ports of the events feature: who else hears about an accepted event."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.events.types import Consent, EventType
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


class EventObserver(Protocol):
    """Told of every accepted event, stored or not (e.g. the in-memory session state)."""

    def observe(self, shop_id: ShopId, event: AcceptedEvent) -> None: ...
