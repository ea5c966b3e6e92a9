"""An event writer: reads the stream as one of a consumer group, stores, then acknowledges.

Delivery is at least once: an entry is acknowledged (XACK) only after the transaction that
stored its events has committed, so a writer that dies between the two leaves it pending,
and another writer claims it (XAUTOCLAIM) once it has been idle ``claim_idle_seconds``.
Storing it again changes nothing: events are unique by ``(shop, eventId)``.
A malformed entry is moved to the dead-letter stream and acknowledged, so it never blocks
the others; entries whose transaction fails stay pending and are claimed again later.
Any number of writers may run, each under a consumer name of its own."""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.event_stream.codec import MalformedEntry, decode_entry
from app.event_stream.names import DEAD_LETTER_MAX_ENTRIES, StreamNames
from app.event_stream.storing import ShopEvents, Stored, store_entries
from app.storage.database import transaction

log = logging.getLogger(__name__)
Entry = tuple[bytes, dict[bytes, bytes]]
RETRY_SECONDS = 1.0


def consumer_name() -> str:
    """This process's name in the group: host, process id and a random tail."""
    return f"{socket.gethostname()[:64]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class ReadLimits:
    entries: int
    """Entries read, and stored in one transaction, at a time."""
    block_seconds: float
    claim_idle_seconds: float


@dataclass
class WriterCounts:
    entries: int = 0
    stored: int = 0
    known: int = 0
    orphaned: int = 0
    malformed: int = 0
    claimed: int = 0


class StreamWriter:
    def __init__(self, client: Redis, names: StreamNames,
                 sessions: async_sessionmaker[AsyncSession], limits: ReadLimits,
                 consumer: str | None = None) -> None:
        self._client = client
        self._names = names
        self._sessions = sessions
        self._limits = limits
        self.consumer = consumer or consumer_name()
        self.counts = WriterCounts()
        self._claim_from = b"0-0"

    async def ensure_group(self) -> None:
        """The consumer group (and the stream) made if missing; reading starts at the
        stream's beginning, so nothing appended before the first writer is skipped."""
        try:
            await self._client.xgroup_create(self._names.key, self._names.group, id="0",
                                             mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def run_once(self, block: bool = True) -> int:
        """Claim entries a writer left (or read new ones), store them, acknowledge them;
        how many entries were handled."""
        entries = await self._claim() or await self._read(block)
        if entries:
            await self._handle(entries)
        return len(entries)

    async def drain(self) -> int:
        """Until nothing is left to read or claim: entries handled."""
        handled = 0
        while count := await self.run_once(block=False):
            handled += count
        return handled

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.ensure_group()
                while not stop.is_set():
                    await self.run_once()
            except Exception:  # Redis or the database failed: the entries stay pending
                log.exception("event writer: a pass failed; trying again")
                try:
                    await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
                except TimeoutError:
                    pass

    async def _claim(self) -> list[Entry]:
        idle_ms = int(self._limits.claim_idle_seconds * 1000)
        answer: Any = await self._client.xautoclaim(
            self._names.key, self._names.group, self.consumer, idle_ms,
            start_id=self._claim_from, count=self._limits.entries)
        self._claim_from = answer[0]
        entries = _present(answer[1])
        if entries:
            self.counts.claimed += len(entries)
            log.info("event writer %s: claimed %d entries", self.consumer, len(entries))
        return entries

    async def _read(self, block: bool) -> list[Entry]:
        answer: Any = await self._client.xreadgroup(
            self._names.group, self.consumer, {self._names.key: ">"},
            count=self._limits.entries,
            block=int(self._limits.block_seconds * 1000) if block else None)
        return [entry for _, stream in answer or [] for entry in _present(stream)]

    async def _handle(self, entries: list[Entry]) -> None:
        good: list[tuple[bytes, ShopEvents]] = []
        malformed: list[Entry] = []
        for entry_id, fields in entries:
            try:
                shop_id, events = decode_entry(fields)
            except MalformedEntry as problem:
                log.warning("event writer: entry %s dead-lettered: %s",
                            entry_id.decode(errors="replace"), problem)
                malformed.append((entry_id, fields))
            else:
                good.append((entry_id, ShopEvents(shop_id, events)))
        if malformed:
            await self._dead_letter(malformed)
        if good:
            stored = await self._store([entry for _, entry in good])
            await self._client.xack(self._names.key, self._names.group,
                                    *[entry_id for entry_id, _ in good])
            self._count(stored)
        self.counts.entries += len(entries)

    async def _store(self, entries: Sequence[ShopEvents]) -> Stored:
        async with transaction(self._sessions) as session:
            return await session.run_sync(lambda sync: store_entries(sync.connection(),
                                                                     entries))

    async def _dead_letter(self, entries: list[Entry]) -> None:
        """Copied to the dead-letter stream (with the id they had), then acknowledged."""
        pipe = self._client.pipeline(transaction=True)
        for entry_id, fields in entries:
            pipe.xadd(self._names.dead_letters,
                      {**fields, b"entry": entry_id},  # type: ignore[dict-item]
                      maxlen=DEAD_LETTER_MAX_ENTRIES, approximate=True)
        pipe.xack(self._names.key, self._names.group, *[entry_id for entry_id, _ in entries])
        await pipe.execute()
        self.counts.malformed += len(entries)

    async def close(self) -> None:
        await self._client.aclose()

    def _count(self, stored: Stored) -> None:
        self.counts.stored += stored.new
        self.counts.known += stored.known
        self.counts.orphaned += stored.orphaned


def _present(entries: Sequence[Any] | None) -> list[Entry]:
    """Entries that still exist (one trimmed away while pending comes without fields)."""
    return [(entry_id, fields) for entry_id, fields in entries or () if entry_id is not None
            and fields is not None]
