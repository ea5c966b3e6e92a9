"""Query embeddings, cached: storefront queries repeat a lot."""

import asyncio

from app.embeddings.lazy import LazyEmbedder
from app.embeddings.protocol import Vectors
from app.process.lru import Lru

MAX_QUERY_CHARS = 200


def normalize_query(query: str) -> str:
    return " ".join(query.lower().split())[:MAX_QUERY_CHARS]


class QueryVectors:
    def __init__(self, embedder: LazyEmbedder, capacity: int = 10_000) -> None:
        self._embedder = embedder
        self._cache: Lru[str, Vectors] = Lru(capacity)

    async def vector(self, query: str) -> Vectors:
        key = normalize_query(query)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        vector = await asyncio.to_thread(self._embed, key)
        self._cache.put(key, vector)
        return vector

    def _embed(self, text: str) -> Vectors:
        vector: Vectors = self._embedder.get().embed([text])[0]
        return vector
