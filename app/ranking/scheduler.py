"""Retrain every shop's model on a schedule, in the server's background or the CLI.

Any number of trainers may run: a shop is trained by the one leading its training
(``app.leadership``), which first reloads the model on disk and checks it is still due,
since another trainer may have just saved a new one."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.ids import ShopId
from app.leadership.choose import leadership_of
from app.leadership.keys import Job
from app.leadership.protocol import Leadership
from app.orders.models import Order
from app.ranking.jobs import train_shop_model
from app.ranking.live_orders import feed_new_orders
from app.ranking.runtime import ModelRuntime
from app.ranking.store import ModelStore
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import transaction, utcnow

log = logging.getLogger(__name__)
Announce = Callable[[ShopId, str], Awaitable[object]]


class ModelTrainer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], store: ModelStore,
                 models_dir: Path, every_hours: float,
                 leadership: Leadership | None = None,
                 announce: Announce | None = None, publish: Announce | None = None) -> None:
        """``leadership``: who trains a shop (default: the database's own kind, its lock
        files next to the models). ``announce``: tells the other processes of a shop's new
        model version (their polling finds it otherwise). ``publish``: uploads it for
        servers on other machines (``app.artefacts``), before the announcement."""
        self._announce = announce
        self._publish = publish
        self._sessions = sessions
        self._leadership = leadership or leadership_of(sessions, models_dir)
        self._store = store
        self._dir = models_dir
        self._every = every_hours * 3600.0

    async def run_once(self) -> int:
        async with transaction(self._sessions) as session:
            shops = [ShopId(s) for s in (await session.execute(
                select(Shop.id).where(Shop.status == SHOP_ACTIVE))).scalars()]
        trained = 0
        for shop in shops:
            await self._feed(shop)
            if await self._due(shop):
                trained += await self._train_if_leading(shop)
        return trained

    async def _train_if_leading(self, shop: ShopId) -> int:
        async with self._leadership.lead(Job.TRAINING, shop) as leading:
            if not leading:
                return 0
            self._store.forget(shop)  # what is on disk now, perhaps just trained elsewhere
            if not await self._due(shop):
                return 0
            async with transaction(self._sessions) as session:
                result = await train_shop_model(session, shop, self._dir)
            self._store.install(shop, ModelRuntime(result.artefact))
            if self._publish is not None:
                await self._publish(shop, result.artefact.version)
            if self._announce is not None:
                await self._announce(shop, result.artefact.version)
            return 1

    async def _due(self, shop: ShopId) -> bool:
        """A shop with orders and no model, or a model older than the schedule."""
        if self._every <= 0:
            return False
        runtime = self._store.get(shop)
        if runtime is not None:
            age = (utcnow() - runtime.artefact.trained_at).total_seconds()
            return age >= self._every
        async with transaction(self._sessions) as session:
            stmt = select(Order.id).where(Order.shop_id == shop).limit(1)
            return (await session.execute(stmt)).first() is not None

    async def _feed(self, shop: ShopId) -> None:
        runtime = self._store.get(shop)
        if runtime is not None:
            async with transaction(self._sessions) as session:
                await feed_new_orders(session, shop, runtime)

    async def run_forever(self, stop: asyncio.Event, poll_seconds: float = 5.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("model training failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
            except TimeoutError:
                continue
