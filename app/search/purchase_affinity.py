"""Shopper affinity from the customer's order history: what the customer bought before, the
product types they buy, and how close a product's content is to what they bought."""

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogProduct, CatalogSnapshots
from app.ids import ShopId
from app.recommendations.types import Reason
from app.search.protocol import HistoryMatch, ProductVectors

HISTORY_LIMIT = 200
INTEREST_THRESHOLD = 0.25


@dataclass(frozen=True)
class Taste:
    """The vectors of what the customer bought: their weighted centroid and each one."""

    centroid: npt.NDArray[np.float32]
    keys: npt.NDArray[np.int64]
    vectors: npt.NDArray[np.float32]

    def similarities(self, keys: list[int], matrix: npt.NDArray[np.float32]
                     ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """For each row of ``matrix`` (the vector of product ``keys[i]``): its cosine to the
        centroid, and to the most similar other product the customer bought (both >= 0)."""
        content = np.maximum(matrix @ self.centroid, 0.0).astype(np.float64)
        similar = matrix @ self.vectors.T
        similar[np.asarray(keys, np.int64)[:, None] == self.keys[None, :]] = -1.0
        closest = np.maximum(similar.max(axis=1), 0.0).astype(np.float64)
        return content, closest


def _taste(rows: dict[int, npt.NDArray[np.float32]], keys: list[int],
           weights: list[float]) -> Taste | None:
    pairs = [(k, rows[k], w) for k, w in zip(keys, weights, strict=True) if k in rows]
    if not pairs:
        return None
    vectors = np.stack([p[1] for p in pairs]).astype(np.float32)
    centroid = np.average(vectors, axis=0, weights=[p[2] for p in pairs])
    norm = float(np.linalg.norm(centroid))
    if norm == 0:
        return None
    return Taste((centroid / norm).astype(np.float32),
                 np.asarray([p[0] for p in pairs], np.int64), vectors)


class PurchaseHistoryAffinity:
    def __init__(self, vectors: ProductVectors, catalogs: CatalogSnapshots) -> None:
        self._vectors = vectors
        self._catalogs = catalogs

    async def matches(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        purchases: dict[str, int],
        products: list[CatalogProduct],
        vectors: dict[int, npt.NDArray[np.float32]],
    ) -> dict[int, HistoryMatch]:
        """``purchases``: orders per product id the customer bought (their profile's)."""
        if not purchases:
            return {}
        counts = dict(sorted(purchases.items(), key=lambda kv: -kv[1])[:HISTORY_LIMIT])
        bought = (await self._catalogs.catalog(session, shop_id)).products(counts)
        types = Counter[str]()
        for pid, product in bought.items():
            if product.product_type:
                types[product.product_type] += counts[pid]
        total = sum(types.values()) or 1
        keys = [p.id for p in bought.values()]
        taste = _taste(await self._vectors.vectors_of(session, shop_id, keys), keys,
                       [float(counts[p.platform_id]) for p in bought.values()])
        content: dict[int, float] = {}
        closest: dict[int, float] = {}
        embedded = [p.id for p in products if p.id in vectors]
        if taste is not None and embedded:  # one product of matrices for all results
            near_centroid, near_one = taste.similarities(
                embedded, np.stack([vectors[k] for k in embedded]))
            content = dict(zip(embedded, near_centroid.tolist(), strict=True))
            closest = dict(zip(embedded, near_one.tolist(), strict=True))
        return {p.id: self._match(p, counts, types, total, content.get(p.id, 0.0),
                                  closest.get(p.id, 0.0)) for p in products}

    @staticmethod
    def _match(
        product: CatalogProduct,
        counts: dict[str, int],
        types: Counter[str],
        total: int,
        content: float,
        closest: float,
    ) -> HistoryMatch:
        repeat = 1.0 if product.platform_id in counts else 0.0
        type_share = types.get(product.product_type or "", 0) / total
        if repeat:
            reason = Reason("BOUGHT_BEFORE", "You bought this before")
        elif product.product_type and type_share >= INTEREST_THRESHOLD:
            reason = Reason("INTEREST", f"Matches your interest in {product.product_type}")
        else:
            reason = None
        return HistoryMatch(repeat, type_share, content, closest, reason)
