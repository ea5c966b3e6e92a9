"""Content neighbours: the served Annoy index plus an exact search over the delta of
vectors written since that index was snapshotted, filtered to servable products."""

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.queries import servable_products_by_keys
from app.embeddings.models import ProductEmbedding
from app.embeddings.service import from_bytes
from app.ids import ShopId
from app.index.protocol import Vector
from app.index.registry import IndexRegistry

MAX_ROUNDS = 4


@dataclass(frozen=True)
class Neighbour:
    product: Product
    similarity: float


@dataclass(frozen=True)
class Delta:
    keys: list[int]
    vectors: np.ndarray

    def nearest(self, vector: Vector, count: int) -> list[tuple[int, float]]:
        if not self.keys:
            return []
        similarities = self.vectors @ vector
        order = np.argsort(-similarities)[:count]
        return [(self.keys[i], float(similarities[i])) for i in order]


class ContentNeighbours:
    """Finds the servable products whose vectors are closest to a query vector."""

    def __init__(self, registry: IndexRegistry, model_name: str) -> None:
        self._registry = registry
        self._model_name = model_name

    @property
    def model_name(self) -> str:
        return self._model_name

    async def _delta(self, session: AsyncSession, shop_id: ShopId, since: object) -> Delta:
        stmt = select(ProductEmbedding.product_key, ProductEmbedding.vector).where(
            ProductEmbedding.shop_id == shop_id,
            ProductEmbedding.model_name == self._model_name,
        )
        if since is not None:
            stmt = stmt.where(ProductEmbedding.updated_at > since)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return Delta([], np.zeros((0, 0), dtype=np.float32))
        return Delta([int(r[0]) for r in rows], np.stack([from_bytes(r[1]) for r in rows]))

    async def delta_size(self, session: AsyncSession, shop_id: ShopId) -> int:
        served = self._registry.current(shop_id, self._model_name)
        delta = await self._delta(session, shop_id, served.snapshot_at if served else None)
        return len(delta.keys)

    async def nearest(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        vector: Vector,
        count: int,
        exclude: set[int] | None = None,
    ) -> list[Neighbour]:
        excluded = exclude or set()
        served = self._registry.current(shop_id, self._model_name)
        delta = await self._delta(session, shop_id, served.snapshot_at if served else None)
        changed = set(delta.keys)
        total = (served.index.size if served else 0) + len(delta.keys)
        fetch = count + len(excluded) + 10
        for _ in range(MAX_ROUNDS):
            ranked = self._merge(served.index.nearest(vector, fetch) if served else [], delta, vector, fetch, changed)
            wanted = [(k, s) for k, s in ranked if k not in excluded]
            products = await servable_products_by_keys(session, shop_id, [k for k, _ in wanted])
            found = [Neighbour(products[k], s) for k, s in wanted if k in products]
            if len(found) >= count or fetch >= total:
                return found[:count]
            fetch *= 4
        return found[:count]

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
