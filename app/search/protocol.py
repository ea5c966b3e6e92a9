"""The port through which search reordering learns what a shopper likes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.snapshot import CatalogProduct
from app.ids import ShopId
from app.index.protocol import AlignedVectors
from app.input_limits import check_id
from app.recommendations.types import Reason

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Shopper:
    visitor_id: str | None
    customer_id: str | None

    def __post_init__(self) -> None:
        check_id("visitorId", self.visitor_id)
        check_id("customerId", self.customer_id)

    @property
    def anonymous(self) -> bool:
        return self.visitor_id is None and self.customer_id is None


@dataclass(frozen=True)
class HistoryMatches:
    """How each result relates to what the customer bought, in input order. ``columns``: one
    row per result, one column per name of ``search.features.HISTORY_FEATURES``: bought it
    before (0/1), the share of their purchases in its product type, cosine to their
    purchases' centroid and to the most similar other product they bought (a variant of one
    they own). ``reasons``: what such a match tells the shopper, or None."""

    columns: Matrix
    reasons: list[Reason | None]


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
    history: HistoryMatches | None = None
    """None: the customer has bought nothing."""
    engine: EngineEvidence | None = None

    @property
    def empty(self) -> bool:
        return self.history is None and self.engine is None


class ProductVectors(Protocol):
    async def vectors_of(self, session: AsyncSession, shop_id: ShopId,
                         product_keys: list[int]) -> dict[int, npt.NDArray[np.float32]]:
        """The current content vectors of these products (those that have one)."""
        ...

    async def aligned_vectors(self, session: AsyncSession, shop_id: ShopId,
                              product_keys: list[int]) -> AlignedVectors:
        """The same as one matrix, row ``i`` for ``product_keys[i]``."""
        ...


class ShopperAffinity(Protocol):
    async def evidence(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        shopper: Shopper,
        products: list[CatalogProduct],
        vectors: AlignedVectors,
        now: datetime,
    ) -> PersonalEvidence:
        """What the shop knows about the shopper's taste, for each of ``products``."""
        ...
