"""The answers of persisted queries, read from Redis when another process computed them
(an ``AnswerStore``: ``app.shared_state.answers``).

An answer is stored under what it was computed from: the shop, the document (its SHA-256),
the variables, the shop's index version, its model version, and its catalog version, the
newest ``updated_at`` of its products (every product write stamps it; products are never
deleted, only marked so). A new index, model or product write gives a new key, so a stored
answer is never served past a change of its inputs: the first request after it computes it
again. What else an answer depends on (merchandising rules, the live trend) reaches it
within the stored answer's lifetime, the edge cache's ``max-age``, as it reaches a CDN's
copy.

Reading the catalog version costs one indexed read (``ix_products_shop_id_updated_at``);
when it moved since this process last saw it, the process's catalog snapshot is refreshed
before the answer is computed, so that no answer computed from an older snapshot is stored
under the new version."""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.models import Product
from app.catalog.snapshot import CatalogSnapshots
from app.graphql.persisted import PersistedQuery
from app.ids import ShopId
from app.index.registry import IndexRegistry
from app.ranking.store import ModelStore
from app.storage.database import transaction

log = logging.getLogger(__name__)
Answer = tuple[bytes, bool]
"""The answer's body, and whether it may be cached (it has no errors)."""
Compute = Callable[[], Awaitable[Answer]]
NONE = "-"


class AnswerStore(Protocol):
    """Where answers are kept for every process (``app.shared_state.answers``)."""

    @property
    def enabled(self) -> bool: ...

    def key(self, parts: Sequence[str]) -> str: ...

    async def read(self, key: str) -> bytes | None: ...

    def keep(self, key: str, body: bytes) -> None: ...

    async def settled(self) -> None: ...


@dataclass(frozen=True)
class AnswerSources:
    """Where the versions an answer is computed from are read."""

    sessions: async_sessionmaker[AsyncSession]
    catalogs: CatalogSnapshots
    registry: IndexRegistry
    models: ModelStore
    embedding_model: str


class PublicAnswers:
    """Each persisted query's answer computed once per version for every process."""

    def __init__(self, shared: AnswerStore, sources: AnswerSources) -> None:
        self.shared = shared
        self._sources = sources
        self._catalog_seen: dict[int, str] = {}

    async def answer(self, shop_id: ShopId, query: PersistedQuery,
                     variables: dict[str, object], compute: Compute) -> Answer:
        """The stored answer, else ``compute``'s (stored when cacheable)."""
        if not self.shared.enabled:
            return await compute()
        try:
            key = self.shared.key(await self._parts(shop_id, query, variables))
        except (SQLAlchemyError, OSError) as error:  # the versions unknown: nothing shared
            log.warning("answer versions unavailable (%s)", type(error).__name__)
            return await compute()
        stored = await self.shared.read(key)
        if stored is not None:
            return stored, True
        body, cacheable = await compute()
        if cacheable:
            self.shared.keep(key, body)
        return body, cacheable

    async def _parts(self, shop_id: ShopId, query: PersistedQuery,
                     variables: dict[str, object]) -> list[str]:
        sources = self._sources
        served = sources.registry.current(shop_id, sources.embedding_model)
        runtime = sources.models.get(shop_id)
        return [str(int(shop_id)), query.sha256,
                orjson.dumps(variables, option=orjson.OPT_SORT_KEYS).decode(),
                sources.embedding_model,
                str(served.index.version) if served is not None else NONE,
                runtime.artefact.version if runtime is not None else NONE,
                await self._catalog_version(shop_id)]

    async def _catalog_version(self, shop_id: ShopId) -> str:
        async with transaction(self._sources.sessions) as session:
            newest = (await session.execute(select(func.max(Product.updated_at))
                                            .where(Product.shop_id == shop_id))).scalar()
        version = newest.isoformat() if newest is not None else NONE
        if self._catalog_seen.get(shop_id) != version:
            self._sources.catalogs.written([shop_id])  # refreshed before it is served
            self._catalog_seen[shop_id] = version
        return version
