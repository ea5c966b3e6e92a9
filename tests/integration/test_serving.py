"""Serving on the real model and the real Annoy index, through the GraphQL endpoint."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app.catalog.service import apply_product_change, delete_product
from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.embeddings.service import stale_products
from app.index import neighbours as neighbours_module
from app.index.files import index_folder, read_pointer
from app.index.registry import IndexRegistry
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, at, product
from tests.support import RECOMMEND, SIMILAR, Harness, harness, ids_of

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

CATALOG = [product(pid, title, updated_at=at("2024-01-01T00:00:00+00:00")) for pid, title in MUGS_AND_MORE]
MUGS = {"1", "2", "3", "10"}


@pytest.fixture
async def api(database_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, embedder) as h:
        yield h


async def test_a_mug_gives_mugs_and_cups(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    top = ids_of(await api.graphql(key, SIMILAR, id="1", first=3), "similarProducts")
    assert set(top) == MUGS - {"1"}


async def test_gid_form_and_reasons_and_fresh_ids(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    first = (await api.graphql(key, SIMILAR, id="gid://shopify/Product/6", first=2)).json()
    second = (await api.graphql(key, SIMILAR, id="6", first=2)).json()
    items = first["data"]["similarProducts"]["items"]
    assert items[0]["product"]["id"] == "7"  # candle → candle
    assert all(item["reasons"] and item["reasons"][0]["message"] for item in items)
    assert first["data"]["similarProducts"]["recommendationId"] != second["data"]["similarProducts"]["recommendationId"]


async def test_an_update_is_served_before_the_next_rebuild(api: Harness) -> None:
    shop, key = await api.add_shop(CATALOG)
    async with transaction(api.services.sessions) as session:
        hose = replace(CATALOG[3], title="Stoneware coffee mug", updated_at=at("2024-02-01T00:00:00+00:00"))
        await apply_product_change(session, shop, hose)
    assert await api.embed(shop) == 1  # only the changed product is embedded again
    top = ids_of(await api.graphql(key, SIMILAR, id="1", first=4), "similarProducts")
    assert "4" in top  # the index file still holds the hose; the delta holds the mug


async def test_concurrent_requests_read_an_expired_delta_once(
        api: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    shop, key = await api.add_shop(CATALOG)
    async with transaction(api.services.sessions) as session:
        hose = replace(CATALOG[3], title="Stoneware coffee mug", updated_at=at("2024-02-01T00:00:00+00:00"))
        await apply_product_change(session, shop, hose)
    assert await api.embed(shop) == 1
    neighbours = api.services.neighbours
    reads: list[int] = []
    asked: list[int] = []
    everyone_asked = asyncio.Event()
    load, delta = neighbours._load_delta, neighbours._delta

    async def ask(*args: object) -> neighbours_module.Delta:
        asked.append(1)
        if len(asked) == 10:
            everyone_asked.set()
        return await delta(*args)  # type: ignore[arg-type]

    async def slow_read(*args: object) -> neighbours_module.Delta:
        reads.append(1)
        # As a read does under load: every other request arrives meanwhile.
        await asyncio.wait_for(everyone_asked.wait(), 30)
        return await load(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(neighbours, "_delta", ask)
    monkeypatch.setattr(neighbours, "_load_delta", slow_read)
    clock = time.monotonic() + neighbours_module.DELTA_SECONDS + 1
    monkeypatch.setattr(neighbours_module, "time", SimpleNamespace(monotonic=lambda: clock))
    # whatever was read before has expired
    answers = await asyncio.gather(*(api.graphql(key, SIMILAR, id="1", first=4)
                                     for _ in range(10)))
    assert all("4" in ids_of(a, "similarProducts") for a in answers)  # the delta's mug
    assert len(reads) == 1


async def test_the_index_carries_each_products_neighbours(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)
    model, index_dir = api.embedder.model_name, api.settings.index_dir
    pointer = read_pointer(index_folder(index_dir, shop, model))
    assert pointer is not None and pointer.neighbours_file is not None
    assert pointer.neighbours_search_k == api.settings.annoy_search_k
    lists = np.load(index_folder(index_dir, shop, model) / pointer.neighbours_file)
    assert len(lists) == pointer.item_count == len(CATALOG)
    served = IndexRegistry(index_dir, api.settings.annoy_search_k).current(shop, model)
    # Lists found with another search_k would not be this server's answers: it asks Annoy.
    other = IndexRegistry(index_dir, api.settings.annoy_search_k + 1).current(shop, model)
    assert served is not None and served.index.has_neighbour_lists
    assert other is not None and not other.index.has_neighbour_lists


async def test_a_deleted_product_is_never_served_again(api: Harness) -> None:
    shop, key = await api.add_shop(CATALOG)
    async with transaction(api.services.sessions) as session:
        await delete_product(session, shop, "2")
    for _ in range(2):
        top = ids_of(await api.graphql(key, SIMILAR, id="1", first=9), "similarProducts")
        assert "2" not in top and len(top) == 8
        await api.build(shop)
    missing = (await api.graphql(key, SIMILAR, id="2")).json()
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_unavailable_and_context_products_are_never_recommended(api: Harness) -> None:
    catalog = [replace(c, available=False) if c.platform_id == "3" else c for c in CATALOG]
    _, key = await api.add_shop(catalog)
    top = ids_of(await api.graphql(key, RECOMMEND, placement="PRODUCT", ids=["1", "2"], first=9), "recommendations")
    assert not {"1", "2", "3"} & set(top)
    assert len(top) == 7


async def test_a_tenant_cannot_see_another_tenants_products(api: Harness) -> None:
    await api.add_shop(CATALOG)  # another tenant with the same product ids
    _, key_b = await api.add_shop([product("b1", "Porcelain mug"), product("b2", "Silk scarf")])
    top = ids_of(await api.graphql(key_b, SIMILAR, id="b1", first=10), "similarProducts")
    assert top == ["b2"]
    other = (await api.graphql(key_b, SIMILAR, id="1")).json()
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    product_query = "query($id: ID!) { product(id: $id) { id title } }"
    assert (await api.graphql(key_b, product_query, id="1")).json()["data"]["product"] is None


async def test_index_swap_while_queries_run(api: Harness) -> None:
    shop, key = await api.add_shop(CATALOG)
    stop = asyncio.Event()
    answered: list[list[str]] = []

    async def query_until_stopped() -> None:
        while not stop.is_set():  # about 100 queries a second each: within the rate limits
            answered.append(ids_of(await api.graphql(key, SIMILAR, id="1", first=3), "similarProducts"))
            await asyncio.sleep(0.01)

    def served_version() -> int | None:
        served = api.services.registry.current(shop, api.embedder.model_name)
        return None if served is None else served.index.version

    readers = [asyncio.create_task(query_until_stopped()) for _ in range(3)]
    versions = []
    for _ in range(4):
        versions.append(await api.build(shop))
        await answered_more(answered, 3)  # queries ran on this version
    await eventually(lambda: served_version() == versions[-1])
    stop.set()
    await asyncio.gather(*readers)
    assert versions[-1] == versions[0] + 3
    assert len(answered) >= 12 and all(set(a) == MUGS - {"1"} for a in answered)


async def answered_more(answered: list[list[str]], count: int) -> None:
    more = len(answered) + count
    await eventually(lambda: len(answered) >= more)


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (a failure if it never holds)."""
    async with asyncio.timeout(30):
        while not condition():
            await asyncio.sleep(0.01)


