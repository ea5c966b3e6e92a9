"""Background role: embed changed products and rebuild indexes when the delta grows;
delete served lists past their retention.

Runs inside the server by default (all-in-one) or alone as ``affinity worker``. Every
pass is idempotent, so a crash at any point only means the next pass redoes the work. Any
number of workers may run: a shop's index is built by the one leading its build
(``app.leadership``), which checks again, once leading, that the build is still due;
a shop's stale products are embedded by the one leading its embedding."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.artefacts.fetch import ArtefactSync
from app.embeddings.protocol import Embedder
from app.embeddings.service import embed_stale_products, stale_products
from app.embeddings.stale_watch import StaleWatch
from app.events.retention import ServedListRetention
from app.ids import ShopId
from app.index.files import index_folder, read_pointer
from app.index.neighbours import ContentNeighbours
from app.index.service import build_index, changes_since_current, reserve_version
from app.leadership.choose import leadership_of
from app.leadership.keys import Job
from app.leadership.protocol import Leadership
from app.settings import Settings
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import transaction

log = logging.getLogger(__name__)
PASS_LIMIT = 256


@dataclass(frozen=True)
class CatalogWork:
    """What the worker reads and builds with: the settings of its indexes, the database,
    and the content neighbours (whose delta decides a rebuild)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    neighbours: ContentNeighbours
    artefacts: ArtefactSync | None = None
    """Publishes each version built here for servers on other machines (``artefact_store``)."""


class CatalogWorker:
    def __init__(self, services: CatalogWork, embedder_factory: Callable[[], Embedder],
                 index_threads: int | None = None, stale_watch: StaleWatch | None = None,
                 leadership: Leadership | None = None,
                 announce: Callable[[ShopId, str], Awaitable[object]] | None = None) -> None:
        """``index_threads``: threads that precompute an index's neighbour lists (default:
        one per core; inside a serving process, one, so that requests keep a core).
        ``stale_watch``: which products a pass checks for stale vectors (see its module).
        ``leadership``: who builds a shop's index (default: the database's own kind)."""
        self._services = services
        self._announce = announce  # tells the other processes of a new index version
        self._leadership = leadership or leadership_of(services.sessions,
                                                       services.settings.data_dir)
        self._stale_watch = stale_watch or StaleWatch()
        self._index_threads = index_threads
        self._embedder_factory = embedder_factory
        self._embedder: Embedder | None = None
        self._retention = ServedListRetention(services.sessions,
                                              services.settings.served_list_retention_days)

    def _model(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    async def _shop_ids(self) -> list[ShopId]:
        async with transaction(self._services.sessions) as session:
            rows = await session.execute(select(Shop.id).where(Shop.status == SHOP_ACTIVE))
            return [ShopId(r[0]) for r in rows]

    async def run_once(self) -> int:
        """One pass over all shops (and, once an hour, expired served lists deleted);
        returns how many products were embedded."""
        embedded = 0
        for shop_id in await self._shop_ids():
            embedded += await self._embed(shop_id)
            await self._maybe_rebuild(shop_id)
        await self._retention.run_if_due()
        return embedded

    async def _embed(self, shop_id: ShopId) -> int:
        model_name = self._services.settings.embedding_model
        window = self._stale_watch.window(shop_id)
        started = self._stale_watch.started()
        async with transaction(self._services.sessions) as session:
            if not await stale_products(session, shop_id, model_name, limit=1,
                                        changed_since=window):
                self._stale_watch.clean(shop_id, started, window)
                return 0
        embedder = await asyncio.to_thread(self._model)
        async with self._leadership.lead(Job.EMBEDDING, shop_id) as leading:
            if not leading:  # another worker embeds this shop's products now
                return 0
            async with transaction(self._services.sessions) as session:
                result = await embed_stale_products(session, shop_id, embedder,
                                                     limit=PASS_LIMIT, changed_since=window)
        if result.embedded:
            log.info("shop %s: embedded %d products", shop_id, result.embedded)
        return result.embedded

    async def _maybe_rebuild(self, shop_id: ShopId) -> None:
        settings = self._services.settings
        folder = index_folder(settings.index_dir, shop_id, settings.embedding_model)
        async with transaction(self._services.sessions) as session:
            delta = await self._services.neighbours.delta_size(session, shop_id)
        if not self._due(delta, folder):
            return
        async with self._leadership.lead(Job.INDEX_BUILD, shop_id) as leading:
            if leading:
                await self._rebuild(shop_id, folder)

    def _due(self, delta: int, folder: Path) -> bool:
        threshold = self._services.settings.index_rebuild_threshold
        return delta > 0 and (read_pointer(folder) is None or delta >= threshold)

    async def _rebuild(self, shop_id: ShopId, folder: Path) -> None:
        """While leading: due again against the pointer on disk (another worker may have just
        built), the version taken and committed, then the build."""
        settings = self._services.settings
        model, index_dir = settings.embedding_model, settings.index_dir
        async with transaction(self._services.sessions) as session:
            if not self._due(await changes_since_current(session, shop_id, model, index_dir),
                             folder):
                return
        async with transaction(self._services.sessions) as session:
            version = await reserve_version(session, shop_id, model, index_dir)
        log.info("shop %s: building index v%d", shop_id, version)
        async with transaction(self._services.sessions) as session:
            result = await build_index(
                session, shop_id, model, index_dir, settings.annoy_trees,
                settings.annoy_search_k, self._index_threads, reserved=version,
            )
        log.info("shop %s: index v%d built with %d items", shop_id, result.version, result.item_count)
        if self._services.artefacts is not None:  # before the announcement: it is fetched
            await self._services.artefacts.publish_index(shop_id, result.version)
        if self._announce is not None:
            await self._announce(shop_id, str(result.version))

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a failed pass is retried on the next one
                log.exception("catalog worker pass failed")
            try:
                await asyncio.wait_for(stop.wait(), self._services.settings.worker_interval_seconds)
            except TimeoutError:
                pass
