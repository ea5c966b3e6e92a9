"""The published versions as a customer data store: a published model names every customer
it learnt from, so an erasure reaches the database's copies as it reaches the local files.

Listed after the engine's files (``app.privacy.engine_state``), which rewrite this
machine's current model without the customer first. The rewrite is published and every
older published model version deleted; servers that fetch it delete their older local
versions. Versions are written in the store's own transactions (a rollback of the erasure
leaves a scrubbed version published, which is harmless)."""

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.artefacts.fetch import ArtefactSync, Loaded
from app.customer_data import CustomerRef
from app.ids import ShopId
from app.ranking.artefact import scrub_customers


class PublishedArtefacts:
    name = "published_artefacts"

    def __init__(self, sync: ArtefactSync, models_dir: Path, model_changed: Loaded) -> None:
        """``model_changed``: told when the shop's model here was rewritten (the model
        store drops it from memory)."""
        self._sync = sync
        self._models_dir = models_dir
        self._model_changed = model_changed

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        return []  # derived numbers only, as the local files

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        if not customer.customer_id or not self._sync.shared:
            return 0
        # A newer model published elsewhere names the customer too: fetched, then scrubbed.
        await self._sync.check()
        await asyncio.to_thread(scrub_customers, self._models_dir, customer.shop_id,
                                {customer.customer_id})
        self._model_changed(customer.shop_id)
        await self._sync.publish_scrubbed_model(customer.shop_id)
        return 0

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        await self._sync.forget_shop(shop_id)
        return 0
