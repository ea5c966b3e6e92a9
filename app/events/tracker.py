"""The events service with its collaborators bound: default consent and observers."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.events.protocol import EventObserver
from app.events.service import track_events
from app.events.types import Consent, EventIn, TrackResult
from app.ids import ShopId


class EventTracker:
    def __init__(self, default_consent: Consent, observers: Sequence[EventObserver]) -> None:
        self._default = default_consent
        self._observers = list(observers)

    async def track(self, session: AsyncSession, shop_id: ShopId, events: Sequence[EventIn],
                    now: datetime) -> TrackResult:
        return await track_events(session, shop_id, events, now, self._default, self._observers)
