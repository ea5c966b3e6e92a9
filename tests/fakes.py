"""Fakes for unit tests: a deterministic embedder."""

import asyncio
import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from app.embeddings.protocol import Vectors
from app.storage.row_inserts import RowsInto
from app.storage.writes import Writes

T = TypeVar("T")


class HashingEmbedder:
    """Bag of words hashed into a fixed number of dimensions, L2-normalized.

    Texts that share words get similar vectors, which is all unit tests need."""

    def __init__(self, dimension: int = 64, model_name: str = "fake-hashing") -> None:
        self._dimension = dimension
        self._name = model_name
        self.calls: list[list[str]] = []

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: list[str]) -> Vectors:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                slot = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self._dimension
                out[row, slot] += 1.0
            norm = float(np.linalg.norm(out[row])) or 1.0
            out[row] /= norm
        return out

    @property
    def texts_embedded(self) -> int:
        return sum(len(c) for c in self.calls)


class SlowWrites:
    """The process's writes (``app.storage.writes``), each small write taking a while longer,
    as under load: lists served meanwhile group. Counts the small writes."""

    def __init__(self, writes: Writes, delay: float = 0.02) -> None:
        self._writes = writes
        self._delay = delay
        self.small_writes = 0

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await self._writes.run(work)

    async def run_small(self, work: Callable[[Connection], T]) -> T:
        self.small_writes += 1
        await asyncio.sleep(self._delay)
        return await self._writes.run_small(work)

    async def insert_rows(self, into: RowsInto, rows: Sequence[dict[str, Any]]) -> None:
        self.small_writes += 1
        await asyncio.sleep(self._delay)
        await self._writes.insert_rows(into, rows)

    def dispose(self) -> None:
        pass


class UnreachableWrites:
    """A database that fails every write, whatever its rows; counts the attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    async def _fail(self) -> NoReturn:
        self.attempts += 1
        await asyncio.sleep(0.01)
        raise OperationalError("INSERT INTO rankings", {}, ConnectionRefusedError())

    async def run(self, work: Callable[[Connection], T]) -> T:
        await self._fail()

    async def run_small(self, work: Callable[[Connection], T]) -> T:
        await self._fail()

    async def insert_rows(self, into: RowsInto, rows: Sequence[dict[str, Any]]) -> None:
        await self._fail()

    def dispose(self) -> None:
        pass
