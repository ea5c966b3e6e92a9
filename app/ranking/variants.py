"""What an experiment may change in a served list, and the ports through which the serving
path learns a shopper's variant and records it.

The ranking and search services know only these types; the experiments package implements
``VariantPicker`` (its per-process directory of running experiments) and builds the
``VariantConfig`` of each variant, so that experiments depend on the engine and never the
other way round."""

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId
from app.ranking.features import NEW_FEATURES, OWNED_FEATURES
from app.recommendations.types import RecommendationList

BLEND_FEATURES = frozenset(OWNED_FEATURES) | frozenset(NEW_FEATURES)
"""The names a variant's ``weights`` may scale (the keys of the shipped blend weights)."""
HOLDOUT = "holdout"
"""The variant recorded for a shopper of the shop's global holdout (no experiment)."""


class VariantKind(str, Enum):
    ENGINE = "engine"
    """Today's engine, unchanged."""
    BASELINE = "baseline"
    """Non-personalized: the list served to shoppers who decline personalization (similar to
    the page's products and the cart, popular and trending), whoever asks."""
    TUNED = "tuned"
    """The engine with scaled blend weights and/or another exploration share."""


@dataclass(frozen=True)
class VariantConfig:
    kind: VariantKind
    weight_factors: tuple[tuple[str, float], ...] = ()
    """Factors on the tuned blend weights, by feature name (0 turns a feature off)."""
    exploration: float | None = None
    """The share of slots for new or never-bought products (None: the engine's)."""
    _vectors: dict[str, npt.NDArray[np.float64]] = field(
        default_factory=dict, compare=False, repr=False)

    @property
    def personalized(self) -> bool:
        return self.kind is not VariantKind.BASELINE

    def factors(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
        """The factors as vectors over ``OWNED_FEATURES`` and ``NEW_FEATURES`` (None: all 1),
        built once per config."""
        if not self.weight_factors:
            return None
        if not self._vectors:
            named = dict(self.weight_factors)
            self._vectors["owned"] = np.asarray([named.get(k, 1.0) for k in OWNED_FEATURES])
            self._vectors["new"] = np.asarray([named.get(k, 1.0) for k in NEW_FEATURES])
        return self._vectors["owned"], self._vectors["new"]


ENGINE = VariantConfig(VariantKind.ENGINE)
BASELINE = VariantConfig(VariantKind.BASELINE)


@dataclass(frozen=True)
class Assignment:
    """The variant one shopper is served, and what the served list records of it."""

    experiment_id: int | None
    variant: str | None
    config: VariantConfig


NO_EXPERIMENT = Assignment(None, None, ENGINE)
HELD_OUT = Assignment(None, HOLDOUT, BASELINE)


class VariantPicker(Protocol):
    async def assignment(self, session: AsyncSession, shop_id: ShopId, placement: str,
                         visitor_id: str | None, customer_id: str | None) -> Assignment:
        """The shopper's variant on ``placement``: the holdout's, a running experiment's, or
        ``NO_EXPERIMENT``. Served from memory; ``session`` only for an occasional refresh."""
        ...


class NoExperiments:
    """Every shopper gets today's engine (a server without experiments, an offline replay)."""

    async def assignment(self, session: AsyncSession, shop_id: ShopId, placement: str,
                         visitor_id: str | None, customer_id: str | None) -> Assignment:
        return NO_EXPERIMENT


class RecordsServedLists(Protocol):
    async def record(self, shop_id: ShopId, placement: str, visitor_id: str | None,
                     customer_id: str | None, result: RecommendationList, *,
                     experiment_id: int | None = None, variant: str | None = None,
                     latency_ms: float | None = None) -> None:
        """Keep ``result`` under its id with the experiment and variant that chose it and
        the server's time to it (``app.events.rankings.RankingRecorder``); ``Unavailable``
        when it cannot be kept, ``InvalidInput`` for ids its columns cannot hold."""
        ...