async def test_unchanged_products_are_never_embedded_again(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)
    assert await api.embed(shop) == 0
    async with transaction(api.services.sessions) as session:
        assert await stale_products(session, shop, api.embedder.model_name) == []


async def test_aligned_vectors_are_the_current_vectors_row_by_row(api: Harness) -> None:
    shop, _ = await api.add_shop(CATALOG)
    async with transaction(api.services.sessions) as session:
        hose = replace(CATALOG[3], title="Stoneware coffee mug", updated_at=at("2024-02-01T00:00:00+00:00"))
        await apply_product_change(session, shop, hose)
    assert await api.embed(shop) == 1  # product 4's new vector is in the delta only
    neighbours = api.services.neighbours
    async with transaction(api.services.sessions) as session:
        rows = (await api.services.catalogs.catalog(session, shop)).products(["1", "4"])
        keys = [rows["1"].id, 999_999, rows["4"].id]  # 999_999: no such product
        by_key = await neighbours.vectors_of(session, shop, keys)
        aligned = await neighbours.aligned_vectors(session, shop, keys)
    served = IndexRegistry(api.settings.index_dir, api.settings.annoy_search_k).current(
        shop, api.embedder.model_name)
    assert served is not None
    indexed = served.index.vectors([rows["4"].id])[rows["4"].id]
    assert aligned.present.tolist() == [True, False, True] and aligned.keys.tolist() == keys
    assert np.array_equal(aligned.matrix[0], by_key[keys[0]])
    assert not aligned.matrix[1].any()
    assert np.array_equal(aligned.matrix[2], by_key[keys[2]])
    assert not np.allclose(aligned.matrix[2], indexed)  # the delta's, not the index file's
