"""The default store: nothing leaves the machine (servers read the builder's folders)."""

from pathlib import Path

from app.artefacts.protocol import ArtefactKind, ArtefactUnavailable, Sources, VersionRef
from app.ids import ShopId


class LocalArtefactStore:
    shared = False

    async def publish(self, ref: VersionRef, files: Sources) -> bool:
        return False

    async def newest(self) -> list[VersionRef]:
        return []

    async def download(self, ref: VersionRef, into: Path) -> None:
        raise ArtefactUnavailable("the local store holds no versions")

    async def retain(self, shop_id: ShopId, kind: ArtefactKind, name: str, keep: int) -> int:
        return 0

    async def forget(self, shop_id: ShopId) -> None:
        return None
