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


@dataclass
class AdminContext:
    shop: AdminShop
    session: AsyncSession | None = None
    """Set by the edge once the request's transaction is open."""
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def database(self) -> AsyncIterator[AsyncSession]:
        if self.session is None:
            raise RuntimeError("the admin request's transaction is not open")
        async with self._lock:
            yield self.session


AdminInfo = strawberry.Info[AdminContext, None]
