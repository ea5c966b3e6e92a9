"""What one request may cost on /graphql and /collect: document size, depth and aliases
counted with each fragment once, body limits while reading, a time budget, the event cap
across aliases, rate limits with Retry-After, and errors that never echo the input."""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from app.asgi import create_app
from app.events.types import MAX_BATCH, EventIn, TrackResult
from app.graphql.limits import alias_count, field_count, operation_depths
from app.settings import Settings
from app.storage.database import transaction
from tests.factories import make_shop
from tests.fakes import HashingEmbedder

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

ORIGIN = "https://shop.example"
TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) {
  accepted duplicates rejected { index reason } } }"""


def fan_out(levels: int, leaf: str = "__typename") -> str:
    """A query whose fragments each spread the next one twice: 2^levels paths."""
    parts = ["query FanOut { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ {leaf} }}")
    return "\n".join(parts)


def events(count: int, visitors: int | None = None) -> list[dict[str, Any]]:
    return [{"type": "PRODUCT_VIEWED", "visitorId": f"v{i % (visitors or count)}",
             "productId": "1", "consent": {"analytics": True, "personalization": True}}
            for i in range(count)]


class Api:
    def __init__(self, client: httpx.AsyncClient, key: str, stored: list[EventIn]) -> None:
        self.client = client
        self.key = key
        self.stored = stored

    async def graphql(self, query: str, **variables: Any) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": query, "variables": variables},
                                      headers={"X-Affinity-Storefront-Key": self.key})

    async def collect(self, body: Any) -> httpx.Response:
        return await self.client.post(f"/collect?key={self.key}", json=body,
                                      headers={"Origin": ORIGIN})


@asynccontextmanager
async def running(database_url: str, data_dir: Path, slow_store: float = 0.0,
                  **overrides: Any) -> AsyncIterator[Api]:
    """The application in-process with these settings; the events it stores are recorded
    (and take ``slow_store`` seconds each call)."""
    embedder = HashingEmbedder()
    settings = Settings(database_url=database_url, data_dir=data_dir, worker_enabled=False,  # type: ignore[call-arg]
                        embedding_model=embedder.model_name, allowed_hosts=["testserver"],
                        _env_file=None, **overrides)
    app = create_app(settings, embedder_factory=lambda: embedder)
    services = app.state.services
    stored: list[EventIn] = []

    async def record(shop_id: int, batch: Sequence[EventIn], now: datetime) -> TrackResult:
        await asyncio.sleep(slow_store)
        stored.extend(batch)
        return TrackResult(accepted=len(batch))

    services.tracker.store = record
    async with transaction(services.sessions) as session:
        created = await make_shop(session, storefront_origins=[ORIGIN])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, created.storefront_key, stored)
    await services.engine.dispose()


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    async with running(database_url, tmp_path) as running_api:
        yield running_api


def messages(response: httpx.Response) -> list[str]:
    return [e["message"] for e in response.json()["errors"]]


# The document: bounded before validation, depth and aliases with each fragment once.

def test_a_fragment_fan_out_is_measured_with_each_fragment_once() -> None:
    document = parse(fan_out(30, leaf="a: __typename"))
    assert operation_depths(document)[0][1] == 0
    assert alias_count(document) == field_count(document) == 2 ** 30


def test_depth_through_fragments_is_that_of_the_expanded_query() -> None:
    nested = parse("""query Deep { ...A } fragment A on Query { product(id: "1") { ...B ...B } }
                      fragment B on Product { similar { items { product { id } } } }""")
    assert operation_depths(nested)[0][1] == 4


async def test_a_fragment_fan_out_is_refused_before_validation(api: Api) -> None:
    response = await api.graphql(fan_out(30))
    assert response.status_code == 200, response.text
    assert response.json()["data"] is None
    assert messages(response) == [
        "The document selects more than 1000 fields once its fragments are expanded."]


async def test_aliases_spread_by_fragments_count_once_per_spread(api: Api) -> None:
    spread = ("query { ...A ...A } fragment A on Query { "
              + " ".join(f"a{i}: __typename" for i in range(10)) + " }")
    assert "20 aliases found. Allowed: 15" in messages(await api.graphql(spread))


async def test_depth_limit_counts_fields_inside_fragments(api: Api) -> None:
    deep = "query Deep { ...F } fragment F on Query { " + "product(id: \"1\") { " * 11 \
        + "id" + " }" * 11 + " }"
    assert "'Deep' exceeds maximum operation depth of 10" in messages(await api.graphql(deep))


async def test_a_document_over_the_node_cap_is_refused(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, graphql_max_nodes=40) as small:
        response = await small.graphql("{ " + "__typename " * 20 + "}")
        assert messages(response) == ["The document has more than 40 nodes."]
        assert "errors" not in (await small.graphql("{ __typename }")).json()


# HTTP: methods, bodies, body limits.

async def test_get_is_405_outside_demo_mode(api: Api) -> None:
    response = await api.client.get("/graphql")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    with_query = await api.client.get("/graphql?query={__typename}")
    assert with_query.status_code == 405


async def test_graphiql_is_served_in_demo_mode(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, demo_mode=True) as demo:
        response = await demo.client.get("/graphql", headers={"Accept": "text/html"})
        assert response.status_code == 200 and "graphiql" in response.text.lower()


@pytest.mark.parametrize("body", [b"null", b"123", b'"x"', b"[]", b"true"])
async def test_a_body_that_is_not_an_object_is_a_400(api: Api, body: bytes) -> None:
    response = await api.client.post("/graphql", content=body, headers={
        "X-Affinity-Storefront-Key": api.key, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "JSON object" in response.text


async def test_an_oversized_body_is_refused_by_its_length(api: Api) -> None:
    whitespace = b" " * (30 * 1024 * 1024)
    response = await api.client.post("/graphql", content=whitespace, headers={
        "X-Affinity-Storefront-Key": api.key, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert len(response.content) < 300


def _chunks(sent: list[int], count: int, size: int = 256 * 1024) -> Iterator[bytes]:
    for _ in range(count):
        sent.append(size)
        yield b" " * size


@pytest.mark.parametrize("path", ["/graphql", "/collect"])
async def test_a_streamed_body_is_cut_once_over_the_limit(api: Api, path: str) -> None:
    """No Content-Length (chunked): the body is counted as it comes and never read whole."""
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for chunk in _chunks(sent, count=120):  # 30 MB
            yield chunk

    response = await api.client.post(f"{path}?key={api.key}", content=body(), headers={
        "X-Affinity-Storefront-Key": api.key, "Content-Type": "application/json",
        "Origin": ORIGIN})
    assert response.status_code == 413
    assert sum(sent) <= 2 * 1024 * 1024  # read up to just past the limit, not 30 MB


async def test_collect_refuses_a_declared_oversized_body(api: Api) -> None:
    response = await api.client.post(f"/collect?key={api.key}", content=b" " * 600_000,
                                     headers={"Origin": ORIGIN})
    assert response.status_code == 413


async def test_errors_never_echo_the_input(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    huge = "x" * 500_000
    caplog.set_level(logging.INFO)
    queries = [("query($id: ID!) { product(id: $id) { id } }", {"id": [huge]}),
               ("{ product(id: 1" + huge[:50_000] + ") { id } }", {}),
               (TRACK, {"events": [{"type": "NOT_A_TYPE" + huge, "visitorId": "v"}]})]
    for query, variables in queries:
        response = await api.graphql(query, **variables)
        assert response.status_code in (200, 400)
        assert len(response.content) < 1_000 and "x" * 50 not in response.text
    assert all(huge[:1000] not in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# Time budget.

async def test_a_slow_request_is_stopped_with_a_clear_error(database_url: str,
                                                            tmp_path: Path) -> None:
    async with running(database_url, tmp_path, slow_store=30.0,
                       graphql_timeout_seconds=0.2) as slow:
        response = await slow.graphql(TRACK, events=events(1))
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"
        assert "longer than 0.2 s" in body["errors"][0]["message"]


# Events: the cap across aliases, the client address, rate limits.

async def test_the_event_cap_holds_across_aliases(api: Api) -> None:
    aliased = "mutation($events: [EventInput!]!) { " + " ".join(
        f"t{i}: trackEvents(events: $events) {{ accepted rejected {{ reason }} }}"
        for i in range(15)) + " }"
    body = (await api.graphql(aliased, events=events(500))).json()
    accepted = sum(body["data"][f"t{i}"]["accepted"] for i in range(15))
    assert accepted == 500 and len(api.stored) == 500
    assert "at most 500 events per request" in body["data"]["t1"]["rejected"][0]["reason"]


async def test_a_batch_over_the_limit_is_refused_whole(api: Api) -> None:
    track = (await api.graphql(TRACK, events=events(MAX_BATCH + 1))).json()["data"]["trackEvents"]
    assert track["accepted"] == 0
    assert f"at most {MAX_BATCH} events per request" in track["rejected"][0]["reason"]
    collect = await api.collect({"events": events(MAX_BATCH + 1)})
    assert collect.status_code == 400 and f"at most {MAX_BATCH}" in collect.text
    assert api.stored == []
    full = (await api.graphql(TRACK, events=events(MAX_BATCH))).json()["data"]["trackEvents"]
    assert full["accepted"] == MAX_BATCH and len(api.stored) == MAX_BATCH


async def test_events_carry_the_client_address(api: Api) -> None:
    assert (await api.graphql(TRACK, events=events(2))).json()["data"]["trackEvents"]["accepted"] == 2
    assert (await api.collect({"events": events(3)})).status_code == 202
    assert [e.client_address for e in api.stored] == ["127.0.0.1"] * 5


async def test_requests_over_the_address_limit_get_429_with_retry_after(
        database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, rate_limit_address_requests_per_minute=3) as lim:
        answers = [await lim.graphql("{ __typename }") for _ in range(3)]
        assert all(a.status_code == 200 for a in answers)
        refused = await lim.graphql("{ __typename }")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        collect = await lim.collect({"events": events(1)})
        assert collect.status_code == 429 and "retry-after" in collect.headers


async def test_requests_over_the_key_limit_get_429(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, rate_limit_key_requests_per_minute=2) as lim:
        assert (await lim.collect({"events": events(1)})).status_code == 202
        assert (await lim.graphql("{ __typename }")).status_code == 200
        refused = await lim.graphql("{ __typename }")
        assert refused.status_code == 429 and "retry-after" in refused.headers


async def test_events_over_the_visitor_limit_get_429(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path, rate_limit_visitor_events_per_minute=5) as lim:
        assert (await lim.graphql(TRACK, events=events(5, visitors=1))).status_code == 200
        refused = await lim.graphql(TRACK, events=events(1, visitors=1))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        other_visitor = [{**events(1)[0], "visitorId": "someone-else"}]
        assert (await lim.collect({"events": other_visitor})).status_code == 202
        collect = await lim.collect({"events": events(1, visitors=1)})
        assert collect.status_code == 429 and "retry-after" in collect.headers
        assert len(lim.stored) == 6


async def test_events_over_the_address_limit_are_refused_whole(database_url: str,
                                                               tmp_path: Path) -> None:
    async with running(database_url, tmp_path, rate_limit_address_events_per_minute=10) as lim:
        assert (await lim.collect({"events": events(8)})).status_code == 202
        refused = await lim.collect({"events": events(3)})
        assert refused.status_code == 429
        assert len(lim.stored) == 8
