"""Shopper affinity from the shop's order history: what the customer bought before, the
product types they buy, and how close a product's content is to what they bought."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.catalog.queries import products_by_platform_ids
from app.embeddings.service import vectors_of
from app.ids import ShopId
from app.orders.models import Order, OrderLine
from app.recommendations.types import Reason
from app.search.protocol import PersonalScore, Shopper

HISTORY_LIMIT = 200
INTEREST_THRESHOLD = 0.25


@dataclass(frozen=True)
class AffinityWeights:
    bought_before: float = 0.6
    product_type: float = 0.2
    content: float = 0.4


async def purchase_counts(
    session: AsyncSession, shop_id: ShopId, customer_id: str
) -> dict[str, int]:
    """Distinct orders per product id for this customer (cancelled and refunded excluded)."""
    orders = func.count(func.distinct(Order.id))
    stmt = (
        select(OrderLine.product_id, orders)
        .join(Order, Order.id == OrderLine.order_key)
        .where(
            Order.shop_id == shop_id,
            Order.customer_id == customer_id,
            Order.cancelled.is_(False),
            OrderLine.product_id.is_not(None),
            OrderLine.refunded_quantity < OrderLine.quantity,
        )
        .group_by(OrderLine.product_id)
        .order_by(orders.desc())
        .limit(HISTORY_LIMIT)
    )
    return {str(pid): int(n) for pid, n in (await session.execute(stmt)).all()}


async def _centroid(
    session: AsyncSession, model_name: str, keys: list[int], weights: list[float]
) -> npt.NDArray[np.float32] | None:
    rows = await vectors_of(session, keys, model_name)
    pairs = [(rows[k], w) for k, w in zip(keys, weights, strict=True) if k in rows]
    if not pairs:
        return None
    centroid = np.average(np.stack([p[0] for p in pairs]), axis=0, weights=[p[1] for p in pairs])
    norm = float(np.linalg.norm(centroid))
    return (centroid / norm).astype(np.float32) if norm > 0 else None


class PurchaseHistoryAffinity:
    def __init__(self, model_name: str, weights: AffinityWeights | None = None) -> None:
        self._model_name = model_name
        self.weights = weights or AffinityWeights()

    async def scores(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        shopper: Shopper,
        products: list[Product],
        vectors: dict[int, npt.NDArray[np.float32]],
        now: datetime,
    ) -> dict[int, PersonalScore]:
        if shopper.customer_id is None:
            return {}
        counts = await purchase_counts(session, shop_id, shopper.customer_id)
        if not counts:
            return {}
        bought = await products_by_platform_ids(session, shop_id, counts)
        types = Counter[str]()
        for pid, product in bought.items():
            if product.product_type:
                types[product.product_type] += counts[pid]
        total = sum(types.values()) or 1
        keys = [p.id for p in bought.values()]
        centroid = await _centroid(
            session, self._model_name, keys, [float(counts[p.platform_id]) for p in bought.values()]
        )
        return {p.id: self._score(p, counts, types, total, centroid, vectors.get(p.id)) for p in products}

    def _score(
        self,
        product: Product,
        counts: dict[str, int],
        types: Counter[str],
        total: int,
        centroid: npt.NDArray[np.float32] | None,
        vector: npt.NDArray[np.float32] | None,
    ) -> PersonalScore:
        w = self.weights
        repeat = 1.0 if product.platform_id in counts else 0.0
        type_share = types.get(product.product_type or "", 0) / total
        content = 0.0
        if centroid is not None and vector is not None:
            content = max(0.0, float(centroid @ vector))
        score = w.bought_before * repeat + w.product_type * type_share + w.content * content
        if repeat:
            reason = Reason("BOUGHT_BEFORE", "You bought this before")
        elif product.product_type and type_share >= INTEREST_THRESHOLD:
            reason = Reason("INTEREST", f"Matches your interest in {product.product_type}")
        else:
            reason = None
        return PersonalScore(score, reason)
