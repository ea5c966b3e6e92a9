"""Drains the inbox off the request path.

Each delivery is turned into changes first (which may call the platform's API, outside
any write transaction), then taken and applied in one transaction: the conditional take
makes concurrent processors apply it once; a crash rolls back both the take and the
effects, so the delivery is processed again after a restart. Failures are retried with
back-off and, after ``max_attempts``, parked as ``failed`` for ``affinity inbox retry``.

Due deliveries are read in batches; while deliveries are arriving, the processor gives
way to their acknowledgements (see ``app.ingestion.turns``).

A delivery the engine refuses (``InvalidPayload``, ``InvalidInput``) is parked at once:
trying again would give the same answer. Parking is logged at WARNING with the delivery
id and the reason, never the body; failure reasons keep a database error's message but
not its statement and parameters, which carry the body's values."""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.crypto.secret_box import SecretBox
from app.customer_data import CustomerDataStore
from app.errors import AppError, InvalidInput
from app.ids import ShopId
from app.ingestion.apply import Effects, apply_changes
from app.ingestion.changes import Change
from app.ingestion.context import context_of
from app.ingestion.models import PENDING, InboxDelivery
from app.ingestion.protocol import ChangeSource, InvalidPayload, PlatformUnavailable, Unconfirmed
from app.ingestion.service import due_deliveries, record_failure, take_delivery
from app.ingestion.turns import WriteTurns
from app.shops.models import Shop
from app.storage.database import transaction

log = logging.getLogger(__name__)
BATCH = 100
REASON_CHARS = 300
EXPECTED = (SQLAlchemyError, PlatformUnavailable, AppError)
"""Failures logged without a traceback (a database error's would print the body's values)."""


def failure_reason(exc: BaseException) -> str:
    """What went wrong, without the data the failing statement carried."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"[:REASON_CHARS]


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
        adapters: Mapping[str, ChangeSource],
        stores: Sequence[CustomerDataStore],
        on_effects: Callable[[Effects], None] = lambda _: None,
        max_attempts: int = 8,
        poll_seconds: float = 0.5,
        turns: WriteTurns | None = None,
        box: SecretBox | None = None,
    ) -> None:
        self._sessions = sessions
        self._box = box
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
        return await adapter.changes(delivery.topic, delivery.body or b"", context_of(shop, self._box))

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
        except InvalidInput as exc:
            await self._fail(delivery, f"refused: {exc.message}", retry=False)
            return 0
        except Unconfirmed as exc:
            log.warning("delivery %s (%s %s) contradicted by the platform: %s", key,
                        delivery.platform, delivery.topic, exc)
            await self._fail(delivery, f"not confirmed by the platform: {exc}", retry=True)
            return 0
        except Exception as exc:  # any other failure is retried later
            reason = failure_reason(exc)
            log.warning("delivery %s (%s %s) failed: %s", key, delivery.platform,
                        delivery.topic, reason, exc_info=not isinstance(exc, EXPECTED))
            await self._fail(delivery, reason, retry=True)
            return 0
        self._on_effects(effects)
        return 1

    async def _fail(self, delivery: InboxDelivery, error: str, retry: bool) -> None:
        attempts = self._max_attempts if retry else 1
        async with self._turns.background(), transaction(self._sessions) as session:
            status = await record_failure(session, delivery.id, error, attempts)
        if status == PENDING:
            log.info("delivery %s (%s %s): %s, will be retried", delivery.id,
                     delivery.platform, delivery.topic, error)
        else:
            log.warning("delivery %s (%s %s) parked as %s: %s", delivery.id, delivery.platform,
                        delivery.topic, status, error)

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
