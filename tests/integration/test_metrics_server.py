"""The metrics of a whole server (``create_app``): what the storefront, ``/collect`` and
the webhook endpoints record shows up in one scrape, for the operator only."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from app.asgi import create_app
from tests.fakes import HashingEmbedder
from tests.integration.admin.support import new_shop, settings_for

OPERATOR = {"Authorization": "Bearer operator-token"}
ORIGIN = "https://shop.example"
TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }"""
VIEW = {"type": "PRODUCT_VIEWED", "visitorId": "v1", "productId": "1",
        "consent": {"analytics": True, "personalization": True}}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def server(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(engine, tmp_path, admin_token=SecretStr("operator-token"))
    embedder = HashingEmbedder()
    app = create_app(settings, embedder_factory=lambda: embedder)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.state.services.engine.dispose()


async def _scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers=OPERATOR)
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


async def test_one_scrape_shows_what_every_edge_recorded(engine: AsyncEngine,
                                                         server: httpx.AsyncClient) -> None:
    shop = await new_shop(engine, storefront_origins=[ORIGIN])
    key = {"X-Affinity-Storefront-Key": shop.storefront_key}
    assert (await server.get("/metrics")).status_code == 404
    product = await server.post("/graphql", json={"query": "{ product(id: \"1\") { id } }"},
                                headers=key)
    assert product.status_code == 200
    events = [VIEW, {**VIEW, "visitorId": ""}, {**VIEW, "quantity": -1}]
    tracked = await server.post("/graphql", json={"query": TRACK, "variables": {"events": events}},
                                headers=key)
    assert tracked.json()["data"]["trackEvents"]["accepted"] == 1
    collected = await server.post(f"/collect?key={shop.storefront_key}",
                                  json={"events": [{**VIEW, "visitorId": "v2"}]},
                                  headers={"Origin": ORIGIN})
    assert collected.status_code == 202
    unsigned = await server.post("/webhooks/shopify", content=b"{}", headers={
        "X-Shopify-Shop-Domain": shop.shop.domain, "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": "bm90LWEtc2lnbmF0dXJl"})
    assert unsigned.status_code == 401
    samples = await _scrape(server)
    timed = ("affinity_graphql_request_duration_seconds_count",
             (("operation", "product"), ("placement", "none")))
    assert samples[timed] == 1
    assert samples[("affinity_graphql_request_duration_seconds_count",
                    (("operation", "trackEvents"), ("placement", "none")))] == 1
    assert samples[("affinity_events_accepted_total", ())] == 2
    assert samples[("affinity_events_rejected_total", (("reason", "visitorId"),))] == 1
    assert samples[("affinity_events_rejected_total", (("reason", "quantity"),))] == 1
    assert samples[("affinity_webhook_deliveries_total",
                    (("outcome", "unauthorized"), ("platform", "shopify")))] == 1
    assert ("affinity_webhook_inbox_deliveries", (("status", "pending"),)) in samples


async def test_the_admin_api_is_mounted(engine: AsyncEngine, server: httpx.AsyncClient) -> None:
    shop = await new_shop(engine)
    query = {"query": "{ experiments { id } }"}
    opened = await server.post("/admin/graphql", json=query,
                               headers={"Authorization": f"Bearer {shop.admin_token}"})
    assert opened.json() == {"data": {"experiments": []}}
    refused = await server.post("/admin/graphql", json=query, headers=OPERATOR)
    assert refused.status_code == 401  # the operator token is not a shop's admin token
