"""rerankSearch on the real model: same products back, conservative, personal."""

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.events.models import Ranking
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_order
from app.storage.database import transaction
from tests.factories import at, product
from tests.support import Harness, harness

RERANK = """query($q: String!, $ids: [ID!]!, $customer: ID, $first: Int) {
  rerankSearch(query: $q, productIds: $ids, customerId: $customer, first: $first) {
    recommendationId items { score product { id title available } reasons { code message } } } }"""

GIFTS = [
    ("g1", "Scented candle gift set", "Candles"),
    ("g2", "Silk scarf gift box", "Accessories"),
    ("g3", "Chocolate truffles gift hamper", "Food"),
    ("g4", "Leather wallet gift for him", "Accessories"),
    ("g5", "Personalised photo frame gift", "Home Decor"),
    ("g6", "Ceramic coffee mug gift", "Mugs & Cups"),
    ("g7", "Enamel camping mug gift", "Mugs & Cups"),
    ("g8", "Bath bombs gift pack", "Bath"),
    ("m1", "Porcelain tea mug", "Mugs & Cups"),
    ("m2", "Stoneware espresso cup", "Mugs & Cups"),
]
CATALOG = [product(pid, title, product_type=kind) for pid, title, kind in GIFTS]
SEARCH_ORDER = ["g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8"]


@pytest.fixture
async def api(database_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, embedder) as h:
        yield h


def _ids(body: dict[str, object]) -> list[str]:
    assert "errors" not in body, body
    return [i["product"]["id"] for i in body["data"]["rerankSearch"]["items"]]  # type: ignore[index]


async def test_output_is_a_permutation_of_the_available_inputs(api: Harness) -> None:
    catalog = [replace(c, available=False) if c.platform_id == "g3" else c for c in CATALOG]
    _, key = await api.add_shop(catalog)
    ids = [*SEARCH_ORDER[:4], "not-in-catalog", *SEARCH_ORDER[4:]]
    body = (await api.graphql(key, RERANK, q="gift", ids=ids)).json()
    out = _ids(body)
    assert sorted(out) == sorted(ids)
    assert out[3] == "not-in-catalog"  # unknown ids keep their place (g3 left the middle)
    assert out[-1] == "g3"  # unavailable sinks to the end
    assert len(_ids((await api.graphql(key, RERANK, q="gift", ids=ids, first=3)).json())) == 3


async def test_without_history_the_order_stays_close_to_the_original(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    out = _ids((await api.graphql(key, RERANK, q="gift", ids=SEARCH_ORDER)).json())
    displacement = sum(abs(out.index(pid) - i) for i, pid in enumerate(SEARCH_ORDER))
    assert out[0] == "g1" and displacement / len(SEARCH_ORDER) <= 1.0, out


async def test_a_shopper_who_bought_mugs_sees_mugs_rise_for_gift(api: Harness) -> None:
    shop, key = await api.add_shop(CATALOG)
    async with transaction(api.services.sessions) as session:
        lines = (OrderLineChange("l1", "m1", None, 1), OrderLineChange("l2", "m2", None, 2))
        await record_order(session, shop, OrderChange("o1", "cust-7", at("2024-03-01T00:00:00+00:00"), lines))
    anonymous = _ids((await api.graphql(key, RERANK, q="gift", ids=SEARCH_ORDER)).json())
    body = (await api.graphql_as_server(
        await api.server_key(shop), RERANK, q="gift", ids=SEARCH_ORDER, customer="cust-7")).json()
    personal = _ids(body)
    for mug in ("g6", "g7"):
        assert personal.index(mug) < anonymous.index(mug), (anonymous, personal)
    assert personal.index("g6") <= 2
    reasons = {i["product"]["id"]: i["reasons"] for i in body["data"]["rerankSearch"]["items"]}
    assert any("Mugs & Cups" in r["message"] for r in reasons["g6"])


async def test_bought_before_rises_with_its_reason(api: Harness) -> None:
    shop, _key = await api.add_shop(CATALOG)
    async with transaction(api.services.sessions) as session:
        lines = (OrderLineChange("l1", "g8", None, 1),)
        await record_order(session, shop, OrderChange("o2", "cust-8", at("2024-03-01T00:00:00+00:00"), lines))
    body = (await api.graphql_as_server(
        await api.server_key(shop), RERANK, q="gift", ids=SEARCH_ORDER, customer="cust-8")).json()
    items = body["data"]["rerankSearch"]["items"]
    moved = next(i for i in items if i["product"]["id"] == "g8")
    assert items.index(moved) < 7
    assert moved["reasons"][0]["code"] == "BOUGHT_BEFORE"


async def test_limits_are_enforced(api: Harness) -> None:
    _, key = await api.add_shop(CATALOG)
    too_many = [str(i) for i in range(501)]
    body = (await api.graphql(key, RERANK, q="gift", ids=too_many)).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    body = (await api.graphql(key, RERANK, q="   ", ids=SEARCH_ORDER)).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_the_served_order_is_recorded_for_attribution(api: Harness) -> None:
    shop, _key = await api.add_shop(CATALOG)
    body = (await api.graphql_as_server(
        await api.server_key(shop), RERANK, q="gift", ids=SEARCH_ORDER, customer="cust-9")).json()
    served = body["data"]["rerankSearch"]
    async with transaction(api.services.sessions) as session:
        ranking = (await session.execute(select(Ranking).where(
            Ranking.recommendation_id == served["recommendationId"]))).scalar_one()
    assert ranking.shop_id == shop and ranking.placement == "SEARCH"
    assert ranking.customer_id == "cust-9"
    assert ranking.product_ids == [i["product"]["id"] for i in served["items"]]
    assert (ranking.model_version or "").startswith("search:")
