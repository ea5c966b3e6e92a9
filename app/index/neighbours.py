"""Content neighbours: the served Annoy index plus an exact search over the delta of
vectors written since that index was snapshotted, filtered to servable products (from the
catalog snapshot, ``catalog.snapshot``)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TypeVar

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogProduct, CatalogSnapshots
from app.embeddings.models import ProductEmbedding
from app.embeddings.service import from_bytes, vectors_of
from app.ids import ShopId
from app.index.protocol import AlignedVectors, Vector
from app.index.registry import IndexRegistry
from app.storage.reads import Reads, SessionReads

T = TypeVar("T")
MAX_ROUNDS = 4
# How long a shop's delta is reused on the request path: a changed product reaches
# shoppers at most this much later (the freshness budget is seconds).
DELTA_SECONDS = 1.0


@dataclass(frozen=True)
class Neighbour:
    product: CatalogProduct
    similarity: float


@dataclass(frozen=True)
class Delta:
    keys: list[int]
    vectors: np.ndarray

    @cached_property
    def positions(self) -> dict[int, int]:
        return {key: i for i, key in enumerate(self.keys)}

    def nearest(self, vector: Vector, count: int) -> list[tuple[int, float]]:
        if not self.keys:
            return []
        similarities = self.vectors @ vector
        order = np.argsort(-similarities)[:count]
        return [(self.keys[i], float(similarities[i])) for i in order]


class ContentNeighbours:
    """Finds the servable products whose vectors are closest to a query vector."""

    def __init__(self, registry: IndexRegistry, model_name: str,
                 catalogs: CatalogSnapshots, reads: Reads | None = None) -> None:
        self._registry = registry
        self._model_name = model_name
        self._catalogs = catalogs
        self._reads = reads or SessionReads()
        self._loading: dict[int, asyncio.Lock] = {}
        self._deltas: dict[tuple[int, datetime | None], tuple[float, Delta]] = {}

    @property
    def model_name(self) -> str:
        return self._model_name

    async def _load_delta(
        self, session: AsyncSession, shop_id: ShopId, since: datetime | None
    ) -> Delta:
        stmt = select(
            ProductEmbedding.product_key, ProductEmbedding.vector, ProductEmbedding.shop_id
        ).where(ProductEmbedding.model_name == self._model_name)
        if since is None:  # no index yet: every vector of the shop, through the session
            stmt = stmt.where(ProductEmbedding.shop_id == shop_id)
            found = (await session.execute(stmt)).all()
        else:
            # By time alone, so that the planner walks the updated_at index over the few
            # recent rows (with the shop in the clause SQLite scans the whole shop). A few
            # lookups: through ``app.storage.reads``, as the catalog's delta.
            stmt = stmt.where(ProductEmbedding.updated_at > since)
            async with self._reads.reader(session) as reader:
                found = (await reader.execute(stmt)).all()
        rows = [r for r in found if r[2] == shop_id]
        if not rows:
            return Delta([], np.zeros((0, 0), dtype=np.float32))
        return Delta([int(r[0]) for r in rows], np.stack([from_bytes(r[1]) for r in rows]))

    async def _delta(
        self, session: AsyncSession, shop_id: ShopId, since: datetime | None
    ) -> Delta:
        """The shop's delta, reused for ``DELTA_SECONDS`` across requests. One request
        reads it; those arriving meanwhile wait for that read rather than start their own
        (each would hold a database connection until its request ends: at 200 requests/s
        they took the whole pool)."""
        key = (shop_id, since)
        hit = self._deltas.get(key)
        if hit is not None and time.monotonic() - hit[0] < DELTA_SECONDS:
            return hit[1]
        async with self._loading.setdefault(shop_id, asyncio.Lock()):
            hit = self._deltas.get(key)
            now = time.monotonic()
            if hit is not None and now - hit[0] < DELTA_SECONDS:
                return hit[1]
            delta = await self._load_delta(session, shop_id, since)
            self._deltas = {k: v for k, v in self._deltas.items() if k[0] != shop_id}
            self._deltas[key] = (now, delta)
        return delta

    async def vector_of(
        self, session: AsyncSession, shop_id: ShopId, product_key: int
    ) -> Vector | None:
        """A product's current vector: from the delta, else the served index (no database
        round trip), else the database (a shop without an index yet)."""
        return (await self.vectors_of(session, shop_id, [product_key])).get(product_key)

    async def vectors_of(
        self, session: AsyncSession, shop_id: ShopId, product_keys: list[int]
    ) -> dict[int, Vector]:
        """Current vectors of several products (``aligned_vectors``, by key)."""
        return (await self.aligned_vectors(session, shop_id, product_keys)).by_key()

    async def aligned_vectors(
        self, session: AsyncSession, shop_id: ShopId, product_keys: list[int]
    ) -> AlignedVectors:
        """Current vectors of several products, row ``i`` for ``product_keys[i]``: the delta's,
        else the served index's (no database round trip), else the database's (one read at
        most, for the rest; all of them for a shop without an index yet)."""
        served = self._registry.current(shop_id, self._model_name)
        if served is None:
            return AlignedVectors.of(
                product_keys, await vectors_of(session, product_keys, self._model_name))
        delta = await self._delta(session, shop_id, served.snapshot_at)
        aligned = served.index.aligned(product_keys)
        positions = delta.positions
        if positions:  # the delta's vectors are newer than the index's
            aligned.fill({k: delta.vectors[positions[k]] for k in product_keys if k in positions})
        if not aligned.present.all():
            missing = aligned.keys[~aligned.present].tolist()
            aligned.fill(await vectors_of(session, missing, self._model_name))
        return aligned

    async def delta_size(self, session: AsyncSession, shop_id: ShopId) -> int:
        served = self._registry.current(shop_id, self._model_name)
        delta = await self._load_delta(session, shop_id, served.snapshot_at if served else None)
        return len(delta.keys)

    async def nearest(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        vector: Vector,
        count: int,
        exclude: set[int] | None = None,
        anchor: int | None = None,
    ) -> list[Neighbour]:
        """The ``count`` most similar servable products, as full rows. ``anchor``: the
        product whose vector it is (from ``vector_of``), or None."""
        catalog = await self._catalogs.catalog(session, shop_id)

        async def rows(keys: list[int]) -> dict[int, CatalogProduct]:
            return catalog.servable_by_key(keys)

        found = await self._nearest(session, shop_id, [vector], count, exclude or set(), rows,
                                    [anchor])
        return [Neighbour(product, similarity) for product, similarity in found[0]]

    async def nearest_ids(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        vectors: list[Vector],
        count: int,
        exclude: set[int] | None = None,
        anchors: list[int | None] | None = None,
    ) -> list[list[tuple[str, float]]]:
        """Neighbours of each vector as platform ids only. ``anchors``: the product whose
        vector each one is (from ``vector_of``), or None."""
        catalog = await self._catalogs.catalog(session, shop_id)

        async def ids(keys: list[int]) -> dict[int, str]:
            return {k: p.platform_id for k, p in catalog.servable_by_key(keys).items()}

        return await self._nearest(session, shop_id, vectors, count, exclude or set(), ids,
                                   anchors)

    async def _nearest(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        vectors: list[Vector],
        count: int,
        excluded: set[int],
        servable: Callable[[list[int]], Awaitable[dict[int, T]]],
        anchors: list[int | None] | None = None,
    ) -> list[list[tuple[T, float]]]:
        served = self._registry.current(shop_id, self._model_name)
        delta = await self._delta(session, shop_id, served.snapshot_at if served else None)
        changed = set(delta.keys)

        def indexed(i: int, fetch: int) -> list[tuple[int, float]]:
            if served is None:
                return []
            anchor = anchors[i] if anchors else None
            if anchor is not None and anchor not in changed:  # its vector is the indexed one
                return served.index.nearest_to_item(anchor, vectors[i], fetch)
            return served.index.nearest(vectors[i], fetch)

        total = (served.index.size if served else 0) + len(delta.keys)
        fetch = count + len(excluded) + 10
        found: list[list[tuple[T, float]]] = [[] for _ in vectors]
        short = list(range(len(vectors)))
        for _ in range(MAX_ROUNDS):
            ranked = {i: [(k, s) for k, s in self._merge(
                indexed(i, fetch), delta, vectors[i], fetch, changed) if k not in excluded]
                for i in short}
            live = await servable(sorted({k for pairs in ranked.values() for k, _ in pairs}))
            for i, pairs in ranked.items():
                found[i] = [(live[k], s) for k, s in pairs if k in live]
            short = [i for i in short if len(found[i]) < count]
            if not short or fetch >= total:
                break
            fetch *= 4  # unservable products crowd the nearest: look further
        return [f[:count] for f in found]

    @staticmethod
    def _merge(
        from_index: list[tuple[int, float]],
        delta: Delta,
        vector: Vector,
        count: int,
        changed: set[int],
    ) -> list[tuple[int, float]]:
        # A changed product's old vector in the immutable file is superseded by the delta.
        merged = [(k, s) for k, s in from_index if k not in changed]
        merged.extend(delta.nearest(vector, count))
        merged.sort(key=lambda pair: -pair[1])
        return merged
