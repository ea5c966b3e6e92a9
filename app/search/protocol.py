"""The port through which search reordering learns what a shopper likes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.ids import ShopId
from app.recommendations.types import Reason


@dataclass(frozen=True)
class Shopper:
    visitor_id: str | None
    customer_id: str | None

    @property
    def anonymous(self) -> bool:
        return self.visitor_id is None and self.customer_id is None


@dataclass(frozen=True)
class PersonalScore:
    """How much the shopper is expected to like a product, in [0, 1], and why."""

    score: float
    reason: Reason | None


class ShopperAffinity(Protocol):
    async def scores(
        self,
        session: AsyncSession,
        shop_id: ShopId,
        shopper: Shopper,
        products: list[Product],
        vectors: dict[int, npt.NDArray[np.float32]],
        now: datetime,
    ) -> dict[int, PersonalScore]:
        """Scores keyed by product key; products the shopper has no relation to are absent."""
        ...
