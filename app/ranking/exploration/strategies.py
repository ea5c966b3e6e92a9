"""The exploration strategies the engine is built with (``AFFINITY_ENGINE_EXPLORATION``).

``FixedShare`` fills the exploration slots with the best-scored fresh products, as the
engine always did. ``ThompsonSampling`` takes a wider pool of the best-scored fresh products
and orders it by Thompson sampling on their counted impressions and clicks. The counts of a
shop live in memory; the first request that finds them ``refresh_seconds`` old folds in the
events stored since (at most ``read_limit``, so a request never pays for a backlog), and the
others meanwhile serve the counts they have: on the request path the strategy costs a
dictionary lookup and one Beta draw per pooled product."""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import ShopId
from app.ranking.exploration.counts import ProductCounts
from app.ranking.exploration.reading import first_mark, fold_new_events
from app.ranking.exploration.thompson import BetaPrior, thompson_order
from app.storage.database import utcnow

log = logging.getLogger(__name__)
FIXED_POOL_PER_SLOT = 4
THOMPSON_POOL_PER_SLOT = 10
"""Fresh products pooled per exploration slot: the best-scored ones, so that what is
sampled among them still suits the shopper."""


class Explorer(Protocol):
    """How one request orders its fresh candidates for the exploration slots."""

    pool_per_slot: int

    def order(self, product_ids: Sequence[str]) -> list[int]:
        """Positions into ``product_ids`` (given best-scored first), the first to fill first."""
        ...


class ExplorationStrategy(Protocol):
    async def explorer(self, session: AsyncSession, shop_id: ShopId) -> Explorer:
        """The shop's explorer, from memory; ``session`` only for an occasional refresh."""
        ...


class FixedShare:
    """The best-scored fresh products, in score order."""

    pool_per_slot = FIXED_POOL_PER_SLOT

    def order(self, product_ids: Sequence[str]) -> list[int]:
        return list(range(len(product_ids)))

    async def explorer(self, session: AsyncSession, shop_id: ShopId) -> Explorer:
        return self


@dataclass
class _Kept:
    counts: ProductCounts
    read_at: float = float("-inf")
    reading: bool = False


@dataclass
class _ShopExplorer:
    counts: ProductCounts
    prior: BetaPrior
    rng: np.random.Generator
    pool_per_slot: int = THOMPSON_POOL_PER_SLOT

    def order(self, product_ids: Sequence[str]) -> list[int]:
        return thompson_order(product_ids, self.counts, self.prior, self.rng)


@dataclass
class ThompsonSampling:
    """Thompson sampling on each shop's counts. ``seed`` makes the draws repeatable (a
    test, a replay); none draws from fresh entropy."""

    refresh_seconds: float = 10.0
    window_days: float = 30.0
    """A process counts the events of this many days before its first read, then every new one."""
    read_limit: int = 5000
    prior: BetaPrior = field(default_factory=BetaPrior)
    seed: int | None = None
    clock: Callable[[], float] = time.monotonic
    _shops: dict[ShopId, _Kept] = field(default_factory=dict)
    _rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def counts(self, shop_id: ShopId) -> ProductCounts:
        """The shop's counts as this process holds them (empty before any read)."""
        kept = self._shops.get(shop_id)
        return kept.counts if kept is not None else ProductCounts()

    async def explorer(self, session: AsyncSession, shop_id: ShopId) -> Explorer:
        kept = self._shops.setdefault(shop_id, _Kept(ProductCounts(event_mark=-1)))
        if not kept.reading and self.clock() - kept.read_at >= self.refresh_seconds:
            await self._refresh(session, shop_id, kept)
        return _ShopExplorer(kept.counts, self.prior, self._rng)

    async def _refresh(self, session: AsyncSession, shop_id: ShopId, kept: _Kept) -> None:
        kept.reading = True
        try:
            # A savepoint: a failed read leaves the request's own transaction usable.
            async with session.begin_nested():
                counts = kept.counts
                if counts.event_mark < 0:
                    since = utcnow() - timedelta(days=self.window_days)
                    counts.event_mark = await first_mark(session, shop_id, since)
                await fold_new_events(session, shop_id, counts, self.read_limit)
        except Exception:  # the counts it had keep serving until the next refresh
            log.warning("reading the exploration counts failed", exc_info=True)
        finally:
            kept.read_at = self.clock()
            kept.reading = False


def exploration_strategy(kind: str, refresh_seconds: float = 10.0,
                         seed: int | None = None) -> ExplorationStrategy:
    """The strategy a setting names: ``fixed`` or ``thompson``."""
    if kind == "fixed":
        return FixedShare()
    if kind == "thompson":
        return ThompsonSampling(refresh_seconds=refresh_seconds, seed=seed)
    raise ValueError(f"unknown exploration strategy: {kind}")
