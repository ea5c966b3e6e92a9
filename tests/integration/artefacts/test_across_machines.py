"""An index or a model built on one machine serves on another that shares only the
database; a version that arrives corrupt is discarded and the old one keeps serving."""

import asyncio
from pathlib import Path

from sqlalchemy import select, update

from app.artefacts.models import ArtefactChunk, ArtefactVersion
from app.catalog.service import apply_product_changes
from app.entry_points import catalog_work
from app.ids import ShopId
from app.index.files import index_folder
from app.ranking.artefact import shop_folder
from app.storage.database import transaction
from app.worker import CatalogWorker
from tests.factories import make_shop
from tests.integration.artefacts.support import CATALOG, shop_with_a_trained_model
from tests.support import SIMILAR, Harness, ids_of


async def new_shop(machine: Harness) -> tuple[ShopId, str]:
    """A shop with its catalog and no index yet."""
    async with transaction(machine.services.sessions) as session:
        created = await make_shop(session)
        shop = ShopId(created.shop.id)
        await apply_product_changes(session, shop, CATALOG)
    return shop, created.storefront_key


def index_of(machine: Harness, shop: ShopId, look_again: bool = False) -> int | None:
    """The index version the machine serves (``look_again``: its pointer read now rather
    than after the registry's check interval; a fetch makes it look again itself)."""
    if look_again:
        machine.services.registry.recheck(shop)
    served = machine.services.registry.current(shop, machine.embedder.model_name)
    return None if served is None else served.index.version


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.glob(".fetch-*")]


async def test_an_index_built_by_the_worker_serves_on_another_machine(
        machines: tuple[Harness, Harness]) -> None:
    a, b = machines
    shop, key = await new_shop(a)
    worker = CatalogWorker(catalog_work(a.services), lambda: a.embedder)
    await worker.run_once()  # embeds, builds v1 and publishes it
    assert index_of(a, shop, look_again=True) == 1
    assert index_of(b, shop) is None

    assert await b.services.artefacts.check() == 1
    assert index_of(b, shop) == 1
    here = ids_of(await a.graphql(key, SIMILAR, id="1", first=3), "similarProducts")
    there = ids_of(await b.graphql(key, SIMILAR, id="1", first=3), "similarProducts")
    assert there and there == here
    # Answered by the fetched index itself, as the builder's answers.
    built, fetched = (m.services.registry.current(shop, m.embedder.model_name) for m in (a, b))
    assert built is not None and fetched is not None
    assert fetched.keys == built.keys and len(fetched.keys) == len(CATALOG)
    for item in sorted(built.keys):
        vector = built.index.vector(item)
        assert vector is not None
        assert fetched.index.nearest(vector, 4) == built.index.nearest(vector, 4)
    folder = index_folder(b.settings.index_dir, shop, b.embedder.model_name)
    assert leftovers(folder) == []
    assert await b.services.artefacts.check() == 0  # nothing newer: nothing fetched


async def test_a_trained_model_serves_on_another_machine(
        machines: tuple[Harness, Harness]) -> None:
    a, b = machines
    shop = await shop_with_a_trained_model(a)  # its index built here, never published
    trained = a.services.models.get(shop)
    assert trained is not None
    assert b.services.models.get(shop) is None

    assert await b.services.artefacts.check() == 1  # the model: the index was not published
    served = b.services.models.get(shop)
    assert served is not None
    assert served.artefact.version == trained.artefact.version
    assert served.artefact.customer_ids == trained.artefact.customer_ids
    assert (served.artefact.item_factors == trained.artefact.item_factors).all()
    assert leftovers(shop_folder(b.services.models_dir, shop)) == []


async def test_a_corrupt_version_is_discarded_and_the_old_one_keeps_serving(
        machines: tuple[Harness, Harness]) -> None:
    a, b = machines
    shop, key = await a.add_shop(CATALOG)
    assert await a.services.artefacts.publish_index(shop, 1)
    assert await b.services.artefacts.check() == 1
    assert await a.build(shop) == 2
    assert await a.services.artefacts.publish_index(shop, 2)

    async with transaction(a.services.sessions) as session:
        version_id = await session.scalar(select(ArtefactVersion.id).where(
            ArtefactVersion.shop_id == shop, ArtefactVersion.version == "2"))
        where = (ArtefactChunk.version_id == version_id,
                 ArtefactChunk.file_name == "v000002.keys.npy", ArtefactChunk.chunk_no == 0)
        original = await session.scalar(select(ArtefactChunk.data).where(*where))
        assert original is not None
        flipped = original[:-1] + bytes([original[-1] ^ 0xFF])
        await session.execute(update(ArtefactChunk).where(*where).values(data=flipped))

    assert await b.services.artefacts.check() == 0
    assert index_of(b, shop) == 1
    assert ids_of(await b.graphql(key, SIMILAR, id="1", first=3), "similarProducts")
    folder = index_folder(b.settings.index_dir, shop, b.embedder.model_name)
    assert leftovers(folder) == []
    assert not list(folder.glob("v000002.*"))

    async with transaction(a.services.sessions) as session:  # the chunk as it was
        await session.execute(update(ArtefactChunk).where(*where).values(data=original))
    assert await b.services.artefacts.check() == 1  # tried again, and whole this time
    assert index_of(b, shop) == 2


async def test_a_running_server_fetches_on_its_own(machines: tuple[Harness, Harness]) -> None:
    a, b = machines
    shop, _ = await a.add_shop(CATALOG)
    async with b.app.router.lifespan_context(b.app):
        assert await a.services.artefacts.publish_index(shop, 1)
        for _ in range(400):  # bounded: the server's own periodic check brings it
            if index_of(b, shop) == 1:
                break
            await asyncio.sleep(0.05)
    assert index_of(b, shop) == 1
