"""Who may name a customer: the public storefront key only with a customer token signed for
the shop, the private server key as it is, Shopify's app proxy for the customer it vouches
for; the same for events, where only the event without proof is refused."""

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from app.asgi import create_app
from app.catalog.service import apply_product_changes
from app.events.models import Event
from app.http.shopify_proxy import proxy_signature, signature_valid
from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.settings import Settings
from app.shops.customer_tokens import sign_customer_token, verify_customer_token
from app.storage.database import transaction, utcnow
from tests.factories import MUGS_AND_MORE, make_shop, product
from tests.fakes import HashingEmbedder
from tests.support import Harness

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

ORIGIN = "https://shop.example"
PROXY_SECRET = "shpss_test-app-secret"
VICTIM = "12347"
RECOMMEND = """query($customer: ID, $token: String) {
  recommendations(placement: HOME, customerId: $customer, customerToken: $token, first: 5) {
    items { product { id } reasons { code } } } }"""
RERANK = """query($customer: ID, $token: String) {
  rerankSearch(query: "mug", productIds: ["1", "2", "3"], customerId: $customer,
               customerToken: $token) { items { product { id } reasons { code } } } }"""
TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) {
  accepted duplicates rejected { index reason } } }"""
YES = {"analytics": True, "personalization": True}


@dataclass
class Shop:
    id: ShopId
    domain: str
    storefront_key: str
    server_key: str
    token_secret: str


@dataclass
class Served:
    harness: Harness
    shop: Shop
    other: Shop

    async def graphql(self, query: str, headers: dict[str, str], **variables: Any) -> Any:
        response = await self.harness.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def public(self) -> dict[str, str]:
        return {"X-Affinity-Storefront-Key": self.shop.storefront_key}

    def token(self, customer: str = VICTIM, shop: Shop | None = None,
              lifetime: timedelta = timedelta(hours=1)) -> str:
        secret = (shop or self.shop).token_secret
        return sign_customer_token(secret, customer, utcnow() + lifetime)

    async def stored_customers(self) -> list[str | None]:
        async with transaction(self.harness.services.sessions) as session:
            rows = await session.execute(
                select(Event.customer_id).where(Event.shop_id == self.shop.id)
                .order_by(Event.id))
            return [customer for (customer,) in rows]


async def _add_shop(h: Harness) -> Shop:
    async with transaction(h.services.sessions) as session:
        created = await make_shop(session, storefront_origins=[ORIGIN], box=h.services.secrets)
        shop = ShopId(created.shop.id)
        await apply_product_changes(
            session, shop, [product(pid, title) for pid, title in MUGS_AND_MORE[:6]])
        await record_orders(session, shop, [OrderChange(
            "o1", VICTIM, utcnow() - timedelta(days=2),
            (OrderLineChange("o1-1", "1", None, 1, 5.0),))])
    await h.embed(shop)
    await h.build(shop)
    assert created.customer_token_secret is not None
    return Shop(shop, created.shop.domain, created.storefront_key, created.server_key,
                created.customer_token_secret)


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    embedder = HashingEmbedder()
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url, data_dir=tmp_path, worker_enabled=False,
        webhook_processor_enabled=False, embedding_model=embedder.model_name, annoy_trees=5,
        allowed_hosts=["testserver"], shopify_api_secret=PROXY_SECRET, _env_file=None)
    app = create_app(settings, embedder_factory=lambda: embedder)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        h = Harness(app, client, app.state.services, embedder)
        yield Served(h, await _add_shop(h), await _add_shop(h))
    await app.state.ingestion.aclose()
    await app.state.services.engine.dispose()


def _codes(body: Any) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


@pytest.mark.parametrize("query", [RECOMMEND, RERANK])
async def test_the_public_key_cannot_name_a_customer_without_a_token(
        served: Served, query: str) -> None:
    body = await served.graphql(query, served.public(), customer=VICTIM)
    assert _codes(body) == ["CUSTOMER_PROOF_REQUIRED"]
    assert "You bought" not in str(body) and "BUY_AGAIN" not in str(body)


@pytest.mark.parametrize("query", [RECOMMEND, RERANK])
async def test_a_valid_customer_token_names_its_customer(served: Served, query: str) -> None:
    with_id = await served.graphql(query, served.public(), customer=VICTIM,
                                   token=served.token())
    alone = await served.graphql(query, served.public(), token=served.token())
    assert "errors" not in with_id and "errors" not in alone


@pytest.mark.parametrize("token", ["expired", "forged", "other_shop", "other_customer",
                                   "too_long", "garbage"])
async def test_bad_tokens_are_refused(served: Served, token: str) -> None:
    tokens = {
        "expired": served.token(lifetime=timedelta(seconds=-1)),
        "forged": served.token()[:-2] + "AA",
        "other_shop": served.token(shop=served.other),
        "other_customer": served.token(customer="99999"),
        "too_long": "v1." + "9" * 600,
        "garbage": "not-a-token",
    }
    body = await served.graphql(RECOMMEND, served.public(), customer=VICTIM,
                                token=tokens[token])
    assert _codes(body) == ["CUSTOMER_PROOF_REQUIRED"]


async def test_the_server_key_names_customers_and_skips_the_origin_check(served: Served) -> None:
    headers = {"X-Affinity-Server-Key": served.shop.server_key, "Origin": "https://evil.example"}
    body = await served.graphql(RECOMMEND, headers, customer=VICTIM)
    assert "errors" not in body
    wrong = await served.harness.client.post(
        "/graphql", json={"query": RECOMMEND}, headers={
            "X-Affinity-Server-Key": served.other.server_key[:-1] + "x",
            "X-Affinity-Storefront-Key": served.shop.storefront_key})
    assert wrong.status_code == 401  # a wrong server key is not excused by a public one


async def test_an_event_naming_a_customer_without_proof_is_refused_alone(
        served: Served) -> None:
    events = [
        {"type": "PRODUCT_DISMISSED", "visitorId": "attacker", "productId": "1",
         "customerId": VICTIM, "consent": YES},
        {"type": "PRODUCT_VIEWED", "visitorId": "attacker", "productId": "2", "consent": YES},
        {"type": "PRODUCT_VIEWED", "visitorId": "v", "productId": "3", "consent": YES,
         "customerToken": served.token()},
    ]
    body = await served.graphql(TRACK, served.public(), events=events)
    result = body["data"]["trackEvents"]
    assert result["accepted"] == 2
    assert result["rejected"] == [
        {"index": 0, "reason": "customerId needs a customerToken signed for this shop"}]
    assert await served.stored_customers() == [None, VICTIM]


async def test_collect_refuses_the_unproven_event_and_keeps_the_rest(served: Served) -> None:
    events = [
        {"type": "PRODUCT_VIEWED", "visitorId": "a", "productId": "2", "consent": YES},
        {"type": "PRODUCT_DISMISSED", "visitorId": "a", "productId": "1",
         "customerId": VICTIM, "consent": YES},
        {"type": "PRODUCT_VIEWED", "visitorId": "a", "productId": "3", "consent": YES,
         "customerId": VICTIM, "customerToken": served.token()},
    ]
    response = await served.harness.client.post(
        f"/collect?key={served.shop.storefront_key}", json={"events": events},
        headers={"Origin": ORIGIN})
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 2
    assert [r["index"] for r in response.json()["rejected"]] == [1]
    assert await served.stored_customers() == [None, VICTIM]


async def test_collect_with_the_server_key_takes_customer_ids(served: Served) -> None:
    events = [{"type": "PRODUCT_VIEWED", "visitorId": "s", "productId": "2",
               "customerId": VICTIM, "consent": YES}]
    response = await served.harness.client.post(
        "/collect", json={"events": events},
        headers={"X-Affinity-Server-Key": served.shop.server_key})
    assert response.status_code == 202 and response.json()["accepted"] == 1


def _proxy_query(shop: str, customer: str, secret: str = PROXY_SECRET,
                 timestamp: int | None = None) -> str:
    params = {"shop": shop, "logged_in_customer_id": customer, "path_prefix": "/apps/affinity",
              "timestamp": str(timestamp or int(time.time()))}
    query = urlencode(params)
    return query + "&signature=" + proxy_signature(secret, query)


async def test_the_app_proxy_serves_the_customer_shopify_vouches_for(served: Served) -> None:
    client = served.harness.client
    query = _proxy_query(served.shop.domain, VICTIM)
    own = await client.post(f"/shopify/proxy/graphql?{query}",
                            json={"query": RECOMMEND, "variables": {"customer": VICTIM}})
    assert own.status_code == 200 and "errors" not in own.json(), own.text
    other = await client.post(f"/shopify/proxy/graphql?{query}",
                              json={"query": RECOMMEND, "variables": {"customer": "99999"}})
    assert _codes(other.json()) == ["CUSTOMER_PROOF_REQUIRED"]
    events = [{"type": "PRODUCT_VIEWED", "visitorId": "p", "productId": "2", "consent": YES}]
    collected = await client.post(f"/shopify/proxy/collect?{query}", json={"events": events})
    assert collected.status_code == 202 and collected.json()["accepted"] == 1
    assert await served.stored_customers() == [VICTIM]


@pytest.mark.parametrize("bad", ["wrong_secret", "tampered", "old", "unknown_shop"])
async def test_the_app_proxy_refuses_a_bad_signature(served: Served, bad: str) -> None:
    queries = {
        "wrong_secret": _proxy_query(served.shop.domain, VICTIM, secret="another"),
        "tampered": _proxy_query(served.shop.domain, VICTIM).replace(VICTIM, "99999"),
        "old": _proxy_query(served.shop.domain, VICTIM, timestamp=int(time.time()) - 3600),
        "unknown_shop": _proxy_query("nobody.myshopify.com", VICTIM),
    }
    for path in ("/shopify/proxy/graphql", "/shopify/proxy/collect"):
        response = await served.harness.client.post(
            f"{path}?{queries[bad]}", json={"query": RECOMMEND, "events": []})
        assert response.status_code == 401, (path, response.text)


def test_a_token_round_trips_and_names_only_its_customer() -> None:
    now = utcnow()
    token = sign_customer_token("cts_secret", "gid://shopify/Customer/7", now + timedelta(minutes=5))
    assert verify_customer_token("cts_secret", token, now) == "gid://shopify/Customer/7"
    assert verify_customer_token("cts_other", token, now) is None
    assert verify_customer_token("cts_secret", token, now + timedelta(minutes=6)) is None


@pytest.mark.parametrize("token", ["v1.².Yw.sig", "v1.9999999999.Yw.é", "v1..Yw.", "...",
                                   "v1.1.Yw.sig.extra", "v2.9999999999.Yw.sig"])
def test_malformed_tokens_name_no_one(token: str) -> None:
    assert verify_customer_token("cts_secret", token, utcnow()) is None


def test_a_non_ascii_proxy_signature_is_refused_not_an_error() -> None:
    query = urlencode({"shop": "a.myshopify.com", "timestamp": str(int(time.time())),
                       "signature": "é"})
    assert not signature_valid(PROXY_SECRET, query, time.time())
