"""Every served list records its experiment and variant, through the storefront API: the
shop's holdout and each variant get what they are configured to get, from memory."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import container
from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.events.models import Ranking
from app.experiments.assignment import assign_variant, in_holdout, shopper_unit
from app.experiments.configs import parse_config
from app.experiments.directory import ExperimentDirectory
from app.experiments.models import Experiment
from app.experiments.service import create_experiment, start_experiment, stop_experiment
from app.experiments.specs import ExperimentSpec, VariantSpec
from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.profiles.service import Shopper
from app.ranking.jobs import train_shop_model
from app.ranking.service import RecommendationEngine
from app.ranking.types import RecommendationRequest
from app.ranking.variants import BLEND_FEATURES, ENGINE
from app.recommendations.types import Placement
from app.search.service import SearchReranker
from app.shops.models import Shop
from app.storage.database import transaction
from tests.factories import MUGS_AND_MORE, make_shop, product, shop_id
from tests.support import Harness, harness

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }"""
RECOMMEND = """query($placement: Placement!, $visitor: ID) {
  recommendations(placement: $placement, visitorId: $visitor, first: 5) {
    recommendationId items { product { id } reasons { code } } } }"""
RERANK = """query($q: String!, $ids: [ID!]!, $visitor: ID) {
  rerankSearch(query: $q, productIds: $ids, visitorId: $visitor) { recommendationId } }"""
YES = {"analytics": True, "personalization": True}
HOLDOUT = 0.2
NAMES = ["engine", "base"]


def _built_with(cls: Callable[..., Any], directory: ExperimentDirectory) -> Callable[..., Any]:
    def build(*args: Any, **kwargs: Any) -> Any:
        return cls(*args, **{**kwargs, "variants": directory})

    return build


