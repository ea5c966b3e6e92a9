"""Keeps a machine's index and model folders in step with the artefact store.

The builder publishes a version right after making it current; every other process fetches
the newest published version its folders lack: written into a staging folder beside the
versions, checked file by file, renamed into place, the pointer moved, then the registry
or the model store told to load it. A download that fails (a chunk missing, a checksum
wrong, the version deleted meanwhile) is discarded and tried again on the next check; the
version being served stays. A check runs when a version is announced (Redis) and every
``poll_seconds`` otherwise: one query for all shops."""

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app.artefacts.local_versions import STAGING_PREFIX, LocalVersions, clear_stale_staging
from app.artefacts.protocol import ArtefactKind, ArtefactStore, ArtefactUnavailable, VersionRef
from app.ids import ShopId

log = logging.getLogger(__name__)
Loaded = Callable[[ShopId], None]
"""Told that the shop has a new current version on disk (loads it on its next look)."""


class ArtefactSync:
    def __init__(self, store: ArtefactStore, versions: Sequence[LocalVersions],
                 loaded: Mapping[ArtefactKind, Loaded], names: Mapping[ArtefactKind, str],
                 keep: int, poll_seconds: float) -> None:
        """``names``: the name of each kind this process serves (the index of its
        embedding model). ``keep``: published versions kept per shop and kind."""
        self._store = store
        self._versions = {v.kind: v for v in versions}
        self._loaded = loaded
        self._names = names
        self._keep = keep
        self._poll = poll_seconds
        self._wake = asyncio.Event()

    @property
    def shared(self) -> bool:
        return self._store.shared

    async def publish_index(self, shop_id: ShopId, version: int) -> bool:
        return await self.publish(ArtefactKind.INDEX, shop_id, str(version))

    async def publish_model(self, shop_id: ShopId, version: str) -> bool:
        return await self.publish(ArtefactKind.MODEL, shop_id, version)

    async def publish(self, kind: ArtefactKind, shop_id: ShopId, version: str) -> bool:
        """Upload the local version (if still on disk) and drop the published ones past
        the last ``keep``; ``False`` if it was not published now. A failure is logged: the
        version serves here, and the next one is published in its turn."""
        if not self.shared:
            return False
        ref = VersionRef(shop_id, kind, self._names[kind], version)
        local = self._versions[kind]
        try:
            files = await asyncio.to_thread(local.sources, shop_id, ref.name, version)
            if files is None:
                return False
            published = await self._store.publish(ref, files)
            await self._store.retain(shop_id, kind, ref.name, self._keep)
        except (OSError, SQLAlchemyError):
            log.exception("shop %s: %s version could not be published", shop_id, kind.value)
            return False
        if published:
            log.info("shop %s: %s v%s published", shop_id, kind.value, version)
        return published

    async def publish_scrubbed_model(self, shop_id: ShopId) -> bool:
        """After customers were erased from the shop's model here (a rewritten current
        version): publish that version and delete every older published one, which may
        name them. Servers that fetch it delete their older versions too."""
        if not self.shared:
            return False
        local, name = self._versions[ArtefactKind.MODEL], self._names[ArtefactKind.MODEL]
        version = await asyncio.to_thread(local.current, shop_id, name)
        files = (None if version is None
                 else await asyncio.to_thread(local.sources, shop_id, name, version))
        if version is None or files is None:  # no model here: every published one goes
            await self._store.retain(shop_id, ArtefactKind.MODEL, name, keep=0)
            return False
        # Failures raise: the erasure is not done until the older versions are gone.
        published = await self._store.publish(
            VersionRef(shop_id, ArtefactKind.MODEL, name, version), files)
        await self._store.retain(shop_id, ArtefactKind.MODEL, name, keep=1)
        return published

    async def forget_shop(self, shop_id: ShopId) -> None:
        """Every published version of the shop deleted (the shop was erased)."""
        await self._store.forget(shop_id)

    def announced(self, kind: ArtefactKind) -> Callable[[ShopId, str], None]:
        """The reload of an announcement: with a shared store, a check now (the version is
        fetched first); otherwise the version is on this disk already."""
        def reload(shop_id: ShopId, _version: str) -> None:
            if self.shared:
                self._wake.set()
            else:
                self._loaded[kind](shop_id)
        return reload

    async def check(self) -> int:
        """Fetch every newest published version the local folders lack; returns how many
        were installed."""
        fetched = 0
        for ref in await self._store.newest():
            if ref.kind in self._versions and ref.name == self._names.get(ref.kind):
                fetched += await self._bring(ref)
        return fetched

    async def _bring(self, ref: VersionRef) -> bool:
        local = self._versions[ref.kind]
        current = await asyncio.to_thread(local.current, ref.shop_id, ref.name)
        if current is not None and not local.is_newer(ref.version, current):
            return False
        parent = await asyncio.to_thread(local.staging_parent, ref.shop_id, ref.name)
        await asyncio.to_thread(clear_stale_staging, parent)
        staged = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
        try:
            await self._store.download(ref, staged)
            await asyncio.to_thread(local.install, ref.shop_id, ref.name, ref.version, staged)
        except (ArtefactUnavailable, OSError) as error:
            log.warning("shop %s: %s v%s not fetched (%s); the current one keeps serving",
                        ref.shop_id, ref.kind.value, ref.version, error)
            return False
        finally:
            await asyncio.to_thread(shutil.rmtree, staged, True)
        self._loaded[ref.kind](ref.shop_id)
        log.info("shop %s: %s v%s fetched", ref.shop_id, ref.kind.value, ref.version)
        return True

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Checks every ``poll_seconds`` and at each announcement, until ``stop``."""
        if not self.shared:
            return
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.check()
            except Exception:  # the database away: the next check tries again
                log.exception("checking for published versions failed")
            await _first_of(stop, self._wake, self._poll)


async def _first_of(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
