"""Resolve the calling shop from its storefront key, with a short in-memory cache."""

import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import transaction
from app.graphql.context import ShopView
from app.shops.service import find_active_by_storefront_key

KEY_HEADER = "x-affinity-storefront-key"
CACHE_SECONDS = 5.0
MAX_KEY_LENGTH = 128


class StorefrontAuth:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._cache: dict[str, tuple[float, ShopView | None, frozenset[str]]] = {}

    async def shop_for(self, key: str | None) -> tuple[ShopView, frozenset[str]] | None:
        """The active shop and its storefront origins, or ``None`` for any bad key."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return None if hit[1] is None else (hit[1], hit[2])
        async with transaction(self._sessions) as session:
            shop = await find_active_by_storefront_key(session, key)
            view = None if shop is None else ShopView(shop.id, shop.domain, shop.currency, shop.platform)
            origins = frozenset(shop.storefront_origins) if shop else frozenset()
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), view, origins)
        return None if view is None else (view, origins)

    def forget(self) -> None:
        self._cache.clear()
