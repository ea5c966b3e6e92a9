"""Non-personalized answers over GET: persisted queries by id, public caching headers, a
strong ETag, 304 for a client that holds the answer, and personalized requests refused."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from app.catalog.service import apply_product_changes
from app.graphql.persisted.documents import ANONYMOUS_RECOMMENDATIONS, SIMILAR_PRODUCTS
from app.ids import ShopId
from app.storage.database import transaction, utcnow
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.support import SIMILAR, Harness, harness

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE[:6]]


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, HashingEmbedder()) as h:
        yield h


def url(**params: Any) -> str:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return "/graphql?" + urlencode(encoded)


def similar(key: str, product_id: str = "1", **extra: Any) -> str:
    return url(id=SIMILAR_PRODUCTS.sha256, variables={"productId": product_id, "first": 3},
               key=key, **extra)


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


async def test_a_persisted_similar_products_answer_is_public_with_a_strong_etag(
        api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    response = await api.client.get(similar(key))
    assert response.status_code == 200, response.text
    items = response.json()["data"]["similarProducts"]["items"]
    assert 0 < len(items) <= 3 and "1" not in [i["product"]["id"] for i in items]
    cache_control = response.headers["cache-control"]
    assert cache_control.startswith("public, max-age=60") and "stale-while-revalidate" in cache_control
    tag = response.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    assert "Origin" in response.headers["vary"]
    again = await api.client.get(similar(key))
    assert again.headers["etag"] == tag and again.content == response.content


async def test_the_same_answer_by_name_and_by_the_apollo_extension(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    by_hash = await api.client.get(similar(key))
    variables = {"productId": "1", "first": 3}
    by_name = await api.client.get(url(id="similarProducts", variables=variables, key=key))
    extension = {"persistedQuery": {"version": 1, "sha256Hash": SIMILAR_PRODUCTS.sha256}}
    by_extension = await api.client.get(url(extensions=extension, variables=variables, key=key))
    assert by_hash.content == by_name.content == by_extension.content
    assert by_name.status_code == by_extension.status_code == 200


async def test_if_none_match_gets_304_without_a_body(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    tag = (await api.client.get(similar(key))).headers["etag"]
    for held in (tag, f"W/{tag}", f'"other", {tag}'):
        cached = await api.client.get(similar(key), headers={"If-None-Match": held})
        assert cached.status_code == 304 and cached.content == b""
        assert cached.headers["etag"] == tag
        assert cached.headers["cache-control"].startswith("public")
    stale = await api.client.get(similar(key), headers={"If-None-Match": '"not-the-tag"'})
    assert stale.status_code == 200 and stale.headers["etag"] == tag


async def test_a_changed_product_changes_the_etag(api: Harness) -> None:
    shop, key = await api.add_shop(CATALOG)
    before = await api.client.get(similar(key))
    shown = [i["product"] for i in before.json()["data"]["similarProducts"]["items"]]
    changed = product(shown[0]["id"], shown[0]["title"], price_min=99.5,
                      updated_at=utcnow() + timedelta(seconds=1))
    async with transaction(api.services.sessions) as session:
        await apply_product_changes(session, ShopId(shop), [changed])
    after = await api.client.get(similar(key), headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    prices = {i["product"]["id"]: i["product"]["price"]
              for i in after.json()["data"]["similarProducts"]["items"]}
    assert prices[shown[0]["id"]] == 99.5


async def test_anonymous_home_recommendations_are_cacheable(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    home = url(id=ANONYMOUS_RECOMMENDATIONS.sha256, variables={"placement": "HOME", "first": 4},
               key=key)
    first = await api.client.get(home)
    assert first.status_code == 200, first.text
    assert first.json()["data"]["recommendations"]["items"]
    assert "recommendationId" not in first.text
    again = await api.client.get(home, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("variables", [
    {"productId": "1", "visitorId": "v1"},
    {"productId": "1", "customerId": "c1"},
    {"productId": "1", "customerToken": "t"},
    {"productId": "1", "CART": ["1"]},
])
async def test_personalizing_variables_are_refused(api: Harness,
                                                   variables: dict[str, Any]) -> None:
    _, key = await api.add_shop(CATALOG)
    response = await api.client.get(url(id="similarProducts", variables=variables, key=key))
    assert response.status_code == 400 and code_of(response) == "PERSONALIZED_VARIABLES"
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


async def test_a_personalized_placement_is_refused(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    response = await api.client.get(url(id="anonymousRecommendations", key=key,
                                        variables={"placement": "CART"}))
    assert response.status_code == 400 and code_of(response) == "PERSONALIZED_VARIABLES"


async def test_an_unknown_id_is_a_404_that_does_not_echo_it(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    response = await api.client.get(url(id="deadbeef" * 8, key=key))
    assert response.status_code == 404 and code_of(response) == "PERSISTED_QUERY_NOT_FOUND"
    assert "deadbeef" not in response.text
    assert response.headers["cache-control"] == "private, no-store"


async def test_sizes_are_bounded(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    big = await api.client.get(url(id="similarProducts", key=key,
                                   variables={"productId": "1" * 2000}))
    assert big.status_code == 400 and code_of(big) == "INVALID_VARIABLES"
    assert "1111" not in big.text
    many = await api.client.get(url(id="anonymousRecommendations", key=key, variables={
        "placement": "PRODUCT", "productIds": [str(i) for i in range(21)]}))
    assert many.status_code == 400 and code_of(many) == "INVALID_VARIABLES"
    long_url = "/graphql?id=similarProducts&key=" + "k" * 5000
    too_long = await api.client.get(long_url)
    assert too_long.status_code == 414 and code_of(too_long) == "URI_TOO_LONG"


@pytest.mark.parametrize("query", [
    "variables=%7B%7D&id=similarProducts&extra=1",
    "id=similarProducts&id=anonymousRecommendations",
    "id=similarProducts&variables=not-json",
    "id=similarProducts&variables=%5B%5D",
    "extensions=%7B%7D",
])
async def test_malformed_requests_are_400(api: Harness, query: str) -> None:
    _, key = await api.add_shop(CATALOG)
    response = await api.client.get(f"/graphql?{query}&key={key}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] in (
        "INVALID_PERSISTED_QUERY", "INVALID_VARIABLES")


async def test_a_get_needs_a_valid_key(api: Harness) -> None:
    await api.add_shop(CATALOG)
    missing = await api.client.get(url(id="similarProducts", variables={"productId": "1"}))
    wrong = await api.client.get(url(id="similarProducts", variables={"productId": "1"},
                                     key="sfk_not-a-real-key"))
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["cache-control"] == "private, no-store"


async def test_the_key_may_come_as_a_header(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    response = await api.client.get(url(id="similarProducts", variables={"productId": "1"}),
                                    headers={"X-Affinity-Storefront-Key": key})
    assert response.status_code == 200
    assert "X-Affinity-Storefront-Key" in response.headers["vary"]


async def test_an_answer_with_errors_is_not_cached(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    response = await api.client.get(url(id="similarProducts", key=key,
                                        variables={"productId": "no-such-product"}))
    assert response.status_code == 200 and code_of(response) == "NOT_FOUND"
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


async def test_post_answers_are_private_and_never_stored(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    answers = [await api.graphql(key, SIMILAR, id="1"),
               await api.graphql(None, SIMILAR, id="1"),
               await api.client.get("/graphql")]
    for answer in answers:
        assert answer.headers["cache-control"] == "private, no-store"
        assert "etag" not in answer.headers
    assert [a.status_code for a in answers] == [200, 401, 405]


async def test_head_answers_with_the_same_validators(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    full = await api.client.get(similar(key))
    head = await api.client.head(similar(key))
    assert head.status_code == 200 and head.headers["etag"] == full.headers["etag"]
    held = await api.client.head(similar(key), headers={"If-None-Match": full.headers["etag"]})
    assert held.status_code == 304
