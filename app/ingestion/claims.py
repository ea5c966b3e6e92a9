"""Group commit of claims: deliveries arriving while a claim transaction commits are
claimed together in the next one. Each delivery is still stored in the transaction
that claims it and acknowledged only after that commit; the batch only shares the
round-trips, which is what bounds acknowledgement time under load. Claims go through the
process's ``Writes`` (``app.storage.writes``): on a SQLite file its writer thread."""

import asyncio
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from app.ingestion.service import NewDelivery, claim_deliveries
from app.ingestion.turns import WriteTurns
from app.storage.writes import Writes

MAX_BATCH = 128


@dataclass
class _Waiting:
    delivery: NewDelivery
    claimed: "asyncio.Future[bool]"


class ClaimBatcher:
    def __init__(self, writes: Writes, max_batch: int = MAX_BATCH,
                 turns: WriteTurns | None = None) -> None:
        self._writes = writes
        self._max_batch = max_batch
        self._turns = turns or WriteTurns()
        self._waiting: list[_Waiting] = []
        self._flusher: asyncio.Task[None] | None = None

    async def claim(self, delivery: NewDelivery) -> bool:
        """Whether this delivery was stored (``False``: a duplicate). Raises
        ``IntegrityError`` when its shop no longer exists."""
        waiting = _Waiting(delivery, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await waiting.claimed

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch:]
            try:
                await self._claim(batch)
            except IntegrityError:
                for one in batch:  # find the culprit: claim one by one
                    await self._claim_alone(one)
            except Exception as exc:  # noqa: BLE001 - the requests report it
                for one in batch:
                    if not one.claimed.done():
                        one.claimed.set_exception(exc)

    async def _claim(self, batch: list[_Waiting]) -> None:
        deliveries = [w.delivery for w in batch]
        async with self._turns.urgent():
            results = await self._writes.run(lambda connection: claim_deliveries(connection, deliveries))
        for waiting, claimed in zip(batch, results, strict=True):
            if not waiting.claimed.done():
                waiting.claimed.set_result(claimed)

    async def _claim_alone(self, waiting: _Waiting) -> None:
        try:
            await self._claim([waiting])
        except Exception as exc:  # noqa: BLE001 - the request reports it
            if not waiting.claimed.done():
                waiting.claimed.set_exception(exc)
