"""What a process does with published versions, against a store in memory: fetch what its
folders lack, never go back to an older version, refuse what is not the version it
claims to be, and look again when a version is announced."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.artefacts.fetch import ArtefactSync
from app.artefacts.index_versions import IndexVersions
from app.artefacts.local import LocalArtefactStore
from app.artefacts.manifest import read_manifest
from app.artefacts.model_versions import MODEL_NAME, ModelVersions
from app.artefacts.protocol import ArtefactKind, ArtefactStore, ArtefactUnavailable, VersionRef
from app.ids import ShopId
from app.ranking.artefact import (
    ModelArtefact,
    current_version,
    load_artefact,
    save_artefact,
    scrub_customers,
)
from app.ranking.history import OrderRecord
from app.ranking.training import TrainingParams, train
from tests.unit.artefacts.fakes import MemoryArtefactStore

SHOP = ShopId(7)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def model(version: str) -> ModelArtefact:
    orders = [OrderRecord("o1", "a", T0, ("mug", "cup")), OrderRecord("o2", "b", T0, ("mug",))]
    return train(orders, ["mug", "cup", "tea"], T0, version, TrainingParams(factors=2,
                                                                          iterations=1))


class Machine:
    """One machine's models folder and its sync, noting what it was told to load."""

    def __init__(self, folder: Path, store: ArtefactStore, keep: int = 2) -> None:
        self.folder = folder
        self.loaded: list[ShopId] = []
        self.sync = ArtefactSync(
            store, [IndexVersions(folder / "indexes"), ModelVersions(folder / "models")],
            loaded={ArtefactKind.INDEX: self.loaded.append,
                    ArtefactKind.MODEL: self.loaded.append},
            names={ArtefactKind.INDEX: "fake", ArtefactKind.MODEL: MODEL_NAME},
            keep=keep, poll_seconds=3600)

    def train(self, version: str) -> None:
        save_artefact(self.folder / "models", SHOP, model(version))

    @property
    def current(self) -> str | None:
        return current_version(self.folder / "models", SHOP)

    def staging_left(self) -> list[Path]:
        return list((self.folder / "models").rglob(".fetch-*"))


@pytest.fixture
def store() -> MemoryArtefactStore:
    return MemoryArtefactStore()


@pytest.fixture
def pair(tmp_path: Path, store: MemoryArtefactStore) -> Iterator[tuple[Machine, Machine]]:
    yield Machine(tmp_path / "a", store), Machine(tmp_path / "b", store)


