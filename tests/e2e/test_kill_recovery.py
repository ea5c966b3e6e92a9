"""kill -9 at the worst moments, with real processes on a real database: a server under a
stream of signed deliveries, the inbox processor in the middle of its backlog, the worker
in the middle of an index build. Whatever was acknowledged is applied exactly once, nothing
is left half taken, and the index served is always a whole version."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from annoy import AnnoyIndex
from sqlalchemy import func, select

from app.catalog.models import Product, Variant
from app.embeddings.service import embed_stale_products
from app.ids import ShopId
from app.index.files import IndexPointer, index_folder, read_pointer
from app.ingestion.models import DONE, InboxDelivery
from app.privacy.models import CustomerExport
from tests.e2e.processes import Affinity, kill, stop
from tests.fakes import HashingEmbedder
from tests.integration.webhooks.support import SECRET, body_of, payload, shopify_headers

pytestmark = pytest.mark.e2e

DOMAIN = "kill-test.myshopify.com"
PRODUCTS = 200
VARIANTS = 12  # per product: an apply does some work, so that a kill lands inside one
DATA_REQUEST_EVERY = 8  # a data request stores one export per application: a repeat shows
IN_FLIGHT = 8
WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    topic: str
    body: bytes

    def headers(self) -> dict[str, str]:
        headers = shopify_headers(DOMAIN, self.topic, self.body, webhook_id=self.webhook_id,
                                  event_id=self.webhook_id)
        headers["X-Shopify-Triggered-At"] = datetime.now(UTC).isoformat()
        return headers


def product_delivery(number: int) -> Delivery:
    product = json.loads(payload("shopify", "products_create.json"))
    product_id = 7_000_000 + number
    variant = product["variants"][0]
    product.update(id=product_id, title=f"Crash test product {number}", handle=f"crash-{number}",
                   admin_graphql_api_id=f"gid://shopify/Product/{product_id}")
    product["variants"] = [
        {**variant, "id": product_id * 100 + v, "inventory_item_id": product_id * 100 + v,
         "product_id": product_id, "title": f"Size {v}", "sku": f"CRASH-{number}-{v}"}
        for v in range(VARIANTS)
    ]
    return Delivery(f"product-{number}", "products/create", body_of(product))


def data_request_delivery(number: int) -> Delivery:
    request = json.loads(payload("shopify", "customers_data_request.json", shop=DOMAIN))
    request["data_request"]["id"] = data_request_id(number)
    return Delivery(f"data-request-{number}", "customers/data_request", body_of(request))


def data_request_id(number: int) -> int:
    return 50_000 + number


def delivery_stream() -> list[Delivery]:
    deliveries = []
    for number in range(PRODUCTS):
        deliveries.append(product_delivery(number))
        if number % DATA_REQUEST_EVERY == 0:
            deliveries.append(data_request_delivery(number))
    return deliveries


def expected_request_ids() -> list[str]:
    return sorted(str(data_request_id(n)) for n in range(0, PRODUCTS, DATA_REQUEST_EVERY))


async def send(affinity: Affinity, deliveries: list[Delivery],
               kill_after: int | None = None) -> list[Delivery]:
    """Post the deliveries, ``IN_FLIGHT`` at a time, as Shopify does; with ``kill_after``,
    SIGKILL the server once that many were acknowledged. Returns the unacknowledged ones,
    which Shopify would send again."""
    acknowledged: set[str] = set()
    limit = asyncio.Semaphore(IN_FLIGHT)

    async def post(client: httpx.AsyncClient, delivery: Delivery) -> None:
        async with limit:
            try:
                response = await client.post("/webhooks/shopify", content=delivery.body,
                                             headers=delivery.headers())
            except httpx.TransportError:
                return
            if response.is_success:
                acknowledged.add(delivery.webhook_id)
                if len(acknowledged) == kill_after:
                    affinity.kill()

    async with httpx.AsyncClient(base_url=affinity.url, timeout=30) as client:
        await asyncio.gather(*(post(client, delivery) for delivery in deliveries))
    return [d for d in deliveries if d.webhook_id not in acknowledged]


async def eventually(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT_SECONDS:.0f} s: {what}")
        await asyncio.sleep(0.02)


async def assert_applied_exactly_once(affinity: Affinity, deliveries: list[Delivery]) -> None:
    """Every delivery taken once (none pending, none parked), every product there with all
    its variants, and one export per data request: a second application adds a second."""
    shop_id = await affinity.shop_id(DOMAIN)
    async with affinity.session() as session:
        statuses = dict((await session.execute(
            select(InboxDelivery.status, func.count()).where(InboxDelivery.shop_id == shop_id)
            .group_by(InboxDelivery.status))).all())
        request_ids = (await session.execute(select(CustomerExport.request_id).where(
            CustomerExport.shop_id == shop_id))).scalars().all()
    assert statuses == {DONE: len(deliveries)}
    assert sorted(str(r) for r in request_ids) == expected_request_ids()
    assert await affinity.count(Product, Product.shop_id == shop_id) == PRODUCTS
    assert await affinity.count(Variant, Variant.shop_id == shop_id) == PRODUCTS * VARIANTS


async def test_a_server_killed_under_a_stream_of_deliveries_loses_and_repeats_nothing(
    fresh_database_url: str, tmp_path: Path
) -> None:
    affinity = Affinity(tmp_path, fresh_database_url, worker_enabled="false")
    await affinity.install_shop(DOMAIN, SECRET)
    deliveries = delivery_stream()
    unacknowledged = deliveries
    affinity.start()
    try:
        for _ in range(2):  # killed twice mid-stream, each time started again
            left = await send(affinity, unacknowledged, kill_after=len(deliveries) // 4)
            assert affinity.process is not None and affinity.process.poll() is not None
            assert 0 < len(left) < len(unacknowledged)
            unacknowledged = left
            affinity.start()
        for _ in range(3):  # the platform sends again whatever got no 2xx
            unacknowledged = await send(affinity, unacknowledged)
        assert not unacknowledged
        shop_id = await affinity.shop_id(DOMAIN)

        async def all_taken() -> bool:
            return await affinity.count(InboxDelivery, InboxDelivery.shop_id == shop_id,
                                        InboxDelivery.status == DONE) >= len(deliveries)

        await eventually(all_taken, "the inbox is drained")
    finally:
        affinity.stop()
    await assert_applied_exactly_once(affinity, deliveries)


async def test_the_inbox_processor_killed_mid_backlog_applies_each_delivery_once(
    fresh_database_url: str, tmp_path: Path
) -> None:
    affinity = Affinity(tmp_path, fresh_database_url, worker_enabled="false",
                        webhook_processor_enabled="false")
    await affinity.install_shop(DOMAIN, SECRET)
    deliveries = delivery_stream()
    affinity.start()
    try:
        assert not await send(affinity, deliveries)
    finally:
        affinity.stop()
    shop_id = await affinity.shop_id(DOMAIN)

    async def taken() -> int:
        return await affinity.count(InboxDelivery, InboxDelivery.shop_id == shop_id,
                                    InboxDelivery.status == DONE)

    for share in (0.25, 0.5):  # killed at a quarter of the backlog, then at half
        processor = affinity.spawn("inbox", "inbox", "process")
        try:
            async def past_share(share: float = share) -> bool:
                return await taken() >= share * len(deliveries)

            await eventually(past_share, f"{share:.0%} of the backlog applied")
        finally:
            kill(processor)
        assert await taken() < len(deliveries)  # the kill came while it was applying
    affinity.cli("inbox", "process")
    await assert_applied_exactly_once(affinity, deliveries)


CATALOG = 1200
ADDED = 40
FAKE_MODEL = "fake-hashing"
SIMILAR = """query($id: ID!) { similarProducts(productId: $id, first: 5) {
  items { product { id } } } }"""


def catalog_file(path: Path, first: int, count: int) -> Path:
    words = ("mug", "cup", "lamp", "candle", "tin", "bag", "card", "frame", "clock", "vase")
    rows = ({"id": f"P{n}", "price": 3.5, "product_type": words[n % 10],
             "title": f"{words[n % 10]} {words[n // 10 % 10]} no {n}"}
            for n in range(first, first + count))
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


async def embed_with_fake_model(affinity: Affinity, shop_id: int) -> None:
    """Vectors as the worker would store them, from a fast deterministic model, so that
    the worker process has nothing to embed and goes straight to the build."""
    embedder = HashingEmbedder(dimension=384, model_name=FAKE_MODEL)
    async with affinity.session() as session:
        await embed_stale_products(session, ShopId(shop_id), embedder)


def assert_whole(folder: Path, pointer: IndexPointer) -> None:
    """Every file the pointer names is complete and agrees with its item count."""
    annoy = AnnoyIndex(pointer.dimension, "angular")
    annoy.load(str(folder / pointer.file_name))
    assert annoy.get_n_items() == pointer.item_count
    annoy.unload()
    assert np.load(folder / pointer.keys_file).shape == (pointer.item_count,)
    assert pointer.vectors_file is not None and pointer.neighbours_file is not None
    assert np.load(folder / pointer.vectors_file).shape == (pointer.item_count, pointer.dimension)
    assert np.load(folder / pointer.neighbours_file).shape[0] == pointer.item_count


async def test_the_worker_killed_mid_build_leaves_the_served_index_whole(
    fresh_database_url: str, tmp_path: Path
) -> None:
    affinity = Affinity(tmp_path, fresh_database_url, embedding_model=FAKE_MODEL,
                        worker_enabled="false", index_rebuild_threshold=ADDED,
                        annoy_search_k=40_000, worker_interval_seconds=0.2)
    await affinity.install_shop(DOMAIN, SECRET)
    affinity.cli("catalog", "import", "--shop", DOMAIN, str(catalog_file(tmp_path / "a.jsonl", 0, CATALOG)))
    shop_id = await affinity.shop_id(DOMAIN)
    await embed_with_fake_model(affinity, shop_id)
    first = affinity.cli("index", "build", "--shop", DOMAIN)[0]
    folder = index_folder(tmp_path / "data" / "indexes", shop_id, FAKE_MODEL)
    assert read_pointer(folder) is not None and first["items"] == CATALOG
    affinity.cli("catalog", "import", "--shop", DOMAIN,
                 str(catalog_file(tmp_path / "b.jsonl", CATALOG, ADDED)))
    await embed_with_fake_model(affinity, shop_id)
    affinity.start()  # serving, while another process builds
    try:
        served = affinity.query(SIMILAR, id="P1")["data"]["similarProducts"]["items"]
        assert served
        worker = affinity.spawn("worker", "worker")
        try:
            building = folder / f"v{first['index_version'] + 1:06d}.ann"

            async def started_building() -> bool:
                return building.exists()

            await eventually(started_building, "the worker starts a build")
            await asyncio.sleep(0.1)
        finally:
            kill(worker)
        pointer = read_pointer(folder)
        assert pointer is not None and pointer.version == first["index_version"]  # mid-build
        assert_whole(folder, pointer)
        assert affinity.query(SIMILAR, id="P1")["data"]["similarProducts"]["items"] == served

        worker = affinity.spawn("worker", "worker")
        try:
            async def rebuilt() -> bool:
                current = read_pointer(folder)
                return current is not None and current.item_count == CATALOG + ADDED

            await eventually(rebuilt, "the worker builds the index again after the kill")
        finally:
            stop(worker)
        pointer = read_pointer(folder)
        assert pointer is not None
        assert_whole(folder, pointer)
        assert affinity.query(SIMILAR, id=f"P{CATALOG}")["data"]["similarProducts"]["items"]
    finally:
        affinity.stop()
