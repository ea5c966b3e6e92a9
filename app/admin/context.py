"""What every admin resolver receives: the shop and the request's one transaction.

The edge opens the transaction and commits it when the request had no error. Root fields
of a query run concurrently and a session allows one statement at a time, so resolvers
take the session through ``database()``, one after the other."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin.auth import AdminShop
from app.health.data import HealthSources
from app.rules.preview import RulePreviewer
from app.shops.preferences import ShopPreferences


@dataclass
class AdminContext:
    shop: AdminShop
    session: AsyncSession | None = None
    """Set by the edge once the request's transaction is open."""
    rules: RulePreviewer | None = None
    """What previews a placement with and without the shop's rules (none: no preview)."""
    shop_defaults: ShopPreferences = field(default_factory=ShopPreferences)
    """The server's default of every shop setting (``app.admin.settings.server_defaults``)."""
    health_sources: HealthSources | None = None
    """Where the data health reads the model and the index (none: ``dataHealth`` is
    UNAVAILABLE)."""
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def database(self) -> AsyncIterator[AsyncSession]:
        if self.session is None:
            raise RuntimeError("the admin request's transaction is not open")
        async with self._lock:
            yield self.session


AdminInfo = strawberry.Info[AdminContext, None]
