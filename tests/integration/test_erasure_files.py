"""Erasure reaches the files under the data folder and the server's memory: a redacted
customer is found in no file (raw bytes, nor the arrays of an archive decoded), in no
loaded model and in no live session; a redacted shop leaves no file at all; old model
and index versions are deleted once a newer one is installed."""

import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.catalog.service import apply_product_changes
from app.embeddings.service import embed_stale_products
from app.events.protocol import AcceptedEvent
from app.events.types import FULL_CONSENT, EventType
from app.ids import ShopId
from app.index.files import index_folder
from app.index.service import build_index
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.ranking.jobs import train_shop_model
from app.storage.database import transaction, utcnow
from tests.factories import MUGS_AND_MORE, product
from tests.integration.webhooks.support import Hooks, hooks_app, payload

RECORDED_CUSTOMER = "7301999001"
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def hooks(database_url: str, tmp_path: Path) -> AsyncIterator[Hooks]:
    async with hooks_app(database_url, tmp_path) as h:
        yield h


def _needles(customer_id: str) -> list[bytes]:
    """The id as text in each encoding a file could hold it in (NumPy text is UTF-32)."""
    return [customer_id.encode(), customer_id.encode("utf-16-le"),
            customer_id.encode("utf-32-le")]


def _arrays_name(data: bytes, customer_id: str) -> bool:
    """Does a NumPy file name the customer once decoded (text or integer arrays)?"""
    archive = np.load(io.BytesIO(data), allow_pickle=False)
    arrays = [archive[k] for k in archive.files] if hasattr(archive, "files") else [archive]
    for array in arrays:
        if array.dtype.kind in "US" and customer_id in array.astype(str).tolist():
            return True
        if array.dtype.kind in "iu" and int(customer_id) in array:
            return True
    return False


def _traces(data_dir: Path, customer_id: str) -> list[str]:
    """Every file under the data folder that names the customer, in any form found."""
    found = []
    for path in (p for p in data_dir.rglob("*") if p.is_file()):
        contents = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                contents += [archive.read(name) for name in archive.namelist()]
        as_text = any(n in c for c in contents for n in _needles(customer_id))
        if as_text or (path.suffix in (".npz", ".npy") and _arrays_name(contents[0], customer_id)):
            found.append(str(path))
    return found


def _order(number: int, customer: str, items: list[str]) -> OrderChange:
    order_id = f"o{number}-{uuid.uuid4().hex[:6]}"
    return OrderChange(order_id, customer, START + timedelta(days=number), tuple(
        OrderLineChange(f"{order_id}-{p}", p, None, 1, 5.0) for p in items))


async def _shop_with_model_and_index(hooks: Hooks, customer: str, versions: int = 2
                                     ) -> tuple[ShopId, str]:
    shop_id, domain, _ = await hooks.shop()
    shop = ShopId(shop_id)
    baskets = [(customer, ["1", "3"]), ("other-1", ["1", "3", "10"]), ("other-2", ["4", "5"]),
               (customer, ["4", "5"]), ("other-1", ["1"]), ("other-3", ["1", "3"])]
    services = hooks.services
    async with transaction(services.sessions) as session:
        await apply_product_changes(session, shop, [product(p, t) for p, t in MUGS_AND_MORE])
        await record_orders(session, shop, [_order(n, c, i) for n, (c, i) in enumerate(baskets)])
        await embed_stale_products(session, shop, services.embedder.get())
    for n in range(versions):
        async with transaction(services.sessions) as session:
            await train_shop_model(session, shop, services.models_dir,
                                   as_of=START + timedelta(days=30 + n))
            await build_index(session, shop, services.settings.embedding_model,
                              services.settings.index_dir, trees=2)
    return shop, domain


def _visit(hooks: Hooks, shop: ShopId, visitor: str, customer: str | None) -> None:
    hooks.services.session_state.observe(shop, AcceptedEvent(
        event_id=uuid.uuid4().hex, type=EventType.PRODUCT_VIEWED, visitor_id=visitor,
        customer_id=customer, product_id="1", quantity=None, recommendation_id=None,
        occurred_at=utcnow(), consent=FULL_CONSENT))


def _redact_payload(domain: str, customer: str) -> bytes:
    body = payload("shopify", "customers_redact.json", shop=domain)
    return body.replace(RECORDED_CUSTOMER.encode(), customer.encode())


async def test_a_redacted_customer_is_in_no_file_no_loaded_model_and_no_session(
    hooks: Hooks, tmp_path: Path,
) -> None:
    customer = str(7_100_000_000 + uuid.uuid4().int % 10**9)
    shop, domain = await _shop_with_model_and_index(hooks, customer)
    _visit(hooks, shop, "visitor-of-the-customer", customer)
    _visit(hooks, shop, "another-visitor", "other-1")
    loaded = hooks.services.models.get(shop)
    assert loaded is not None and customer in loaded.artefact.user_row
    assert _traces(tmp_path, customer), "the setup must leave the customer on disk"

    response = await hooks.shopify(domain, "customers/redact", _redact_payload(domain, customer))
    assert response.status_code == 200
    assert await hooks.drain() == 1

    assert _traces(tmp_path, customer) == []
    runtime = hooks.services.models.get(shop)
    assert runtime is not None
    assert customer not in runtime.artefact.user_row and "other-1" in runtime.artefact.user_row
    assert hooks.services.session_state.get(shop, "visitor-of-the-customer") is None
    assert hooks.services.session_state.get(shop, "another-visitor") is not None
    versions = [p for p in (hooks.services.models_dir / f"shop-{shop}").iterdir() if p.is_dir()]
    assert len(versions) == 1


async def test_a_redacted_shop_leaves_no_file_and_nothing_in_memory(
    hooks: Hooks, tmp_path: Path,
) -> None:
    shop, domain = await _shop_with_model_and_index(hooks, "someone", versions=1)
    _visit(hooks, shop, "a-visitor", "someone")
    assert hooks.services.models.get(shop) is not None
    assert hooks.services.registry.current(shop, hooks.services.settings.embedding_model)

    body = payload("shopify", "shop_redact.json", shop=domain)
    assert (await hooks.shopify(domain, "shop/redact", body)).status_code == 200
    assert await hooks.drain() == 1

    left = [str(p) for p in tmp_path.rglob("*") if f"shop-{shop}" in p.parts]
    assert left == []
    assert hooks.services.models.get(shop) is None
    assert hooks.services.session_state.get(shop, "a-visitor") is None


async def test_old_model_and_index_versions_are_deleted_once_a_new_one_is_installed(
    hooks: Hooks,
) -> None:
    shop, _ = await _shop_with_model_and_index(hooks, "someone", versions=4)
    models = hooks.services.models_dir / f"shop-{shop}"
    assert len([p for p in models.iterdir() if p.is_dir()]) == 2  # the current and one before
    folder = index_folder(hooks.services.settings.index_dir, shop,
                          hooks.services.settings.embedding_model)
    versions = {p.name.split(".")[0] for p in folder.glob("v*.*")}
    assert len(versions) == 2
