"""The backfill an install starts: one background task per shop, owned here so that the
app's lifespan can cancel and await them. A failed backfill is logged; installing again
(or ``affinity sync``) resumes it from its checkpoints."""

import asyncio
import logging

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.ids import ShopId
from app.ingestion.protocol import ShopContext
from webhooks.backfill.runner import ShopifySync
from webhooks.backfill.shopify_admin import ShopifyAdminClient

log = logging.getLogger(__name__)


class Backfills:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient,
                 api_version: str) -> None:
        self._sessions = sessions
        self._http = http
        self._api_version = api_version
        self._tasks: dict[ShopId, asyncio.Task[None]] = {}
        self.failed: set[ShopId] = set()

    def running(self, shop_id: ShopId) -> bool:
        task = self._tasks.get(shop_id)
        return task is not None and not task.done()

    def start(self, shop: ShopContext) -> bool:
        """Start the shop's backfill unless one is running; did it start?"""
        if self.running(shop.id) or shop.credentials is None:
            return False
        task = asyncio.create_task(self._run(shop), name=f"backfill-{shop.domain}")
        self._tasks[shop.id] = task
        return True

    async def wait(self, shop_id: ShopId) -> None:
        task = self._tasks.get(shop_id)
        if task is not None:
            await asyncio.shield(task)

    async def _run(self, shop: ShopContext) -> None:
        assert shop.credentials is not None
        client = ShopifyAdminClient(self._http, shop.domain, shop.credentials.access_token,
                                    shop.credentials.api_version or self._api_version,
                                    shop.credentials.api_url)
        try:
            report = await ShopifySync(self._sessions, client, shop).run()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failed.add(shop.id)
            log.exception("shop %s: the backfill failed; install again or run `affinity sync` "
                          "to resume it", shop.domain)
            return
        self.failed.discard(shop.id)
        log.info("shop %s: backfill done (%s)", shop.domain, report.pulled)

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
