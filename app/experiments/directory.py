"""The running experiments of each shop, kept in memory by every server process: the
serving path picks a shopper's variant without a database query.

A shop's entry is read again when it is older than ``refresh_seconds`` (default 2 s), by
the first request that finds it so; requests meanwhile keep serving the entry they have.
A change made in this process can be seen at once (``invalidate``); other processes see it
within ``refresh_seconds``. What a request pays when the entry is fresh: a dictionary
lookup and two 64-bit BLAKE2b hashes, 5.8 µs a call measured in a loop of 100,000."""

import logging
import math
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from app.experiments.assignment import (
    cumulative_bounds,
    hash_point,
    in_holdout,
    shopper_unit,
    variant_index,
)
from app.experiments.configs import parse_config
from app.experiments.models import EXPERIMENT_RUNNING, Experiment
from app.ids import ShopId
from app.ranking.variants import HELD_OUT, NO_EXPERIMENT, Assignment
from app.shops.models import Shop

log = logging.getLogger(__name__)
DEFAULT_REFRESH_SECONDS = 2.0
HOLDOUT_SETTING = "holdout_share"
"""The key of a shop's own holdout share in its ``settings`` JSON."""
MAX_HOLDOUT_SHARE = 0.5


@dataclass(frozen=True)
class RunningExperiment:
    id: int
    salt: str
    bounds: list[float]
    assignments: list[Assignment]
    """One per variant, in the variants' order (``bounds[i]`` ends variant ``i``'s range)."""

    def assignment(self, unit: str) -> Assignment:
        return self.assignments[variant_index(hash_point(self.salt, unit), self.bounds)]


@dataclass
class ShopExperiments:
    holdout_share: float
    by_placement: dict[str | None, RunningExperiment] = field(default_factory=dict)
    loaded_at: float = 0.0

    def experiment_for(self, placement: str) -> RunningExperiment | None:
        return self.by_placement.get(placement) or self.by_placement.get(None)


def running_experiment(row: Experiment) -> RunningExperiment:
    """What the serving path needs of a running experiment (its configs parsed once)."""
    variants = row.variants
    assignments = [Assignment(row.id, v["name"], parse_config(v["config"])) for v in variants]
    return RunningExperiment(row.id, row.salt,
                             cumulative_bounds([float(v["share"]) for v in variants]),
                             assignments)


def holdout_share(default: float, shop_settings: dict[str, object] | None) -> float:
    """The shop's own ``holdout_share`` setting when it is a share from 0 to 0.5, else the
    server's default."""
    own = (shop_settings or {}).get(HOLDOUT_SETTING)
    if isinstance(own, int | float) and not isinstance(own, bool) and math.isfinite(own) \
            and 0 <= own <= MAX_HOLDOUT_SHARE:
        return float(own)
    return default


async def load_shop_experiments(session: AsyncSession, shop_id: ShopId,
                                default_holdout: float) -> ShopExperiments:
    shop_settings = await session.scalar(select(Shop.settings).where(Shop.id == shop_id))
    rows = (await session.scalars(select(Experiment).where(
        Experiment.shop_id == shop_id, Experiment.status == EXPERIMENT_RUNNING))).all()
    loaded = ShopExperiments(holdout_share(default_holdout, shop_settings))
    for row in rows:
        try:
            loaded.by_placement[row.placement] = running_experiment(row)
        except (InvalidInput, KeyError, TypeError, ValueError):
            log.error("experiment %s of shop %s has variants the engine cannot serve; "
                      "not applied", row.id, shop_id)
    return loaded


class ExperimentDirectory:
    """``VariantPicker`` of the serving path: the shop's holdout first (always the
    baseline), then the running experiment of the placement (or of every placement)."""

    def __init__(self, holdout_share: float = 0.0,
                 refresh_seconds: float = DEFAULT_REFRESH_SECONDS) -> None:
        self._holdout_share = holdout_share
        self._refresh = refresh_seconds
        self._shops: dict[ShopId, ShopExperiments] = {}
        self._loading: set[ShopId] = set()
        self._generation = 0
        """Bumped by ``invalidate``: a read begun before it is kept, but as stale."""

    def invalidate(self, shop_id: ShopId | None = None) -> None:
        """Read the shop's (None: every shop's) experiments again on its next request."""
        self._generation += 1
        if shop_id is None:
            self._shops.clear()
        else:
            self._shops.pop(shop_id, None)

    async def assignment(self, session: AsyncSession, shop_id: ShopId, placement: str,
                         visitor_id: str | None, customer_id: str | None) -> Assignment:
        unit = shopper_unit(visitor_id, customer_id)
        if unit is None:
            return NO_EXPERIMENT
        shop = await self._shop(session, shop_id)
        if in_holdout(shop_id, unit, shop.holdout_share):
            return HELD_OUT
        running = shop.experiment_for(placement)
        return NO_EXPERIMENT if running is None else running.assignment(unit)

    async def _shop(self, session: AsyncSession, shop_id: ShopId) -> ShopExperiments:
        known = self._shops.get(shop_id)
        if known is not None and (time.monotonic() - known.loaded_at < self._refresh
                                  or shop_id in self._loading):
            return known  # fresh, or another request is reading it again meanwhile
        self._loading.add(shop_id)
        generation = self._generation
        try:
            loaded = await load_shop_experiments(session, shop_id, self._holdout_share)
        finally:
            self._loading.discard(shop_id)
        loaded.loaded_at = time.monotonic() if generation == self._generation else -math.inf
        self._shops[shop_id] = loaded
        return loaded
