"""``GET /health/ready``: whether this process can answer every shop from memory, for a load
balancer's readiness probe (``/health`` stays the liveness check).

A process starts answering as soon as it listens, but each shop's catalog loads in the
background and its index is mapped on first use: a new process put behind the load
balancer at once would make the first shoppers of every shop wait for those reads. Ready
means: every active shop's catalog is in memory, and its current index is mapped where
one exists (a shop whose first index is not built yet does not hold the process back, nor
do shops added later: once ready, a process stays ready, so that a shop being installed
never takes every server out of the load balancer). The answer gives counts, never names
or paths."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select, text
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.http.health import NO_STORE, OperatorView
from app.ids import ShopId
from app.index.files import index_folder, read_pointer
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Warmth:
    """How many active shops are answered from memory."""

    shops: int
    catalogs_loaded: int
    indexes: int
    """Active shops with a current index on disk."""
    indexes_mapped: int

    @property
    def ready(self) -> bool:
        return self.catalogs_loaded == self.shops and self.indexes_mapped == self.indexes


def _index_mapped(view: OperatorView, shop_id: ShopId) -> bool | None:
    """Whether the shop's current index is mapped (mapping it now if it is not yet);
    ``None`` when the shop has no index yet."""
    model = view.settings.embedding_model
    if read_pointer(index_folder(view.settings.index_dir, shop_id, model)) is None:
        return None
    try:
        return view.registry.current(shop_id, model) is not None
    except Exception as error:  # noqa: BLE001  (an unreadable index: not ready)
        log.warning("readiness: an index could not be mapped (%s)", type(error).__name__)
        return False


def warmth(view: OperatorView, shop_ids: list[int]) -> Warmth:
    loaded = view.catalogs.loaded
    mapped = [_index_mapped(view, ShopId(s)) for s in shop_ids]
    return Warmth(shops=len(shop_ids), catalogs_loaded=len(loaded.intersection(shop_ids)),
                  indexes=sum(m is not None for m in mapped),
                  indexes_mapped=sum(m is True for m in mapped))


class Readiness:
    """The probe's state: once ready, the process stays ready (the database aside)."""

    def __init__(self, view: OperatorView) -> None:
        self._view = view
        self.ever_ready = False

    async def answer(self, _request: Request) -> JSONResponse:
        try:
            async with transaction(self._view.sessions) as session:
                await session.execute(text("SELECT 1"))
                shop_ids = [] if self.ever_ready else list((await session.execute(
                    select(Shop.id).where(Shop.status == SHOP_ACTIVE))).scalars())
        except Exception as error:  # noqa: BLE001  (any failure means: not ready)
            log.warning("readiness: the database did not answer (%s)", type(error).__name__)
            return JSONResponse({"status": "error"}, status_code=503, headers=NO_STORE)
        if self.ever_ready:
            return JSONResponse({"status": "ready"}, headers=NO_STORE)
        found = warmth(self._view, shop_ids)
        if not found.ready:
            return JSONResponse({"status": "starting", **vars(found)}, status_code=503,
                                headers=NO_STORE)
        self.ever_ready = True
        return JSONResponse({"status": "ready"}, headers=NO_STORE)


def readiness_endpoint(view: OperatorView) -> Callable[[Request], Awaitable[JSONResponse]]:
    return Readiness(view).answer
