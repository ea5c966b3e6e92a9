"""Drains the inbox off the request path.

Each delivery is turned into changes first (which may call the platform's API, outside
any write transaction), then taken and applied in one transaction: the conditional take
makes concurrent processors apply it once; a crash rolls back both the take and the
effects, so the delivery is processed again after a restart. Failures are retried with
back-off and, after ``max_attempts``, parked as ``failed`` for ``affinity inbox retry``.

Due deliveries are read in batches; while deliveries are arriving, the processor gives
way to their acknowledgements (see ``webhooks.turns``)."""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import transaction
from app.ids import ShopId
from app.ingestion.models import PENDING, InboxDelivery
from app.ingestion.service import due_deliveries, record_failure, take_delivery
from app.privacy.protocol import CustomerDataStore
from app.shops.models import Shop
from webhooks.apply import Effects, apply_changes
from webhooks.changes import Change
from webhooks.protocol import InvalidPayload, PlatformAdapter
from webhooks.shops import context_of
from webhooks.turns import WriteTurns

log = logging.getLogger(__name__)
BATCH = 100


@dataclass(frozen=True)
class Pending:
    key: int
    shop_id: ShopId
    platform: str
    topic: str


class InboxProcessor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, PlatformAdapter],
        stores: Sequence[CustomerDataStore],
        on_effects: Callable[[Effects], None] = lambda _: None,
        max_attempts: int = 8,
        poll_seconds: float = 0.5,
        turns: WriteTurns | None = None,
    ) -> None:
        self._sessions = sessions
        self._adapters = adapters
        self._stores = stores
        self._on_effects = on_effects
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._turns = turns or WriteTurns()

    def wake(self) -> None:
        """A delivery was stored: look now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Process the deliveries due now; returns how many were applied."""
        async with transaction(self._sessions) as session:
            loaded = await self._load_many(session, await due_deliveries(session, BATCH))
        applied = 0
        for delivery, shop in loaded:
            started = time.monotonic()
            applied += await self._apply(delivery, shop)
            await self._turns.rest(time.monotonic() - started)
        return applied

    async def drain(self) -> int:
        """Process until nothing is due (used by commands and tests)."""
        total = 0
        while True:
            async with transaction(self._sessions) as session:
                if not await due_deliveries(session, 1):
                    return total
            total += await self.run_once()

    async def _load_many(
        self, session: AsyncSession, keys: Sequence[int]
    ) -> list[tuple[InboxDelivery, Shop]]:
        """The pending deliveries among ``keys`` with their shops, in one read."""
        if not keys:
            return []
        found = (await session.execute(select(InboxDelivery).where(
            InboxDelivery.id.in_(keys), InboxDelivery.status == PENDING)
            .order_by(InboxDelivery.id))).scalars().all()
        shop_ids = {d.shop_id for d in found}
        shops = {s.id: s for s in (await session.execute(
            select(Shop).where(Shop.id.in_(shop_ids)))).scalars()}
        return [(d, shops[d.shop_id]) for d in found if d.shop_id in shops]

    async def _changes(self, delivery: InboxDelivery, shop: Shop) -> list[Change]:
        adapter = self._adapters[delivery.platform]
        return await adapter.changes(delivery.topic, delivery.body or b"", context_of(shop))

    async def process(self, key: int) -> int:
        """Apply one delivery; returns 1 if this call applied it."""
        async with transaction(self._sessions) as session:
            loaded = await self._load_many(session, [key])
        return await self._apply(*loaded[0]) if loaded else 0

    async def _apply(self, delivery: InboxDelivery, shop: Shop) -> int:
        key = delivery.id
        try:
            changes = await self._changes(delivery, shop)
            async with self._turns.background(), transaction(self._sessions) as session:
                if not await take_delivery(session, key):
                    return 0  # another processor got it
                effects = await apply_changes(session, ShopId(shop.id), changes, self._stores)
        except InvalidPayload as exc:
            await self._fail(delivery, f"invalid payload: {exc.message}", retry=False)
            return 0
        except Exception as exc:  # any failure is retried later
            log.warning("delivery %s (%s %s) failed: %s", key, delivery.platform,
                        delivery.topic, exc, exc_info=True)
            await self._fail(delivery, f"{type(exc).__name__}: {exc}", retry=True)
            return 0
        self._on_effects(effects)
        return 1

    async def _fail(self, delivery: InboxDelivery, error: str, retry: bool) -> None:
        attempts = self._max_attempts if retry else 1
        async with self._turns.background(), transaction(self._sessions) as session:
            status = await record_failure(session, delivery.id, error, attempts)
        log.log(logging.ERROR if status != PENDING else logging.INFO,
                "delivery %s (%s %s): %s, now %s", delivery.id, delivery.platform,
                delivery.topic, error, status)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()  # before the pass: a delivery stored during it wakes the next
            try:
                await self.run_once()
            except Exception:  # a failed pass is retried on the next one
                log.exception("inbox pass failed")
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=self._poll_seconds,
                               return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
