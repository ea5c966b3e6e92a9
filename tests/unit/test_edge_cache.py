"""The edge's pieces on their own: which GETs ask for a persisted query, how the URL is
read and bounded, the entity tag, If-None-Match, and the headers of each kind of answer."""

import json
from urllib.parse import urlencode

import pytest
from starlette.datastructures import Headers
from starlette.types import Message

from app.graphql.persisted import (
    InvalidVariables,
    PersistedQueryError,
    UnknownPersistedQuery,
    shipped_queries,
)
from app.graphql.persisted.documents import ANONYMOUS_RECOMMENDATIONS, SIMILAR_PRODUCTS
from app.http.edge_cache import (
    MAX_QUERY_STRING_BYTES,
    CachePolicy,
    QueryStringTooLong,
    asks_for_persisted,
    cacheable_answer,
    entity_tag,
    held_by_client,
    persisted_request,
    status_of,
    without_storing,
)

QUERIES = shipped_queries()


def query_string(**params: object) -> bytes:
    return urlencode({k: v if isinstance(v, str) else json.dumps(v)
                      for k, v in params.items()}).encode()


@pytest.mark.parametrize(("raw", "persisted"), [
    (b"id=similarProducts", True), (b"key=k&id=x", True), (b"extensions=%7B%7D", True),
    (b"", False), (b"query={__typename}", False), (b"userid=1", False), (b"key=id=", False),
])
def test_which_gets_ask_for_a_persisted_query(raw: bytes, persisted: bool) -> None:
    assert asks_for_persisted({"query_string": raw}) is persisted


def test_a_request_by_id_with_variables_and_key() -> None:
    asked = persisted_request(query_string(id=SIMILAR_PRODUCTS.sha256, key="sfk_1",
                                           variables={"productId": "9"}), QUERIES)
    assert asked.query is SIMILAR_PRODUCTS
    assert asked.variables == {"productId": "9"} and asked.key == "sfk_1"


def test_a_request_by_the_apollo_extension() -> None:
    extensions = {"persistedQuery": {"version": 1,
                                     "sha256Hash": ANONYMOUS_RECOMMENDATIONS.sha256}}
    asked = persisted_request(query_string(extensions=extensions), QUERIES)
    assert asked.query is ANONYMOUS_RECOMMENDATIONS and asked.key is None
    same = persisted_request(query_string(extensions=extensions,
                                          id="anonymousRecommendations"), QUERIES)
    assert same.query is ANONYMOUS_RECOMMENDATIONS
    with pytest.raises(PersistedQueryError):
        persisted_request(query_string(extensions=extensions, id="similarProducts"), QUERIES)


@pytest.mark.parametrize("raw", [
    b"id=similarProducts&query=%7B__typename%7D", b"id=a&id=b", b"id=similarProducts&&",
    b"id=%FF", b"extensions=%5B%5D", b"extensions=" + b"x" * 600,
    b"extensions=%7B%22persistedQuery%22%3A%7B%7D%7D",
    b"id=1&key=2&variables=3&extensions=4&more=5",
])
def test_malformed_urls_are_refused(raw: bytes) -> None:
    with pytest.raises(PersistedQueryError) as refused:
        persisted_request(raw, QUERIES)
    assert status_of(refused.value) == 400


def test_unknown_ids_and_long_urls_have_their_own_statuses() -> None:
    with pytest.raises(UnknownPersistedQuery) as unknown:
        persisted_request(b"id=nothing", QUERIES)
    assert status_of(unknown.value) == 404
    with pytest.raises(QueryStringTooLong) as too_long:
        persisted_request(b"id=similarProducts&key=" + b"k" * MAX_QUERY_STRING_BYTES, QUERIES)
    assert status_of(too_long.value) == 414
    with pytest.raises(InvalidVariables):
        persisted_request(b"id=similarProducts&variables=%5B%5D", QUERIES)


def test_the_entity_tag_is_strong_and_follows_the_bytes() -> None:
    tag = entity_tag(b'{"data": 1}')
    assert tag == entity_tag(b'{"data": 1}') and tag != entity_tag(b'{"data": 2}')
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")


@pytest.mark.parametrize(("header", "held"), [
    (None, False), ('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True),
    ('"x",W/"abc"', True), ("*", True), ('"abcd"', False), ("abc", False), ("", False),
])
def test_if_none_match(header: str | None, held: bool) -> None:
    assert held_by_client(header, '"abc"') is held


def test_a_cacheable_answer_and_its_304() -> None:
    policy = CachePolicy(max_age_seconds=30, stale_while_revalidate_seconds=90)
    body = b'{"data":{}}'
    full = cacheable_answer(body, Headers(), policy)
    assert full.status_code == 200 and full.body == body
    assert full.headers["cache-control"] == "public, max-age=30, stale-while-revalidate=90"
    assert full.headers["etag"] == entity_tag(body)
    held = cacheable_answer(body, Headers({"if-none-match": entity_tag(body)}), policy)
    assert held.status_code == 304 and held.body == b""
    assert held.headers["etag"] == entity_tag(body)
    assert held.headers["vary"] == full.headers["vary"]


async def test_answers_without_their_own_policy_are_never_stored() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    private = without_storing(send)
    await private({"type": "http.response.start", "status": 200, "headers": []})
    await private({"type": "http.response.start", "status": 200,
                   "headers": [(b"cache-control", b"public, max-age=5")]})
    await private({"type": "http.response.body", "body": b"x"})
    assert Headers(raw=sent[0]["headers"])["cache-control"] == "private, no-store"
    assert Headers(raw=sent[1]["headers"])["cache-control"] == "public, max-age=5"
    assert sent[2] == {"type": "http.response.body", "body": b"x"}