@pytest.fixture
async def served(database_url: str, tmp_path: Path, embedder: SentenceTransformerEmbedder,
                 monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[tuple[Harness, ShopId, str, ExperimentDirectory]]:
    """A server whose engines pick variants from ``directory`` (its own holdout share)."""
    directory = ExperimentDirectory(HOLDOUT, refresh_seconds=3600)
    monkeypatch.setattr(container, "RecommendationEngine",
                        _built_with(RecommendationEngine, directory))
    monkeypatch.setattr(container, "SearchReranker", _built_with(SearchReranker, directory))
    async with harness(database_url, tmp_path, embedder) as h:
        products = [product(pid, title, product_type=title.split()[-1])
                    for pid, title in MUGS_AND_MORE]
        shop, key = await h.add_shop(products)
        yield h, shop, key, directory


async def _start(h: Harness, shop: ShopId, placement: str | None = "HOME") -> Experiment:
    spec = ExperimentSpec("ab", placement, "engine", [VariantSpec("engine", "engine", 0.5),
                                                     VariantSpec("base", "baseline", 0.5)])
    async with transaction(h.services.sessions) as session:
        experiment = await create_experiment(session, shop, spec)
        return await start_experiment(session, shop, experiment.id)


def _expected(shop: ShopId, experiment: Experiment | None,
              visitor: str) -> tuple[int | None, str | None]:
    unit = shopper_unit(visitor, None)
    assert unit is not None
    if in_holdout(shop, unit, HOLDOUT):
        return None, "holdout"
    if experiment is None:
        return None, None
    return experiment.id, assign_variant(experiment.salt, unit, NAMES, [0.5, 0.5])


def _visitor_in(shop: ShopId, experiment: Experiment, wanted: tuple[int | None, str]) -> str:
    return next(f"v{i}" for i in range(1000)
                if _expected(shop, experiment, f"v{i}") == wanted)


async def _recommend(h: Harness, key: str, **variables: Any) -> dict[str, Any]:
    variables.setdefault("placement", "HOME")
    body = (await h.graphql(key, RECOMMEND, **variables)).json()
    assert "errors" not in body, body
    return body["data"]["recommendations"]  # type: ignore[no-any-return]


async def _rows(h: Harness, shop: ShopId) -> dict[str, Ranking]:
    async with transaction(h.services.sessions) as session:
        found = (await session.execute(select(Ranking).where(Ranking.shop_id == shop))).scalars()
        return {r.recommendation_id: r for r in found}


async def test_each_list_records_the_shoppers_experiment_and_variant(
        served: tuple[Harness, ShopId, str, ExperimentDirectory]) -> None:
    h, shop, key, _ = served
    experiment = await _start(h, shop)
    visitors = [f"v{i}" for i in range(40)]
    served_to = {(await _recommend(h, key, visitor=v))["recommendationId"]: v for v in visitors}
    other_placement = (await _recommend(h, key, visitor="v0", placement="CART"))
    rows = await _rows(h, shop)
    seen = {(r.experiment_id, r.variant) for r in rows.values()}
    assert {(experiment.id, "engine"), (experiment.id, "base"), (None, "holdout")} <= seen
    for rid, visitor in served_to.items():
        assert (rows[rid].experiment_id, rows[rid].variant) == _expected(shop, experiment, visitor)
        assert rows[rid].latency_ms is not None and rows[rid].latency_ms > 0
    cart = rows[other_placement["recommendationId"]]  # HOME's experiment: not on CART
    assert (cart.experiment_id, cart.variant) == _expected(shop, None, "v0")


async def test_the_baseline_variant_serves_a_non_personalized_list(
        served: tuple[Harness, ShopId, str, ExperimentDirectory]) -> None:
    h, shop, key, _ = served
    experiment = await _start(h, shop)
    engine = _visitor_in(shop, experiment, (experiment.id, "engine"))
    baseline = _visitor_in(shop, experiment, (experiment.id, "base"))
    held = _visitor_in(shop, experiment, (None, "holdout"))
    for i, visitor in enumerate((engine, baseline, held)):
        body = (await h.graphql(key, TRACK, events=[{
            "type": "PRODUCT_VIEWED", "visitorId": visitor, "productId": "6",
            "eventId": f"view-{i}", "consent": YES}])).json()
        assert body["data"]["trackEvents"]["accepted"] == 1
    personal = await _recommend(h, key, visitor=engine)
    assert personal["items"][0]["product"]["id"] == "7"  # the other candle, since viewed
    assert personal["items"][0]["reasons"][0]["code"] == "VIEWED"
    for visitor in (baseline, held):
        assert "VIEWED" not in str(await _recommend(h, key, visitor=visitor))


async def test_search_lists_record_their_experiment_and_variant(
        served: tuple[Harness, ShopId, str, ExperimentDirectory]) -> None:
    h, shop, key, _ = served
    experiment = await _start(h, shop, placement="SEARCH")
    ids = [pid for pid, _ in MUGS_AND_MORE]
    served_to = {}
    for i in range(12):
        body = (await h.graphql(key, RERANK, q="mug", ids=ids, visitor=f"v{i}")).json()
        assert "errors" not in body, body
        served_to[body["data"]["rerankSearch"]["recommendationId"]] = f"v{i}"
    rows = await _rows(h, shop)
    for rid, visitor in served_to.items():
        assert rows[rid].placement == "SEARCH"
        assert (rows[rid].experiment_id, rows[rid].variant) == _expected(shop, experiment, visitor)
        assert rows[rid].latency_ms is not None


async def test_a_stopped_experiment_stops_being_recorded(
        served: tuple[Harness, ShopId, str, ExperimentDirectory]) -> None:
    h, shop, key, directory = served
    experiment = await _start(h, shop)
    visitor = _visitor_in(shop, experiment, (experiment.id, "base"))
    before = await _recommend(h, key, visitor=visitor)
    async with transaction(h.services.sessions) as session:
        await stop_experiment(session, shop, experiment.id, "done")
    directory.invalidate(shop)
    after = await _recommend(h, key, visitor=visitor)
    anonymous = await _recommend(h, key)
    rows = await _rows(h, shop)
    assert rows[before["recommendationId"]].variant == "base"
    assert (rows[after["recommendationId"]].experiment_id, rows[after["recommendationId"]].variant) \
        == (None, None)
    assert (rows[anonymous["recommendationId"]].experiment_id,
            rows[anonymous["recommendationId"]].variant) == (None, None)


async def _statements_about_experiments(session: AsyncSession, directory: ExperimentDirectory,
                                        shop: ShopId, calls: int) -> int:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "experiments" in statement:
            statements.append(statement)

    sync_engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(sync_engine, "before_cursor_execute", seen)
    try:
        for i in range(calls):
            await directory.assignment(session, shop, "HOME", f"v{i}", None)
    finally:
        event.remove(sync_engine, "before_cursor_execute", seen)
    return len(statements)


async def test_the_directory_reads_a_shop_once_per_refresh(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    cached = ExperimentDirectory(0.0, refresh_seconds=3600)
    assert await _statements_about_experiments(session, cached, shop, 50) == 1
    spec = ExperimentSpec("ab", None, "a", [VariantSpec("a", "engine", 0.5),
                                           VariantSpec("b", "baseline", 0.5)])
    experiment = await start_experiment(
        session, shop, (await create_experiment(session, shop, spec)).id)
    assert (await cached.assignment(session, shop, "HOME", "v1", None)).experiment_id is None
    cached.invalidate(shop)
    chosen = await cached.assignment(session, shop, "EMAIL", "v1", None)
    assert chosen.experiment_id == experiment.id and chosen.variant in {"a", "b"}
    always = ExperimentDirectory(0.0, refresh_seconds=0)
    assert await _statements_about_experiments(session, always, shop, 3) == 3


async def test_a_shops_own_holdout_share_overrides_the_default(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    row = await session.get(Shop, shop)
    assert row is not None
    row.settings = {"holdout_share": 0.5}
    await session.flush()
    directory = ExperimentDirectory(0.05)
    held = [(await directory.assignment(session, shop, "HOME", f"v{i}", None)).variant
            for i in range(2000)]
    assert 0.45 < held.count("holdout") / 2000 < 0.55
    assert (await directory.assignment(session, shop, "HOME", None, None)).variant is None


async def test_a_tuned_variant_changes_exploration_and_weights(
        served: tuple[Harness, ShopId, str, ExperimentDirectory]) -> None:
    h, shop, _, _ = served
    start = datetime(2026, 1, 1, tzinfo=UTC)
    baskets = [("o1", "c1", ["1", "3"]), ("o2", "c2", ["1", "3", "10"]), ("o3", "c3", ["4", "5"]),
               ("o4", "c4", ["4", "5"]), ("o5", "c1", ["1"]), ("o6", "c5", ["1", "3"])]
    async with transaction(h.services.sessions) as session:
        await record_orders(session, shop, [
            OrderChange(o, c, start + timedelta(days=n),
                        tuple(OrderLineChange(f"{o}-{p}", p, None, 1, 5.0) for p in items))
            for n, (o, c, items) in enumerate(baskets)])
        await train_shop_model(session, shop, h.services.models_dir)
    request = RecommendationRequest(shop, Placement.CART, Shopper("t1", None), ["4"], first=5)
    flat = parse_config('{"weights": {"' + '": 0, "'.join(sorted(BLEND_FEATURES)) + '": 0}}')
    explore = parse_config('{"exploration": 1}')
    async with transaction(h.services.sessions) as session:
        engine = await h.services.ranker.recommend(session, request, ENGINE)
        unweighted = await h.services.ranker.recommend(session, request, flat)
        exploring = await h.services.ranker.recommend(session, request, explore)
    assert engine.items[0].product.platform_id == "5"
    assert len({round(i.score, 6) for i in engine.items}) > 1
    assert {round(i.score, 6) for i in unweighted.items if i.score} == {0.5}  # sigmoid(0)
    explored = {r.code for i in exploring.items for r in i.reasons}
    assert explored <= {"NEW_ARRIVAL", "FRESH_PICK"}
    assert "BOUGHT_TOGETHER" in {r.code for i in engine.items for r in i.reasons}
