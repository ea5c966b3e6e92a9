"""Values read from the database and kept in memory, checked again in the background.

A value is read once per key however many requests ask for it meanwhile. Once it is
``fresh_seconds`` old it is read again in the background, and requests keep getting the
value they would have got a moment earlier: under load a read through the async driver
waits for the driver's thread (60-480 ms were measured for a storefront key), and every
request arriving in that time used to start a read of its own. A request waits for a read
only for a key never read, or one whose last good value is ``stale_seconds`` old (reads
failing since): then it gets a fresh value or the read's error."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kept(Generic[V]):
    value: V
    read_at: float


class Refreshed(Generic[K, V]):
    def __init__(self, read: Callable[[K], Awaitable[V]], fresh_seconds: float,
                 stale_seconds: float, what: str, max_keys: int = 10_000) -> None:
        self.fresh_seconds = fresh_seconds
        self.stale_seconds = stale_seconds
        self._read = read
        self._what = what
        self._max_keys = max_keys
        self._kept: dict[K, Kept[V]] = {}
        self._reading: dict[K, asyncio.Task[V]] = {}

    async def get(self, key: K) -> V:
        kept = self._kept.get(key)
        if kept is None or time.monotonic() - kept.read_at >= self.stale_seconds:
            # Shielded: a request that goes away does not cancel the others' read.
            return await asyncio.shield(self._read_once(key))
        if time.monotonic() - kept.read_at >= self.fresh_seconds:
            self._read_once(key)
        return kept.value

    def _read_once(self, key: K) -> "asyncio.Task[V]":
        """The read of ``key`` in progress, or a new one."""
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.create_task(self._read_and_keep(key))
            self._reading[key] = reading
            reading.add_done_callback(lambda done: self._finished(key, done))
        return reading

    async def _read_and_keep(self, key: K) -> V:
        value = await self._read(key)
        if len(self._kept) >= self._max_keys and key not in self._kept:
            self._kept.clear()
        self._kept[key] = Kept(value, time.monotonic())
        return value

    def _finished(self, key: K, done: "asyncio.Task[V]") -> None:
        if self._reading.get(key) is done:
            del self._reading[key]
        if not done.cancelled() and done.exception() is not None:
            # Reported to the requests that wait for it; a read in the background keeps
            # the last value until it is stale.
            log.warning("reading %s failed: %s", self._what, done.exception())
