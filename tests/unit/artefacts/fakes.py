"""An artefact store in memory: what a second machine would read, without a database."""

import asyncio
from pathlib import Path

from app.artefacts.protocol import ArtefactKind, ArtefactUnavailable, Sources, VersionRef
from app.ids import ShopId


class MemoryArtefactStore:
    shared = True

    def __init__(self) -> None:
        self.versions: dict[VersionRef, dict[str, bytes]] = {}
        self.looks = 0
        self.looked = asyncio.Event()

    async def publish(self, ref: VersionRef, files: Sources) -> bool:
        if ref in self.versions:
            return False
        self.versions[ref] = {name: source if isinstance(source, bytes) else source.read_bytes()
                              for name, source in files.items()}
        return True

    async def newest(self) -> list[VersionRef]:
        self.looks += 1
        self.looked.set()
        last: dict[tuple[ShopId, ArtefactKind, str], VersionRef] = {}
        for ref in self.versions:  # in publishing order
            last[ref.shop_id, ref.kind, ref.name] = ref
        return list(last.values())

    async def download(self, ref: VersionRef, into: Path) -> None:
        if ref not in self.versions:
            raise ArtefactUnavailable("not published")
        for name, content in self.versions[ref].items():
            (into / name).write_bytes(content)

    async def retain(self, shop_id: ShopId, kind: ArtefactKind, name: str, keep: int) -> int:
        mine = [r for r in self.versions if (r.shop_id, r.kind, r.name) == (shop_id, kind, name)]
        for ref in mine[:max(len(mine) - keep, 0)]:
            del self.versions[ref]
        return max(len(mine) - keep, 0)

    async def forget(self, shop_id: ShopId) -> None:
        for ref in [r for r in self.versions if r.shop_id == shop_id]:
            del self.versions[ref]
