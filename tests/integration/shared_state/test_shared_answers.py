"""Non-personalized answers through real Redis: two server applications on one database and
one Redis compute each answer once; a new index or a product write computes it again; with
Redis down every answer is still computed and served."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from app.asgi import create_app
from app.catalog.service import apply_product_changes
from app.graphql.persisted.documents import ANONYMOUS_RECOMMENDATIONS, SIMILAR_PRODUCTS
from app.http.graphql_endpoint import StorefrontGraphQL
from app.settings import Settings
from app.storage.database import transaction, utcnow
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.integration.shared_state.redis_process import RedisProcess
from tests.support import Harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE[:6]]
Computed = Counter[int]
"""Persisted queries run, by the application that ran them."""


@asynccontextmanager
async def server(database_url: str, data_dir: Path, redis_url: str) -> AsyncIterator[Harness]:
    """A server application as one of several processes would run it (no background roles)."""
    embedder = HashingEmbedder()
    settings = Settings(database_url=database_url, data_dir=data_dir, worker_enabled=False,
                        holdout_share=0.0, embedding_model=embedder.model_name, annoy_trees=10,
                        redis_url=redis_url, allowed_hosts=["testserver"],
                        _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, embedder_factory=lambda: embedder)
    services = app.state.services
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            yield Harness(app, client, services, embedder)
    finally:
        await services.session_state.link.close()
        await services.engine.dispose()


@pytest.fixture
async def servers(database_url: str, tmp_path: Path,
                  killable_redis: RedisProcess) -> AsyncIterator[list[Harness]]:
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(server(database_url, tmp_path, killable_redis.url))
               for _ in range(2)]


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Computed:
    counts: Computed = Counter()
    run = StorefrontGraphQL._execute_persisted

    async def counted(self: StorefrontGraphQL, asked: Any, admitted: Any, scope: Any) -> Any:
        counts[id(scope["app"])] += 1
        return await run(self, asked, admitted, scope)

    monkeypatch.setattr(StorefrontGraphQL, "_execute_persisted", counted)
    return counts


def similar(key: str, product_id: str = "1") -> str:
    variables = json.dumps({"productId": product_id, "first": 3})
    return "/graphql?" + urlencode({"id": SIMILAR_PRODUCTS.sha256, "variables": variables,
                                    "key": key})


async def get(api: Harness, url: str) -> httpx.Response:
    response = await api.client.get(url)
    assert response.status_code == 200, response.text
    await api.app.state.answers.shared.settled()
    return response


async def test_the_second_server_serves_the_answer_the_first_computed(
        servers: list[Harness], computed: Computed) -> None:
    a, b = servers
    _, key = await a.add_shop(CATALOG)
    first = await get(a, similar(key))
    second = await get(b, similar(key))
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert computed == {id(a.app): 1}
    other = await get(b, similar(key, "2"))  # other variables: another answer
    assert other.content != first.content and computed[id(b.app)] == 1
    home = "/graphql?" + urlencode({"id": ANONYMOUS_RECOMMENDATIONS.name, "key": key,
                                    "variables": json.dumps({"placement": "HOME"})})
    await get(a, home)
    await get(b, home)
    assert computed == {id(a.app): 2, id(b.app): 1}


async def test_a_new_index_version_computes_it_again(servers: list[Harness],
                                                     computed: Computed) -> None:
    a, b = servers
    shop, key = await a.add_shop(CATALOG)
    await get(a, similar(key))
    await a.build(shop)
    b.services.registry.recheck(shop)  # as the version's announcement does
    on_the_new_index = await get(b, similar(key))
    assert computed == {id(a.app): 1, id(b.app): 1}
    await get(a, similar(key))  # a still maps the version before: that one's answer
    assert computed == {id(a.app): 1, id(b.app): 1}
    a.services.registry.recheck(shop)
    assert (await get(a, similar(key))).content == on_the_new_index.content
    assert computed == {id(a.app): 1, id(b.app): 1}


async def test_a_product_write_computes_it_again_with_the_new_product(
        servers: list[Harness], computed: Computed) -> None:
    a, b = servers
    shop, key = await a.add_shop(CATALOG)
    before = await get(a, similar(key))
    shown = before.json()["data"]["similarProducts"]["items"][0]["product"]
    async with transaction(b.services.sessions) as session:  # another process writes it
        await apply_product_changes(session, shop, [product(
            shown["id"], shown["title"], price_min=77.5,
            updated_at=utcnow() + timedelta(seconds=1))])
    after = await get(a, similar(key))
    assert computed == {id(a.app): 2}
    prices = {i["product"]["id"]: i["product"]["price"]
              for i in after.json()["data"]["similarProducts"]["items"]}
    assert prices[shown["id"]] == 77.5 and after.headers["etag"] != before.headers["etag"]
    again = await get(b, similar(key))
    assert again.content == after.content and computed == {id(a.app): 2}


async def test_with_redis_down_every_server_computes_and_answers(
        servers: list[Harness], computed: Computed, killable_redis: RedisProcess) -> None:
    a, b = servers
    _, key = await a.add_shop(CATALOG)
    killable_redis.kill()
    for api in (a, b, a, b):
        response = await api.client.get(similar(key))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"].startswith("public")
    assert sum(computed.values()) == 4


async def test_an_answer_with_errors_is_never_stored(servers: list[Harness],
                                                     computed: Computed) -> None:
    a, b = servers
    _, key = await a.add_shop(CATALOG)
    for api in (a, b):
        response = await api.client.get(similar(key, "no-such-product"))
        assert response.headers["cache-control"] == "private, no-store"
        await api.app.state.answers.shared.settled()
    assert computed == {id(a.app): 1, id(b.app): 1}


async def test_an_answer_over_the_bound_is_computed_not_stored(
        servers: list[Harness], computed: Computed) -> None:
    a, b = servers
    _, key = await a.add_shop(CATALOG)
    for api in (a, b):
        api.app.state.answers.shared._max_bytes = 64  # every answer of this shop is larger
        await get(api, similar(key))
    assert computed == {id(a.app): 1, id(b.app): 1}
