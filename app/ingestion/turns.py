"""Turns at writing between the acknowledgement of deliveries and the inbox processor.

Acknowledgements wait on their claim's commit, processing can wait. So while deliveries
are arriving the processor starts a write only when no claim is waiting or being written
(or after ``patience`` seconds), and rests between deliveries so that it takes at most
``share`` of the time: the inbox drains after a burst, and still moves during a long one.

With ``single_writer`` (SQLite, which allows one writer at a time anyway) writes also take
turns here, where queueing is immediate and first come, first served, rather than in
SQLite's busy handler, which polls with sleeps of up to 100 ms."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

PATIENCE_SECONDS = 0.5
BACKGROUND_SHARE = 0.25
ARRIVING_WITHIN_SECONDS = 0.2


class WriteTurns:
    def __init__(
        self,
        single_writer: bool = True,
        patience: float = PATIENCE_SECONDS,
        share: float = BACKGROUND_SHARE,
    ) -> None:
        self._single_writer = single_writer
        self._patience = patience
        self._rest_per_busy_second = (1 - share) / share
        self._writer = asyncio.Lock()
        self._urgent = 0
        self._last_urgent = -1e9
        self._quiet = asyncio.Event()
        self._quiet.set()

    @asynccontextmanager
    async def urgent(self) -> AsyncIterator[None]:
        """A write someone is waiting on: it goes before any waiting background write."""
        self._urgent += 1
        self._quiet.clear()
        try:
            async with self._turn():
                yield
        finally:
            self._urgent -= 1
            self._last_urgent = time.monotonic()
            if not self._urgent:
                self._quiet.set()

    @asynccontextmanager
    async def background(self) -> AsyncIterator[None]:
        """A write nobody waits on: after the urgent ones."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), self._patience)
        async with self._turn():
            yield

    async def rest(self, busy_seconds: float) -> None:
        """After ``busy_seconds`` of background work: give way while deliveries arrive."""
        arriving = self._urgent or time.monotonic() - self._last_urgent < ARRIVING_WITHIN_SECONDS
        await asyncio.sleep(busy_seconds * self._rest_per_busy_second if arriving else 0)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if not self._single_writer:
            yield
            return
        async with self._writer:
            yield
