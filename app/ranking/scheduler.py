"""Retrain every shop's model on a schedule, in the server's background or the CLI."""

import asyncio
import logging
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import transaction
from app.ids import ShopId
from app.ranking.jobs import train_shop_model
from app.ranking.runtime import ModelRuntime
from app.ranking.store import ModelStore
from app.shops.models import SHOP_ACTIVE, Shop

log = logging.getLogger(__name__)


class ModelTrainer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], store: ModelStore,
                 models_dir: Path, every_hours: float) -> None:
        self._sessions = sessions
        self._store = store
        self._dir = models_dir
        self._every = every_hours * 3600.0
        self._last: dict[int, float] = {}

    async def run_once(self) -> int:
        async with transaction(self._sessions) as session:
            shops = [ShopId(s) for s in (await session.execute(
                select(Shop.id).where(Shop.status == SHOP_ACTIVE))).scalars()]
        trained = 0
        for shop in shops:
            if time.monotonic() - self._last.get(shop, -1e12) < self._every:
                continue
            async with transaction(self._sessions) as session:
                result = await train_shop_model(session, shop, self._dir)
            self._store.install(shop, ModelRuntime(result.artefact))
            self._last[shop] = time.monotonic()
            trained += 1
        return trained

    async def run_forever(self, stop: asyncio.Event, poll_seconds: float = 60.0) -> None:
        if self._every <= 0:
            return
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("model training failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
            except TimeoutError:
                continue
