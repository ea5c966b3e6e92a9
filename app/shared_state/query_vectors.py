"""Query embeddings shared by every server process: a query embedded once is embedded for all.

Embedding a storefront query costs milliseconds of CPU; the same queries come to every
process. A miss in this process's cache reads Redis (one round trip, about a tenth of a
millisecond on a local network) before embedding, and a fresh embedding is stored there for
a day. With Redis down, each process embeds for itself, as with one process."""

import asyncio
import hashlib

import numpy as np

from app.embeddings.lazy import LazyEmbedder
from app.embeddings.protocol import Vectors
from app.search.query_vectors import QueryVectors, normalize_query
from app.shared_state.connection import RedisLink, SharedStateUnavailable

TTL_SECONDS = 86_400
MAX_DIMENSION = 4096


class SharedQueryVectors(QueryVectors):
    """``QueryVectors`` whose misses look in Redis, under the embedding model's name."""

    def __init__(self, embedder: LazyEmbedder, link: RedisLink, model_name: str,
                 capacity: int = 10_000) -> None:
        super().__init__(embedder, capacity)
        self._link = link
        self._model = hashlib.sha256(model_name.encode()).hexdigest()[:16]
        self._writes: set[asyncio.Task[None]] = set()

    async def vector(self, query: str) -> Vectors:
        key = normalize_query(query)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        shared = await self._read(key)
        if shared is not None:
            self._cache.put(key, shared)
            return shared
        vector = await super().vector(query)
        task = asyncio.ensure_future(self._write(key, vector))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        return vector

    def _key(self, query: str) -> str:
        return self._link.key("query-vector", self._model,
                              hashlib.sha256(query.encode()).hexdigest())

    async def _read(self, query: str) -> Vectors | None:
        if not self._link.available:
            return None
        try:
            raw = await self._link.call(lambda client: client.get(self._key(query)))
        except SharedStateUnavailable:
            return None
        if not isinstance(raw, bytes) or not raw or len(raw) % 4 or len(raw) > MAX_DIMENSION * 4:
            return None
        vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        return vector if bool(np.isfinite(vector).all()) else None

    async def _write(self, query: str, vector: Vectors) -> None:
        data = np.asarray(vector, dtype="<f4").tobytes()
        try:
            await self._link.call(lambda client: client.set(self._key(query), data,
                                                            ex=TTL_SECONDS))
        except SharedStateUnavailable:
            pass
