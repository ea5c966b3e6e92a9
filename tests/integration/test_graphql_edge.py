"""The HTTP edge: keys, limits, masked errors, CORS, health."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from tests.factories import MUGS_AND_MORE, product
from tests.support import SIMILAR, Harness, harness

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE[:4]]
ORIGIN = "https://shop.example"


@pytest.fixture
async def api(database_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, embedder) as h:
        yield h


async def test_missing_and_unknown_keys_get_the_same_401(api: Harness) -> None:
    await api.add_shop(CATALOG)
    missing = await api.graphql(None, SIMILAR, id="1")
    unknown = await api.graphql("sfk_not-a-real-key", SIMILAR, id="1")
    assert missing.status_code == unknown.status_code == 401
    assert missing.json() == unknown.json()
    assert "shop" not in missing.text.lower()


async def test_first_is_bounded_with_a_clear_error(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    for bad in (0, 101):
        body = (await api.graphql(key, SIMILAR, id="1", first=bad)).json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert "between 1 and 100" in body["errors"][0]["message"]


async def test_depth_alias_and_token_limits(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    aliases = "{ " + " ".join(f"a{i}: product(id: \"1\") {{ id }}" for i in range(30)) + " }"
    body = (await api.graphql(key, aliases)).json()
    assert "aliases" in body["errors"][0]["message"].lower()
    huge = "{ " + "product(id: \"1\") { id title } " * 400 + "}"
    body = (await api.graphql(key, huge)).json()
    assert "token" in body["errors"][0]["message"].lower()


async def test_unexpected_errors_are_masked(api: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    _, key = await api.add_shop(CATALOG)

    async def explode(*_: object, **__: object) -> None:
        raise RuntimeError("secret internal detail: password=hunter2")

    monkeypatch.setattr(api.services.recommender, "similar_products", explode)
    response = await api.graphql(key, SIMILAR, id="1")
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in response.text


async def test_cors_is_limited_to_the_shops_origins(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG, storefront_origins=[ORIGIN])
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-affinity-storefront-key"}
    allowed = await api.client.options("/graphql", headers=preflight)
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == ORIGIN
    denied = await api.client.options("/graphql", headers={**preflight, "Origin": "https://evil.example"})
    assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers
    query = {"query": "{ product(id: \"1\") { id } }"}
    ok = await api.client.post("/graphql", json=query,
                               headers={"X-Affinity-Storefront-Key": key, "Origin": ORIGIN})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ORIGIN
    foreign = await api.client.post("/graphql", json=query,
                                    headers={"X-Affinity-Storefront-Key": key, "Origin": "https://evil.example"})
    assert foreign.status_code == 403


async def test_health_reports_database_index_and_catalogs(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    api.services.settings.admin_token = SecretStr("operator")  # the details are the operator's
    operator = {"Authorization": "Bearer operator"}
    body = (await api.client.get("/health", headers=operator)).json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["index"]["shops_indexed"] >= 1 and body["index"]["items"] >= 4
    shops = body["index"]["shops"]
    assert body["catalogs"]["shops"] == shops and body["catalogs"]["loaded"] < shops
    assert (await api.graphql(key, SIMILAR, id="1")).json()["data"]["similarProducts"]["items"]
    after = (await api.client.get("/health", headers=operator)).json()["catalogs"]
    # The new shop's catalog, loaded by its first request.
    assert after == {"shops": shops, "loaded": body["catalogs"]["loaded"] + 1}
