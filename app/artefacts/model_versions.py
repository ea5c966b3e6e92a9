"""Model versions in the local models folder (``app.ranking.artefact``): a version is its
folder (``header.json`` and ``model.npz``); installed by renaming the downloaded folder
beside the others and moving the pointer, keeping one older version as training does."""

import json
import re
from pathlib import Path

from app.artefacts.protocol import ArtefactKind, ArtefactUnavailable, Sources
from app.crypto.file_modes import private_folder
from app.ids import ShopId
from app.ranking.artefact import adopt_version, current_version, shop_folder

MODEL_NAME = "ranking"
"""The one model kind of a shop (the name column leaves room for others)."""
FILES = ("header.json", "model.npz")
VERSION = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._~-]{0,199}")


class ModelVersions:
    kind = ArtefactKind.MODEL

    def __init__(self, models_dir: Path) -> None:
        self._models_dir = models_dir

    def current(self, shop_id: ShopId, name: str) -> str | None:
        return current_version(self._models_dir, shop_id)

    def is_newer(self, candidate: str, current: str) -> bool:
        """Versions start with their training time (``YYYYmmddTHHMMSS``), and a scrubbed
        rewrite adds ``~`` and its own time: later versions sort after earlier ones."""
        return candidate > current

    def sources(self, shop_id: ShopId, name: str, version: str) -> Sources | None:
        folder = shop_folder(self._models_dir, shop_id) / version
        if not all((folder / f).is_file() for f in FILES):
            return None
        return {f: folder / f for f in FILES}

    def staging_parent(self, shop_id: ShopId, name: str) -> Path:
        return private_folder(shop_folder(self._models_dir, shop_id))

    def install(self, shop_id: ShopId, name: str, version: str, staged: Path) -> None:
        if VERSION.fullmatch(version) is None:
            raise ArtefactUnavailable("the version's name is not a folder name")
        if sorted(p.name for p in staged.iterdir()) != sorted(FILES):
            raise ArtefactUnavailable("the version's files are not a model's")
        try:
            header = json.loads((staged / "header.json").read_text())
        except ValueError as error:
            raise ArtefactUnavailable("the version's header is malformed") from error
        if not isinstance(header, dict) or header.get("version") != version:
            raise ArtefactUnavailable("the version's header does not name it")
        adopt_version(self._models_dir, shop_id, staged, version)
