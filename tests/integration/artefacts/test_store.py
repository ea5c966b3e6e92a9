"""The PostgreSQL artefact store: files round-trip through chunks, one version is
published once however many publish it at the same time, and old versions are deleted."""

import asyncio
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.artefacts.models import ArtefactChunk, ArtefactVersion
from app.artefacts.postgres import PostgresArtefactStore
from app.artefacts.protocol import ArtefactKind, ArtefactUnavailable, VersionRef
from app.ids import ShopId
from app.storage.database import transaction
from tests.factories import make_shop
from tests.support import Harness

CHUNK = 1000
FILES: dict[str, Path | bytes] = {"a.bin": bytes(range(256)) * 20, "empty.bin": b""}


async def a_shop(machine: Harness) -> ShopId:
    async with transaction(machine.services.sessions) as session:
        return ShopId((await make_shop(session)).shop.id)


def ref(shop: ShopId, version: str) -> VersionRef:
    return VersionRef(shop, ArtefactKind.INDEX, "model-x", version)


async def count(machine: Harness, table: type[ArtefactVersion] | type[ArtefactChunk]) -> int:
    async with transaction(machine.services.sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_files_round_trip_in_chunks(machines: tuple[Harness, Harness],
                                          tmp_path: Path) -> None:
    a, b = machines
    shop = await a_shop(a)
    on_disk = tmp_path / "big.bin"
    on_disk.write_bytes(b"x" * (3 * CHUNK + 7))
    assert await PostgresArtefactStore(a.services.sessions, CHUNK).publish(
        ref(shop, "1"), {**FILES, "big.bin": on_disk})
    assert await count(a, ArtefactChunk) == 6 + 4  # 5120 bytes, then 3007: none for empty

    into = tmp_path / "fetched"
    into.mkdir()
    await PostgresArtefactStore(b.services.sessions, CHUNK).download(ref(shop, "1"), into)
    assert (into / "a.bin").read_bytes() == FILES["a.bin"]
    assert (into / "empty.bin").read_bytes() == b""
    assert (into / "big.bin").read_bytes() == on_disk.read_bytes()


async def test_a_missing_chunk_makes_the_version_unavailable(
        machines: tuple[Harness, Harness], tmp_path: Path) -> None:
    a, b = machines
    shop = await a_shop(a)
    store = PostgresArtefactStore(a.services.sessions, CHUNK)
    assert await store.publish(ref(shop, "1"), FILES)
    async with transaction(a.services.sessions) as session:
        chunk = await session.scalar(select(ArtefactChunk).where(ArtefactChunk.chunk_no == 3))
        assert chunk is not None
        await session.delete(chunk)
    with pytest.raises(ArtefactUnavailable):
        await PostgresArtefactStore(b.services.sessions, CHUNK).download(ref(shop, "1"),
                                                                         tmp_path)
    with pytest.raises(ArtefactUnavailable):  # and one never published
        await store.download(ref(shop, "2"), tmp_path / "other")


async def test_a_version_published_at_once_by_two_machines_is_stored_once(
        machines: tuple[Harness, Harness]) -> None:
    a, b = machines
    shop = await a_shop(a)
    stores = [PostgresArtefactStore(m.services.sessions, CHUNK) for m in (a, b)]
    outcomes = await asyncio.gather(*(s.publish(ref(shop, "7"), FILES) for s in stores))
    assert sorted(outcomes) == [False, True]
    assert await count(a, ArtefactVersion) == 1
    assert await count(a, ArtefactChunk) == 6
    assert not await stores[0].publish(ref(shop, "7"), FILES)  # and later, again


async def test_retention_keeps_the_newest_versions(machines: tuple[Harness, Harness]) -> None:
    a, _ = machines
    shop, other = await a_shop(a), await a_shop(a)
    store = PostgresArtefactStore(a.services.sessions, CHUNK)
    for version in range(1, 6):
        assert await store.publish(ref(shop, str(version)), FILES)
    assert await store.publish(ref(other, "1"), FILES)
    assert await store.retain(shop, ArtefactKind.INDEX, "model-x", keep=2) == 3
    async with transaction(a.services.sessions) as session:
        kept = list((await session.execute(
            select(ArtefactVersion.shop_id, ArtefactVersion.version)
            .order_by(ArtefactVersion.id))).all())
    assert kept == [(shop, "4"), (shop, "5"), (other, "1")]
    assert await count(a, ArtefactChunk) == 3 * 6  # the deleted versions' chunks went too
    assert {(r.shop_id, r.version) for r in await store.newest()} == {(shop, "5"), (other, "1")}
    digest = hashlib.sha256(FILES["a.bin"]).hexdigest()  # type: ignore[arg-type]
    async with transaction(a.services.sessions) as session:
        manifest = await session.scalar(select(ArtefactVersion.manifest).where(
            ArtefactVersion.shop_id == other))
    assert manifest is not None
    assert {"name": "a.bin", "size": 5120, "sha256": digest, "chunks": 6} in manifest


async def test_a_shop_forgotten_leaves_the_other_shops_versions(
        machines: tuple[Harness, Harness]) -> None:
    a, _ = machines
    shop, other = await a_shop(a), await a_shop(a)
    store = PostgresArtefactStore(a.services.sessions, CHUNK)
    for owner in (shop, other):
        assert await store.publish(ref(owner, "1"), FILES)
    await store.forget(shop)
    assert [(r.shop_id, r.version) for r in await store.newest()] == [(other, "1")]
    assert await count(a, ArtefactChunk) == 6
