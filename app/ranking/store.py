"""Loaded model artefacts per shop; a new version on disk is picked up on the next look.

Storefront events never reach a loaded model: its live trend moves with stored orders only
(``ranking.live_orders``), since anyone can send a checkout event."""

import logging
import time
from collections.abc import Callable
from pathlib import Path

from app.ids import ShopId
from app.process.heap import settle
from app.ranking.artefact import current_version, load_artefact
from app.ranking.runtime import ModelRuntime

log = logging.getLogger(__name__)


class ModelStore:
    """Serves each shop's current artefact from memory; never trains."""

    def __init__(self, models_dir: Path, check_seconds: float = 5.0,
                 trend_days: float = 10.0) -> None:
        self._dir = models_dir
        self._check = check_seconds
        self._trend_days = trend_days
        self._loaded: dict[int, ModelRuntime] = {}
        self._checked: dict[int, float] = {}
        self.on_load: Callable[[ShopId, ModelRuntime], None] | None = None
        """Told of every runtime served from now on (the shared live trend attaches)."""

    def install(self, shop_id: ShopId, runtime: ModelRuntime) -> None:
        """Serve this runtime (the training job in-process, and the harness, use it)."""
        self._loaded[shop_id] = runtime
        self._checked[shop_id] = time.monotonic()
        if self.on_load is not None:
            self.on_load(shop_id, runtime)

    def forget(self, shop_id: ShopId) -> None:
        """Drop the shop's loaded model: the next look loads what is current on disk."""
        self._loaded.pop(shop_id, None)
        self._checked.pop(shop_id, None)

    def recheck(self, shop_id: ShopId) -> None:
        """Look at the shop's current version on the next lookup (one was announced); the
        loaded model serves until then."""
        self._checked.pop(shop_id, None)

    def get(self, shop_id: ShopId) -> ModelRuntime | None:
        if time.monotonic() - self._checked.get(shop_id, -1e9) >= self._check:
            self._checked[shop_id] = time.monotonic()
            self._refresh(shop_id)
        return self._loaded.get(shop_id)

    def _refresh(self, shop_id: ShopId) -> None:
        version = current_version(self._dir, shop_id)
        loaded = self._loaded.get(shop_id)
        if version is None or (loaded is not None and loaded.artefact.version == version):
            return
        try:
            artefact = load_artefact(self._dir, shop_id, version)
        except (OSError, ValueError, KeyError):
            log.exception("model %s of shop %s could not be loaded", version, shop_id)
            return
        runtime = self._loaded[shop_id] = ModelRuntime(artefact, self._trend_days)
        if self.on_load is not None:
            self.on_load(shop_id, runtime)
        settle()
