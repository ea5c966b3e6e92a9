"""The server's HTTP surface as a browser, an attacker and an operator meet it: origins
checked against the shop's and the configured ones (never the Host header), trusted hosts,
security headers, demo pages only in demo mode, /health details only for the operator,
consent never assumed, and /collect refusing an odd event without losing the batch."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.asgi import create_app
from app.events.models import Event
from app.http import health
from app.ids import ShopId
from app.settings import Settings
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.support import Harness

ORIGIN = "https://shop.example"
ADMIN = "adm-operator-token"
CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE[:4]]
VIEW = {"type": "PRODUCT_VIEWED", "visitorId": "v1", "productId": "1",
        "consent": {"analytics": True, "personalization": True}}


@asynccontextmanager
async def _served(database_url: str, data_dir: Path, **overrides: Any) -> AsyncIterator[Harness]:
    embedder = HashingEmbedder()
    overrides.setdefault("allowed_hosts", ["testserver"])
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url, data_dir=data_dir, worker_enabled=False,
        webhook_processor_enabled=False, embedding_model=embedder.model_name, annoy_trees=5,
        _env_file=None, **overrides)
    app = create_app(settings, embedder_factory=lambda: embedder)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Harness(app, client, app.state.services, embedder)
    await app.state.ingestion.aclose()
    await app.state.services.engine.dispose()


Serve = Callable[..., Any]


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Serve:
    return lambda **overrides: _served(database_url, tmp_path, **overrides)


async def _shop(h: Harness) -> tuple[ShopId, str]:
    return await h.add_shop(CATALOG, storefront_origins=[ORIGIN])


async def _stored(h: Harness, shop: ShopId) -> int:
    async with transaction(h.services.sessions) as session:
        stmt = select(func.count()).select_from(Event).where(Event.shop_id == shop)
        return int((await session.execute(stmt)).scalar_one())


async def _collect(h: Harness, key: str, body: Any, origin: str | None = ORIGIN,
                   raw: bytes | None = None) -> httpx.Response:
    headers = {"Content-Type": "text/plain"} | ({"Origin": origin} if origin else {})
    content = raw if raw is not None else httpx.Request("POST", "/", json=body).content
    return await h.client.post(f"/collect?key={key}", content=content, headers=headers)


async def test_collect_takes_events_only_from_the_shops_origins(serve: Serve) -> None:
    async with serve() as h:
        shop, key = await _shop(h)
        evil = await _collect(h, key, {"events": [VIEW]}, origin="https://evil.example")
        missing = await _collect(h, key, {"events": [VIEW]}, origin=None)
        assert evil.status_code == missing.status_code == 403
        assert await _stored(h, shop) == 0
        ok = await _collect(h, key, {"events": [VIEW]})
        assert ok.status_code == 202 and ok.json()["accepted"] == 1


async def test_the_own_origin_comes_from_the_settings_not_the_host_header(serve: Serve) -> None:
    async with serve(public_url="https://api.example.com",
                     allowed_hosts=["testserver", "rebound.example"]) as h:
        _, key = await _shop(h)
        query = {"query": "{ product(id: \"1\") { id } }"}
        headers = {"X-Affinity-Storefront-Key": key}
        # A page on a rebound domain sends its own Origin and a Host that matches it.
        rebound = await h.client.post("/graphql", json=query, headers={
            **headers, "Host": "rebound.example", "Origin": "http://rebound.example"})
        assert rebound.status_code == 403
        own = await h.client.post("/graphql", json=query,
                                  headers={**headers, "Origin": "https://api.example.com"})
        assert own.status_code == 200


async def test_unknown_host_names_are_refused(serve: Serve) -> None:
    async with serve() as h:
        response = await h.client.get("/health", headers={"Host": "attacker.example"})
        assert response.status_code == 400
        assert (await h.client.get("/health", headers={"Host": "127.0.0.1:8000"})).status_code == 200


async def test_every_answer_carries_the_security_headers(serve: Serve) -> None:
    async with serve(demo_mode=True) as h:
        await _shop(h)
        answers = [await h.client.get("/health"), await h.client.post("/graphql", json={}),
                   await h.client.get("/demo"), await h.client.get("/demo/config.json")]
        for answer in answers:
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "no-referrer"
            assert answer.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            assert "server" not in answer.headers
        assert answers[0].headers["content-security-policy"].startswith("default-src 'none'")
        demo_policy = answers[2].headers["content-security-policy"]
        assert "script-src 'self'" in demo_policy and "connect-src 'self'" in demo_policy


async def test_graphiql_and_the_demo_only_in_demo_mode(serve: Serve) -> None:
    async with serve() as h:
        assert (await h.client.get("/demo/config.json")).status_code == 404
        assert (await h.client.get("/demo")).status_code == 404
        assert (await h.client.get("/", follow_redirects=False)).status_code == 404
        ide = await h.client.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code != 200 and "graphiql" not in ide.text.lower()
    async with serve(demo_mode=True) as h:
        assert (await h.client.get("/demo")).status_code == 200
        ide = await h.client.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code == 200 and "graphiql" in ide.text.lower()


async def test_health_details_only_with_the_admin_token(serve: Serve) -> None:
    async with serve(admin_token=ADMIN) as h:
        await _shop(h)
        anyone = await h.client.get("/health")
        wrong = await h.client.get("/health", headers={"Authorization": "Bearer wrong"})
        assert anyone.json() == wrong.json() == {"status": "ok"}
        operator = (await h.client.get(
            "/health", headers={"Authorization": f"Bearer {ADMIN}"})).json()
        assert operator["status"] == "ok" and operator["database"]["backend"]
        assert operator["index"]["shops_indexed"] >= 1 and "loaded" in operator["catalogs"]
        assert {"pending", "failed", "rejected"} <= set(operator["webhooks"])


async def test_health_without_a_database_is_a_bare_503(
        serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(_: Any) -> Any:
        raise OSError("connection refused to db.internal:5432")

    monkeypatch.setattr(health, "transaction", unreachable)
    async with serve() as h:
        response = await h.client.get("/health")
        assert response.status_code == 503 and response.json() == {"status": "error"}


async def test_events_without_consent_are_not_stored(serve: Serve) -> None:
    async with serve() as h:
        shop, key = await _shop(h)
        silent = {k: v for k, v in VIEW.items() if k != "consent"}
        response = await _collect(h, key, {"events": [silent]})
        assert response.status_code == 202 and response.json()["accepted"] == 1
        assert await _stored(h, shop) == 0


@pytest.mark.parametrize("field, value", [
    ("dwellMs", 10**30), ("dwellMs", -1), ("quantity", 10**30), ("quantity", 1.5),
    ("occurredAt", "yesterday-ish"), ("occurredAt", 12), ("visitorId", {"nested": [1]}),
    ("productId", [1, 2]), ("consent", "yes"), ("customerToken", {"a": 1}), ("type", None),
])
async def test_collect_refuses_an_odd_event_and_stores_the_rest(
        serve: Serve, field: str, value: Any) -> None:
    async with serve() as h:
        shop, key = await _shop(h)
        odd = {**VIEW, field: value}
        good = {**VIEW, "productId": "2"}
        response = await _collect(h, key, {"events": [good, odd]})
        assert response.status_code == 202, response.text
        result = response.json()
        assert result["accepted"] == 1 and [r["index"] for r in result["rejected"]] == [1]
        assert str(value) not in result["rejected"][0]["reason"]
        assert await _stored(h, shop) == 1


@pytest.mark.parametrize("raw", [b"null", b"123", b'"x"', b"[]", b"{\"events\": 5}", b"{"])
async def test_collect_bodies_of_the_wrong_shape_are_a_400(serve: Serve, raw: bytes) -> None:
    async with serve() as h:
        _, key = await _shop(h)
        assert (await _collect(h, key, None, raw=raw)).status_code == 400
