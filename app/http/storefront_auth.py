"""Resolve the calling shop from its storefront key, kept in memory (``app.refresh``).

An answer (a shop, or no shop for a bad key) is checked again in the background once it
is ``CACHE_SECONDS`` old, so an uninstalled shop's key stops working that much later; a
request waits for a lookup only for a key never seen, or an answer ``STALE_SECONDS`` old."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import transaction
from app.graphql.context import ShopView
from app.refresh import Refreshed
from app.shops.service import find_active_by_storefront_key

KEY_HEADER = "x-affinity-storefront-key"
CACHE_SECONDS = 5.0
STALE_SECONDS = 60.0
MAX_KEY_LENGTH = 128

Found = tuple[ShopView, frozenset[str]] | None


class StorefrontAuth:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.answers: Refreshed[str, Found] = Refreshed(
            self._lookup, CACHE_SECONDS, STALE_SECONDS, "a storefront key")

    async def shop_for(self, key: str | None) -> Found:
        """The active shop and its storefront origins, or ``None`` for any bad key."""
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        return await self.answers.get(key)

    async def _lookup(self, key: str) -> Found:
        async with transaction(self._sessions) as session:
            shop = await find_active_by_storefront_key(session, key)
            if shop is None:
                return None
            return (ShopView(shop.id, shop.domain, shop.currency, shop.platform),
                    frozenset(shop.storefront_origins or ()))