async def test_the_newest_published_version_is_fetched_once(
        pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.train("20260101T000000-2")
    assert await a.sync.publish_model(SHOP, "20260101T000000-2")
    assert await a.sync.check() == 0  # the builder has it
    assert await b.sync.check() == 1
    assert b.current == "20260101T000000-2" and b.loaded == [SHOP]
    fetched = load_artefact(b.folder / "models", SHOP, "20260101T000000-2")
    assert fetched.product_ids == ["mug", "cup", "tea"]
    assert await b.sync.check() == 0
    assert b.staging_left() == []


async def test_an_older_published_version_never_replaces_a_newer_local_one(
        pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.train("20260101T000000-2")
    await a.sync.publish_model(SHOP, "20260101T000000-2")
    b.train("20260102T000000-3")  # trained here; its publish failed
    assert await b.sync.check() == 0
    assert b.current == "20260102T000000-3"


async def test_a_version_that_is_not_what_it_claims_is_refused(
        pair: tuple[Machine, Machine], store: MemoryArtefactStore) -> None:
    a, b = pair
    a.train("20260101T000000-2")
    files = (a.folder / "models" / f"shop-{SHOP}" / "20260101T000000-2")
    forged = VersionRef(SHOP, ArtefactKind.MODEL, MODEL_NAME, "20260105T000000-9")
    await store.publish(forged, {"header.json": files / "header.json",
                                 "model.npz": files / "model.npz"})
    assert await b.sync.check() == 0
    assert b.current is None and b.loaded == []
    assert b.staging_left() == []


async def test_publishing_keeps_the_newest_versions(tmp_path: Path,
                                                    store: MemoryArtefactStore) -> None:
    a = Machine(tmp_path, store, keep=2)
    for day in (1, 2, 3):
        a.train(f"2026010{day}T000000-2")
        assert await a.sync.publish_model(SHOP, f"2026010{day}T000000-2")
    assert [r.version for r in store.versions] == ["20260102T000000-2", "20260103T000000-2"]
    assert not await a.sync.publish_model(SHOP, "20260103T000000-2")  # published already
    assert not await a.sync.publish_model(SHOP, "20251231T000000-1")  # not on disk


async def test_a_scrubbed_model_replaces_every_version_that_names_the_customer(
        pair: tuple[Machine, Machine], store: MemoryArtefactStore) -> None:
    a, b = pair
    for day in (1, 2):
        a.train(f"2026010{day}T000000-2")
        await a.sync.publish_model(SHOP, f"2026010{day}T000000-2")
        assert await b.sync.check() == 1
    assert scrub_customers(a.folder / "models", SHOP, {"a"}) == 1
    scrubbed = a.current
    assert scrubbed is not None and scrubbed.startswith("20260102T000000-2~")
    assert await a.sync.publish_scrubbed_model(SHOP)
    assert [r.version for r in store.versions] == [scrubbed]
    assert await b.sync.check() == 1
    assert b.current == scrubbed
    assert [p.name for p in (b.folder / "models" / f"shop-{SHOP}").iterdir()
            if p.is_dir()] == [scrubbed]
    assert load_artefact(b.folder / "models", SHOP, scrubbed).customer_ids == ["b"]


async def test_a_shop_erased_leaves_no_published_version(
        pair: tuple[Machine, Machine], store: MemoryArtefactStore) -> None:
    a, _ = pair
    a.train("20260101T000000-2")
    await a.sync.publish_model(SHOP, "20260101T000000-2")
    await a.sync.forget_shop(SHOP)
    assert store.versions == {}


async def test_an_announcement_brings_the_check_forward(pair: tuple[Machine, Machine],
                                                        store: MemoryArtefactStore) -> None:
    a, b = pair
    stop = asyncio.Event()
    running = asyncio.create_task(b.sync.run_forever(stop))
    await store.looked.wait()  # the first check, on starting
    store.looked.clear()
    a.train("20260101T000000-2")
    await a.sync.publish_model(SHOP, "20260101T000000-2")
    b.sync.announced(ArtefactKind.MODEL)(SHOP, "20260101T000000-2")
    await store.looked.wait()  # long before the hour's poll
    stop.set()
    await running
    assert b.current == "20260101T000000-2" and b.loaded == [SHOP]


async def test_the_local_store_shares_nothing(tmp_path: Path) -> None:
    machine = Machine(tmp_path, LocalArtefactStore())
    machine.train("20260101T000000-2")
    assert not await machine.sync.publish_model(SHOP, "20260101T000000-2")
    machine.sync.announced(ArtefactKind.INDEX)(SHOP, "3")  # on this disk already: reload
    assert machine.loaded == [SHOP]
    await machine.sync.run_forever(asyncio.Event())  # returns at once: nothing to watch
    assert await machine.sync.check() == 0


@pytest.mark.parametrize("entry", [
    {"name": "../escape", "size": 1, "sha256": "0" * 64, "chunks": 1},
    {"name": ".hidden", "size": 1, "sha256": "0" * 64, "chunks": 1},
    {"name": "a/b", "size": 1, "sha256": "0" * 64, "chunks": 1},
    {"name": "ok", "size": -1, "sha256": "0" * 64, "chunks": 1},
    {"name": "ok", "size": 1, "sha256": "not hex", "chunks": 1},
    {"name": "ok", "size": 1, "sha256": "0" * 64, "chunks": 10**9},
])
def test_a_manifest_out_of_bounds_is_unavailable(entry: dict[str, object]) -> None:
    with pytest.raises(ArtefactUnavailable):
        read_manifest([entry])
    assert read_manifest([{**entry, "name": "ok", "size": 1, "sha256": "0" * 64,
                           "chunks": 1}])[0].name == "ok"
