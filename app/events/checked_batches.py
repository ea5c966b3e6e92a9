"""A batch some of whose events the edge already refused (unparsable, a customer named
without proof): the others are stored, every refusal reported at its place in the batch."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from app.errors import CustomerProofRequired
from app.events.types import EventIn, Rejection, TrackResult
from app.ids import ShopId
from app.shops.customer_proof import CustomerProof

Checked = EventIn | Rejection
"""An event to store, or the refusal of the event at that index."""


class EventStore(Protocol):
    async def store(self, shop_id: ShopId, events: Sequence[EventIn],
                    now: datetime) -> TrackResult: ...


async def store_checked(tracker: EventStore, shop_id: ShopId, batch: Sequence[Checked],
                        now: datetime) -> TrackResult:
    """Store the events of ``batch``; rejections keep the index each event had in it."""
    positions = [index for index, item in enumerate(batch) if isinstance(item, EventIn)]
    events = [item for item in batch if isinstance(item, EventIn)]
    refused = [item for item in batch if isinstance(item, Rejection)]
    result = await tracker.store(shop_id, events, now) if events else TrackResult()
    moved = [Rejection(positions[r.index], r.reason) for r in result.rejected]
    result.rejected = sorted([*refused, *moved], key=lambda r: r.index)
    return result


def with_proven_customer(index: int, event: EventIn, customer_token: str | None,
                         proof: CustomerProof, now: datetime) -> Checked:
    """The event with the customer its caller may name, or its refusal."""
    try:
        customer = proof.customer(event.customer_id, customer_token, now)
    except CustomerProofRequired as refused:
        return Rejection(index, refused.message)
    return event if customer == event.customer_id else replace(event, customer_id=customer)
