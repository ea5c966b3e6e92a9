"""``GET /metrics``: hidden unless the operator asks (or the setting makes it public); the
state gauges read at scrape from the database and the data folder."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette

from app.index.files import IndexPointer, index_folder, write_pointer
from app.ingestion.service import record_rejection
from app.metrics.registry import Metrics
from app.metrics.routes import metrics_routes
from app.metrics.state import ScrapeSources
from app.ranking.artefact import POINTER, shop_folder
from app.settings import Settings
from app.storage.database import create_session_factory, transaction, utcnow
from tests.factories import make_shop

OPERATOR_TOKEN = "operator-secret"
MODEL = "test-model"


@asynccontextmanager
async def _server(engine: AsyncEngine, folder: Path, metrics: Metrics | None = None,
                  **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    chosen = Settings(database_url=engine.url.render_as_string(hide_password=False), data_dir=folder, embedding_model=MODEL,
                      _env_file=None, **settings)  # type: ignore[arg-type]
    sources = ScrapeSources(sessions=create_session_factory(engine), index_dir=folder / "index",
                            embedding_model=MODEL, models_dir=folder / "models")
    app = Starlette(routes=metrics_routes(metrics or Metrics(), sources, chosen))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _families(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    return {family.name: {tuple(sorted(s.labels.items())): s.value for s in family.samples}
            for family in text_string_to_metric_families(text)}


async def test_hidden_from_the_public_by_default(engine: AsyncEngine, tmp_path: Path) -> None:
    async with _server(engine, tmp_path, admin_token=SecretStr(OPERATOR_TOKEN)) as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
        operator = await client.get("/metrics",
                                    headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert anonymous.status_code == wrong.status_code == 404
    assert anonymous.text == wrong.text and "affinity" not in anonymous.text
    assert operator.status_code == 200
    assert operator.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "affinity_webhook_inbox_deliveries" in operator.text


async def test_nobody_gets_it_without_an_operator_token(engine: AsyncEngine,
                                                        tmp_path: Path) -> None:
    async with _server(engine, tmp_path) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 404


async def test_public_when_the_setting_says_so(engine: AsyncEngine, tmp_path: Path) -> None:
    metrics = Metrics()
    metrics.count_webhook("woocommerce", "duplicate")
    async with _server(engine, tmp_path, metrics, metrics_public=True) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    families = _families(response.text)
    assert families["affinity_webhook_deliveries"][
        (("outcome", "duplicate"), ("platform", "woocommerce"))] == 1
    assert {"affinity_graphql_request_duration_seconds", "affinity_events_accepted",
            "affinity_events_rejected", "affinity_webhook_inbox_deliveries"} <= set(families)


async def test_state_is_read_at_scrape(engine: AsyncEngine, tmp_path: Path) -> None:
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        shop = (await make_shop(session)).shop
        shop_id, domain = shop.id, shop.domain
    async with _server(engine, tmp_path, metrics_public=True) as client:
        before = _families((await client.get("/metrics")).text)
        assert (("shop", domain),) not in before["affinity_index_version"]  # nothing built yet
        snapshot = utcnow() - timedelta(hours=2)
        write_pointer(index_folder(tmp_path / "index", shop_id, MODEL), IndexPointer(
            version=7, file_name="index-7.ann", keys_file="keys-7.npy", dimension=8,
            item_count=3, snapshot_at=snapshot))
        model_pointer = shop_folder(tmp_path / "models", shop_id) / POINTER
        model_pointer.parent.mkdir(parents=True)
        model_pointer.write_text("v1")
        async with transaction(sessions) as session:
            await record_rejection(session, shop_id, "shopify", "orders/create", "d-1",
                                   "bad", {}, b"{}")
        after = _families((await client.get("/metrics")).text)
    assert after["affinity_state_read"] == {(): 1}
    shop_label = (("shop", domain),)
    assert after["affinity_index_version"][shop_label] == 7
    assert 2 * 3600 <= after["affinity_index_age_seconds"][shop_label] < 3 * 3600
    assert 0 <= after["affinity_model_age_seconds"][shop_label] < 3600
    rejected = (("status", "rejected"),)
    assert after["affinity_webhook_inbox_deliveries"][rejected] == \
        before["affinity_webhook_inbox_deliveries"][rejected] + 1
    assert (("status", "pending"),) in after["affinity_webhook_inbox_deliveries"]


async def test_an_unreachable_database_leaves_out_only_the_state(tmp_path: Path) -> None:
    metrics = Metrics()
    metrics.count_webhook("shopify", "accepted")
    unreachable = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}")
    try:
        async with _server(unreachable, tmp_path, metrics, metrics_public=True) as client:
            response = await client.get("/metrics")
    finally:
        await unreachable.dispose()
    families = _families(response.text)
    assert response.status_code == 200
    assert families["affinity_state_read"] == {(): 0}
    assert "affinity_webhook_inbox_deliveries" not in families
    assert families["affinity_webhook_deliveries"][
        (("outcome", "accepted"), ("platform", "shopify"))] == 1
