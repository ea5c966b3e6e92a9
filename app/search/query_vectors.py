"""Query embeddings, cached: storefront queries repeat a lot."""

import asyncio
from collections import OrderedDict

from app.embeddings.lazy import LazyEmbedder
from app.embeddings.protocol import Vectors

MAX_QUERY_CHARS = 200


def normalize_query(query: str) -> str:
    return " ".join(query.lower().split())[:MAX_QUERY_CHARS]


class QueryVectors:
    def __init__(self, embedder: LazyEmbedder, capacity: int = 10_000) -> None:
        self._embedder = embedder
        self._capacity = capacity
        self._cache: OrderedDict[str, Vectors] = OrderedDict()

    async def vector(self, query: str) -> Vectors:
        key = normalize_query(query)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        vector = await asyncio.to_thread(self._embed, key)
        self._cache[key] = vector
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return vector

    def _embed(self, text: str) -> Vectors:
        vector: Vectors = self._embedder.get().embed([text])[0]
        return vector
