"""Served lists of every shop share the recorder's grouped inserts: a request with inputs
no database may store is refused on its own, the same way on SQLite and PostgreSQL, and a
row that fails inside a group fails only its own request."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.snapshot import CatalogProduct
from app.errors import InvalidInput, Unavailable
from app.events.models import Ranking
from app.events.rankings import RankingRecorder
from app.ids import ShopId
from app.recommendations.types import Reason, RecommendationList, ScoredProduct
from app.storage.database import create_session_factory, transaction
from app.storage.writes import Writes, writes_for
from tests.factories import MUGS_AND_MORE, make_shop, product, shop_id
from tests.fakes import HashingEmbedder, SlowWrites, UnreachableWrites
from tests.support import Harness, harness

CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE]
HOME = """query($visitor: ID) { recommendations(placement: HOME, visitorId: $visitor, first: 4) {
  recommendationId items { product { id } } } }"""
RERANK = """query($q: String!, $ids: [ID!]!, $visitor: ID) {
  rerankSearch(query: $q, productIds: $ids, visitorId: $visitor) {
  recommendationId items { product { id } } } }"""
TOO_LONG_VISITOR = "v" * 129


@pytest.fixture
def writes(database_url: str, engine: AsyncEngine) -> Iterator[Writes]:
    """The writes a server makes on each database (SQLite's writer thread, PostgreSQL's
    session)."""
    chosen = writes_for(database_url, create_session_factory(engine))
    yield chosen
    chosen.dispose()


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, HashingEmbedder()) as h:
        yield h


async def _stored(api: Harness, shop: ShopId) -> int:
    async with transaction(api.services.sessions) as session:
        count = await session.scalar(select(func.count()).select_from(Ranking).where(
            Ranking.shop_id == shop))
    return int(count or 0)


def _refused(response: httpx.Response, sent: str) -> None:
    assert sent not in response.text  # the answer never echoes the input
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["INVALID_INPUT"]
    assert "visitorId" in errors[0]["message"]


async def test_a_too_long_visitor_id_is_refused_and_nothing_is_written(api: Harness) -> None:
    shop, key = await api.add_shop(CATALOG)
    mugs = [pid for pid, _ in MUGS_AND_MORE]
    for query, variables in ((HOME, {}), (RERANK, {"q": "mug", "ids": mugs})):
        response = await api.graphql(key, query, visitor=TOO_LONG_VISITOR, **variables)
        _refused(response, TOO_LONG_VISITOR)
    assert await _stored(api, shop) == 0
    fits = await api.graphql(key, HOME, visitor="v" * 128)
    assert "errors" not in fits.json()
    assert await _stored(api, shop) == 1


async def test_a_shop_sending_bad_requests_never_fails_another_shops(api: Harness) -> None:
    good_shop, good_key = await api.add_shop(CATALOG)
    bad_shop, bad_key = await api.add_shop(CATALOG)

    async def good(i: int) -> httpx.Response:
        return await api.graphql(good_key, HOME, visitor=f"visitor-{i}")

    async def bad(i: int) -> httpx.Response:
        return await api.graphql(bad_key, HOME, visitor=f"{TOO_LONG_VISITOR}-{i}")

    # The bad shop's requests arrive between the good shop's, while lists are being written.
    requests = [bad(i) if i % 3 == 0 else good(i) for i in range(135)]
    responses = await asyncio.gather(*requests)
    goods = [r for i, r in enumerate(responses) if i % 3]
    bads = [r for i, r in enumerate(responses) if i % 3 == 0]
    assert len(goods) == 90
    assert [r.json().get("errors") for r in goods] == [None] * 90
    for i, response in zip(range(0, 135, 3), bads, strict=True):
        _refused(response, f"{TOO_LONG_VISITOR}-{i}")
    assert await _stored(api, good_shop) == 90
    assert await _stored(api, bad_shop) == 0


def _served(n: int) -> RecommendationList:
    items = [ScoredProduct(CatalogProduct(i, f"p{i}", f"Product {i}"), 1.0,
                           [Reason("POPULAR", "Popular in this shop")]) for i in range(n)]
    return RecommendationList(uuid.uuid4().hex, items, "test-model")



async def _count(engine: AsyncEngine, ids: list[str]) -> int:
    async with transaction(create_session_factory(engine)) as session:
        count = await session.scalar(select(func.count()).select_from(Ranking).where(
            Ranking.recommendation_id.in_(ids)))
    return int(count or 0)


async def test_a_row_failing_inside_a_group_fails_only_its_own_request(
        engine: AsyncEngine, writes: Writes, caplog: pytest.LogCaptureFixture) -> None:
    async with transaction(create_session_factory(engine)) as session:
        shop = shop_id(await make_shop(session))
    slow = SlowWrites(writes)
    recorder = RankingRecorder(slow)
    missing_shop = ShopId(10**9)  # the foreign key refuses its row, on both databases
    lists = [_served(3) for _ in range(90)]
    shops = [missing_shop if i in (1, 45) else shop for i in range(90)]
    outcomes = await asyncio.gather(
        *(recorder.record(s, "HOME", f"visitor-{i}", None, served)
          for i, (s, served) in enumerate(zip(shops, lists, strict=True))),
        return_exceptions=True)
    failed = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, Exception)]
    assert failed == [1, 45]
    assert all(isinstance(outcomes[i], Unavailable) for i in failed)
    assert "served lists failed (IntegrityError" in caplog.text
    assert "visitor-" not in caplog.text  # the log names the failure, not the rows
    # The first list alone, then one group of 89, then its halves: never one by one.
    assert slow.small_writes < 40
    good = [served.recommendation_id for i, served in enumerate(lists) if i not in (1, 45)]
    assert await _count(engine, good) == 88



async def test_a_database_failure_fails_the_group_without_writing_it_again() -> None:
    database = UnreachableWrites()
    recorder = RankingRecorder(database)
    outcomes = await asyncio.gather(
        *(recorder.record(ShopId(1), "HOME", f"v{i}", None, _served(1)) for i in range(30)),
        return_exceptions=True)
    assert all(isinstance(o, Unavailable) for o in outcomes)
    assert database.attempts == 2  # the first list alone, then the others' group once


async def test_the_recorder_refuses_what_no_database_may_store(
        engine: AsyncEngine, writes: Writes) -> None:
    async with transaction(create_session_factory(engine)) as session:
        shop = shop_id(await make_shop(session))
    recorder = RankingRecorder(SlowWrites(writes))
    long_product = RecommendationList(uuid.uuid4().hex, [ScoredProduct(
        CatalogProduct(0, "p" * 65, ""), 0.0, [Reason("UNKNOWN_PRODUCT", "")])])
    bad = [
        (TOO_LONG_VISITOR, None, _served(1)),
        (None, "c" * 129, _served(1)),
        ("v", None, long_product),
    ]
    good = [_served(2) for _ in range(30)]
    outcomes = await asyncio.gather(
        *(recorder.record(shop, "SEARCH", visitor, customer, served)
          for visitor, customer, served in bad),
        *(recorder.record(shop, "HOME", f"v{i}", None, served) for i, served in enumerate(good)),
        return_exceptions=True)
    assert [type(o) for o in outcomes[:3]] == [InvalidInput] * 3
    assert all(TOO_LONG_VISITOR not in str(o) and "c" * 129 not in str(o) for o in outcomes[:3])
    assert outcomes[3:] == [None] * 30
    assert await _count(engine, [s.recommendation_id for _, _, s in bad]) == 0
    assert await _count(engine, [s.recommendation_id for s in good]) == 30
