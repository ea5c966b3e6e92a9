"""Accepted events for the shared-state tests."""

import uuid
from datetime import UTC, datetime

from app.events.protocol import AcceptedEvent
from app.events.types import FULL_CONSENT, EventType


def viewed(visitor: str, product: str, customer: str | None = None,
           kind: EventType = EventType.PRODUCT_VIEWED) -> AcceptedEvent:
    return AcceptedEvent(uuid.uuid4().hex, kind, visitor, customer, product, None, None,
                         datetime.now(UTC), FULL_CONSENT)
