"""The port through which search reordering learns what a shopper likes."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogProduct
from app.ids import ShopId
from app.recommendations.types import Reason

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Shopper:
    visitor_id: str | None
    customer_id: str | None

    @property
    def anonymous(self) -> bool:
        return self.visitor_id is None and self.customer_id is None


@dataclass(frozen=True)
class HistoryMatch:
    """How a product relates to what the customer bought: bought it before (0/1), the
    share of their purchases in its product type, cosine to their purchases' centroid and
    to the most similar other product they bought (a variant of one they own)."""

    bought_before: float
    type_share: float
    content: float
    closest: float
    reason: Reason | None


@dataclass(frozen=True)
class EngineEvidence:
    """The recommendation engine's feature rows for the products, in input order, and the
    shop's sales of each before the search (``ranking.sales.SALES_FEATURES``)."""

    owned_x: Matrix
    new_x: Matrix
    owned: npt.NDArray[np.bool_]
    probability: npt.NDArray[np.float64]
    sales: Matrix


@dataclass
class PersonalEvidence:
    history: dict[int, HistoryMatch] = field(default_factory=dict)
    engine: EngineEvidence | None = None

    @property
    def empty(self) -> bool:
        return not self.history and self.engine is None


class ProductVectors(Protocol):
    async def vectors_of(self, session: AsyncSession, shop_id: ShopId,
                         product_keys: list[int]) -> dict[int, npt.NDArray[np.float32]]:
        """The current content vectors of these products (those that have one)."""
        ...


class ShopperAffinity(Protocol):
    async def evidence(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        shopper: Shopper,
        products: list[CatalogProduct],
        vectors: dict[int, npt.NDArray[np.float32]],
        now: datetime,
    ) -> PersonalEvidence:
        """What the shop knows about the shopper's taste, for each of ``products``."""
        ...
