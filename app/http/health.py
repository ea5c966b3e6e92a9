"""``GET /health``: ok or error for anyone (load balancers, uptime checks); the details
(database backend, indexes, catalogs in memory, the webhook inbox with its parked and failed
deliveries) only for the operator's ``Authorization: Bearer <admin token>``: they tell an
attacker what runs and how much."""

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.catalog.snapshot import CatalogSnapshots
from app.ids import ShopId
from app.index.registry import IndexRegistry
from app.ingestion.service import inbox_counts
from app.settings import Settings
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import transaction

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


def is_operator(request: Request, admin_token: SecretStr | None) -> bool:
    """Whether the request carries the admin token (compared in constant time)."""
    if admin_token is None or not admin_token.get_secret_value():
        return False
    sent = request.headers.get("authorization", "")
    expected = f"Bearer {admin_token.get_secret_value()}"
    return hmac.compare_digest(sent.encode(), expected.encode())


@dataclass(frozen=True)
class OperatorView:
    """What the health check reads: the database, the served indexes, the catalogs."""

    settings: Settings
    """The operator's token and the served embedding model."""
    backend: str
    fast_paths: bool
    """Whether the SQLite fast paths serve the request path's reads and writes."""
    sessions: async_sessionmaker[AsyncSession]
    registry: IndexRegistry
    catalogs: CatalogSnapshots


def _details(services: OperatorView, shop_ids: list[int], inbox: dict[str, int]) -> dict[str, Any]:
    model = services.settings.embedding_model
    served = [services.registry.current(ShopId(s), model) for s in shop_ids]
    indexed = [s for s in served if s is not None]
    return {
        "database": {"ok": True, "backend": services.backend,
                     "fast_paths": services.fast_paths},
        "index": {"model": model, "shops": len(shop_ids), "shops_indexed": len(indexed),
                  "items": sum(s.index.size for s in indexed)},
        # Ready to serve every shop once each active shop's catalog is in memory.
        "catalogs": {"shops": len(shop_ids),
                     "loaded": len(services.catalogs.loaded.intersection(shop_ids))},
        "webhooks": inbox,
    }


def health_endpoint(services: OperatorView) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def health(request: Request) -> JSONResponse:
        operator = is_operator(request, services.settings.admin_token)
        try:
            async with transaction(services.sessions) as session:
                await session.execute(text("SELECT 1"))
                shop_ids: list[int] = []
                inbox: dict[str, int] = {}
                if operator:
                    shop_ids = list((await session.execute(
                        select(Shop.id).where(Shop.status == SHOP_ACTIVE))).scalars())
                    inbox = await inbox_counts(session)
        except Exception as error:  # noqa: BLE001  (any failure means: not healthy)
            log.warning("health check: the database did not answer (%s)", type(error).__name__)
            return JSONResponse({"status": "error"}, status_code=503, headers=NO_STORE)
        if not operator:
            return JSONResponse({"status": "ok"}, headers=NO_STORE)
        return JSONResponse({"status": "ok", **_details(services, shop_ids, inbox)},
                            headers=NO_STORE)

    return health
