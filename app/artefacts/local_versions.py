"""What a kind of version looks like in the local folders: which version is current, which
files make one, and how a downloaded one is put in place (``index_versions``,
``model_versions``)."""

import shutil
import time
from pathlib import Path
from typing import Protocol

from app.artefacts.protocol import ArtefactKind, Sources
from app.ids import ShopId

STAGING_PREFIX = ".fetch-"
STALE_STAGING_SECONDS = 3600.0


class LocalVersions(Protocol):
    kind: ArtefactKind

    def current(self, shop_id: ShopId, name: str) -> str | None:
        """The version the local pointer names, if any."""
        ...

    def is_newer(self, candidate: str, current: str) -> bool:
        ...

    def sources(self, shop_id: ShopId, name: str, version: str) -> Sources | None:
        """The version's files as they are on disk now (``None``: gone, or not current)."""
        ...

    def staging_parent(self, shop_id: ShopId, name: str) -> Path:
        """Where a download is written first: beside the versions, so that moving it into
        place is a rename on one filesystem."""
        ...

    def install(self, shop_id: ShopId, name: str, version: str, staged: Path) -> None:
        """Move the downloaded version's files into place and make it current
        (``ArtefactUnavailable`` if they do not make that version)."""
        ...


def clear_stale_staging(parent: Path, now: float | None = None) -> None:
    """Downloads a killed process left behind (those of running ones are younger)."""
    moment = time.time() if now is None else now
    for folder in parent.glob(f"{STAGING_PREFIX}*"):
        try:
            if moment - folder.stat().st_mtime > STALE_STAGING_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue
