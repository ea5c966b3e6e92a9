"""Store decoded stream entries in the caller's transaction, the way the request path does
(``app.events.service.store_events``), each event once by its ``eventId``."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select

from app.event_stream.codec import KeptSourceKeys
from app.events.service import accept_events, store_events
from app.events.types import FULL_CONSENT, EventIn
from app.ids import ShopId
from app.shops.models import Shop

SHOPS: Table = Shop.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ShopEvents:
    shop_id: ShopId
    events: list[EventIn]


@dataclass
class Stored:
    new: int = 0
    known: int = 0
    """Events stored before (a redelivered entry, or a batch written directly as well)."""
    orphaned: int = 0
    """Events of shops deleted since they were accepted: dropped, as the shop's were."""


def _existing_shops(connection: Connection, shop_ids: set[ShopId]) -> set[int]:
    return set(connection.execute(select(SHOPS.c.id).where(SHOPS.c.id.in_(shop_ids))).scalars())


def store_entries(connection: Connection, entries: Sequence[ShopEvents]) -> Stored:
    """Every entry's events in the caller's transaction."""
    stored = Stored()
    existing = _existing_shops(connection, {entry.shop_id for entry in entries})
    for entry in entries:
        if entry.shop_id not in existing:
            stored.orphaned += len(entry.events)
            continue
        # Each event carries its time and consent: ``now`` and the default change nothing
        # (the latest time, so that no clock of this process's refuses one as future).
        latest = max(event.occurred_at for event in entry.events if event.occurred_at)
        _, accepted = accept_events(entry.events, latest, FULL_CONSENT)
        new = store_events(connection, entry.shop_id, accepted, KeptSourceKeys())
        stored.new += len(new)
        stored.known += len(accepted) - len(new)
    return stored
