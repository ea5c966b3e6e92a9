"""Shopper affinity from the customer's order history: what the customer bought before, the
product types they buy, and how close a product's content is to what they bought."""

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogProduct, CatalogSnapshots
from app.ids import ShopId
from app.index.protocol import AlignedVectors
from app.recommendations.types import Reason
from app.search.features import HISTORY_FEATURES
from app.search.protocol import HistoryMatches, ProductVectors

HISTORY_LIMIT = 200
INTEREST_THRESHOLD = 0.25
BOUGHT_BEFORE = Reason("BOUGHT_BEFORE", "You bought this before")


@dataclass(frozen=True)
class Taste:
    """The vectors of what the customer bought: their weighted centroid and each one."""

    centroid: npt.NDArray[np.float32]
    keys: npt.NDArray[np.int64]
    vectors: npt.NDArray[np.float32]

    def similarities(self, keys: list[int] | npt.NDArray[np.int64],
                     matrix: npt.NDArray[np.float32]
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
    # The weighted sum: the same direction as the weighted mean, which is all that is kept.
    centroid = np.asarray([p[2] for p in pairs], np.float64) @ vectors
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
        vectors: AlignedVectors,
    ) -> HistoryMatches | None:
        """``purchases``: orders per product id the customer bought (their profile's);
        ``vectors``: those of ``products``, row by row. None when there are no purchases."""
        if not purchases:
            return None
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
        interests = {kind: Reason("INTEREST", f"Matches your interest in {kind}")
                     for kind, n in types.items() if n / total >= INTEREST_THRESHOLD}
        repeat: list[float] = []
        share: list[float] = []
        reasons: list[Reason | None] = []
        for product in products:  # one pass over the results for three columns
            kind = product.product_type
            share.append(types.get(kind, 0) / total if kind else 0.0)
            if product.platform_id in counts:
                repeat.append(1.0)
                reasons.append(BOUGHT_BEFORE)
            else:
                repeat.append(0.0)
                reasons.append(interests.get(kind) if kind else None)
        columns = np.zeros((len(products), len(HISTORY_FEATURES)))
        columns[:, 0], columns[:, 1] = repeat, share
        embedded = vectors.present
        if taste is not None and embedded.any():  # one product of matrices for all results
            columns[embedded, 2], columns[embedded, 3] = taste.similarities(
                vectors.keys[embedded], vectors.matrix[embedded])
        return HistoryMatches(columns, reasons)
