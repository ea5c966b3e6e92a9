"""Erasure beyond the database: model artefacts on disk, index files, and what a server
holds in memory (loaded models, live sessions).

A trained artefact names every customer it learnt from and keeps a row of factors for
each; a session names the customer it saw. This store joins the other customer data
stores so that a redaction reaches them in the same unit of work: the current artefact is
rewritten without the customer and every older version deleted; a shop's redaction deletes
its artefact and index folders. Other server processes drop their live sessions only
when those expire (``session_ttl_seconds``) and reload the scrubbed model within seconds."""

import asyncio
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.customer_data import CustomerRef
from app.ids import ShopId
from app.index.files import shop_index_folder
from app.index.registry import IndexRegistry
from app.profiles.session_state import SessionState
from app.ranking.artefact import delete_shop_artefacts, scrub_customers
from app.ranking.store import ModelStore


class EngineStateStore:
    """The engine's files and memory, as a customer data store."""

    name = "engine_state"

    def __init__(self, models_dir: Path, index_dir: Path, sessions: SessionState,
                 models: ModelStore, registry: IndexRegistry) -> None:
        self._models_dir = models_dir
        self._index_dir = index_dir
        self._sessions = sessions
        self._models = models
        self._registry = registry

    async def export(self, session: AsyncSession, customer: CustomerRef) -> list[dict[str, Any]]:
        return []  # derived numbers only: the orders they come from are exported

    async def erase(self, session: AsyncSession, customer: CustomerRef) -> int:
        if not customer.customer_id:
            return 0
        removed = await asyncio.to_thread(
            scrub_customers, self._models_dir, customer.shop_id, {customer.customer_id})
        self._models.forget(customer.shop_id)
        return removed + self._sessions.forget_customer(customer.shop_id, customer.customer_id)

    async def erase_shop(self, session: AsyncSession, shop_id: ShopId) -> int:
        await asyncio.to_thread(delete_shop_artefacts, self._models_dir, shop_id)
        await asyncio.to_thread(
            shutil.rmtree, shop_index_folder(self._index_dir, shop_id), ignore_errors=True)
        self._models.forget(shop_id)
        self._sessions.forget_shop(shop_id)
        self._registry.forget(shop_id)
        return 0
