"""Events in (consent, idempotency, identity) and the serving path they shape, through
the real GraphQL endpoint, the real embedding model and a trained model artefact."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.events.models import Event, Ranking, VisitorLink
from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.profiles.service import Shopper, build_profile
from app.ranking.jobs import train_shop_model
from app.shops.models import Shop
from app.shops.service import rotate_keys
from app.storage.database import transaction, utcnow
from app.storage.sqlite_reads import InlineReads
from tests.factories import MUGS_AND_MORE, product
from tests.support import Harness, harness

pytestmark = pytest.mark.usefixtures("graphql_path")  # both GraphQL paths

TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) {
  accepted duplicates rejected { index reason } } }"""
RECOMMEND = """query($placement: Placement!, $visitor: ID, $customer: ID, $ids: [ID!],
  $consent: ConsentInput) {
  recommendations(placement: $placement, visitorId: $visitor, customerId: $customer,
                  productIds: $ids, first: 5, consent: $consent) {
    recommendationId items { product { id } reasons { code message } } } }"""
YES = {"analytics": True, "personalization": True}
NO_ANALYTICS = {"analytics": False, "personalization": True}


@pytest.fixture
async def served(database_url: str, tmp_path: Path,
                 embedder: SentenceTransformerEmbedder) -> AsyncIterator[tuple[Harness, ShopId, str]]:
    async with harness(database_url, tmp_path, embedder) as h:
        products = [product(pid, title, product_type=title.split()[-1]) for pid, title in MUGS_AND_MORE]
        products.append(product("11", "Green coffee mug", available=False))
        shop, key = await h.add_shop(products)
        yield h, shop, key


def _view(product_id: str, visitor: str = "v1", **extra: Any) -> dict[str, Any]:
    return {"type": "PRODUCT_VIEWED", "visitorId": visitor, "productId": product_id, **extra}


async def _server_key(h: Harness, shop: ShopId) -> str:
    """A private server key for the shop: only the shop's server may name customers."""
    async with transaction(h.services.sessions) as session:
        found = await session.get(Shop, shop)
        assert found is not None
        return (await rotate_keys(session, found, h.services.secrets)).server_key


async def _domain(h: Harness, shop: ShopId) -> str:
    async with transaction(h.services.sessions) as session:
        found = await session.get(Shop, shop)
        assert found is not None
        return found.domain


async def _track(h: Harness, key: str, events: list[dict[str, Any]],
                 server_key: str | None = None) -> dict[str, Any]:
    if server_key is None:
        body = (await h.graphql(key, TRACK, events=events)).json()
    else:
        body = (await h.client.post("/graphql", json={"query": TRACK, "variables": {
            "events": events}}, headers={"X-Affinity-Server-Key": server_key})).json()
    assert "errors" not in body, body
    return body["data"]["trackEvents"]  # type: ignore[no-any-return]


async def _recommend(h: Harness, key: str, **variables: Any) -> dict[str, Any]:
    variables.setdefault("placement", "HOME")
    body = (await h.graphql(key, RECOMMEND, **variables)).json()
    assert "errors" not in body, body
    return body["data"]["recommendations"]  # type: ignore[no-any-return]


def _ids(result: dict[str, Any]) -> list[str]:
    return [i["product"]["id"] for i in result["items"]]


async def _count(h: Harness, shop: ShopId, model: Any = Event) -> int:
    async with transaction(h.services.sessions) as session:
        stmt = select(func.count()).select_from(model).where(model.shop_id == shop)
        return int((await session.execute(stmt)).scalar_one())


async def test_nothing_is_stored_without_analytics_consent(served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    result = await _track(h, key, [_view("1", eventId="a", consent=NO_ANALYTICS)])
    assert result["accepted"] == 1
    assert await _count(h, shop) == 0
    # ... yet the view still shapes this visitor's session.
    after = await _recommend(h, key, visitor="v1")
    assert "Because you viewed White Ceramic Coffee Mug".lower() in str(after).lower()


async def test_events_are_idempotent_and_bad_ones_rejected_alone(served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    batch = [_view("1", eventId="e1", consent=YES), _view("2", eventId="e1", consent=YES),
             {"type": "SEARCH_SUBMITTED", "visitorId": "v1"}]
    first = await _track(h, key, batch)
    assert first["accepted"] == 1 and first["duplicates"] == 1
    assert first["rejected"] == [{"index": 2, "reason": "SEARCH_SUBMITTED needs a query"}]
    again = await _track(h, key, [_view("1", eventId="e1", consent=YES)])
    assert again["accepted"] == 0 and again["duplicates"] == 1
    assert await _count(h, shop) == 1


async def test_every_field_of_an_event_input_is_stored(served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    event = {"type": "PRODUCT_ADDED_TO_CART", "visitorId": "v5", "eventId": "all-1",
             "customerId": "c5", "productId": "3", "variantId": "31", "quantity": 2,
             "query": "mug", "recommendationId": "r-1", "dwellMs": 1500,
             "occurredAt": "2026-01-02T03:04:05+00:00",
             "consent": {"analytics": True, "personalization": False}}
    assert (await _track(h, key, [event], await _server_key(h, shop)))["accepted"] == 1
    async with transaction(h.services.sessions) as session:
        stored = (await session.execute(select(Event).where(Event.shop_id == shop))).scalar_one()
    assert (stored.type, stored.visitor_id, stored.customer_id, stored.product_id,
            stored.variant_id, stored.quantity, stored.query, stored.recommendation_id,
            stored.dwell_ms, stored.personalization) == (
        "PRODUCT_ADDED_TO_CART", "v5", "c5", "3", "31", 2, "mug", "r-1", 1500, False)
    assert stored.occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


async def test_collect_accepts_beacons_as_text(served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    body = ('{"events": [{"type": "PRODUCT_CLICKED", "visitorId": "v9", "productId": "3", '
            '"eventId": "b1", "consent": {"analytics": true, "personalization": true}}, '
            '{"type": "X"}]}')
    response = await h.client.post(f"/collect?key={key}", content=body, headers={
        "content-type": "text/plain", "origin": "https://" + (await _domain(h, shop))})
    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [1]
    assert (await h.client.post("/collect?key=wrong", content=body)).status_code == 401
    assert await _count(h, shop) == 1


async def test_visitor_history_joins_the_customer(served: tuple[Harness, ShopId, str]) -> None:
    h, shop, key = served
    await _track(h, key, [_view("6", visitor="anon", eventId="x1", consent=YES),
                          _view("8", visitor="anon", customerId="c1", eventId="x2", consent=YES)],
                 await _server_key(h, shop))
    assert await _count(h, shop, VisitorLink) == 1
    async with transaction(h.services.sessions) as session:
        profile = await build_profile(session, shop, Shopper(None, "c1"), utcnow(),
                                      h.services.session_state)
    assert set(profile.recent_views) >= {"6", "8"}


async def test_inline_reads_build_the_profile_the_session_builds(
    served: tuple[Harness, ShopId, str], database_url: str,
) -> None:
    h, shop, key = served
    await _track(h, key, [_view("6", visitor="w1", eventId="w1-1", consent=YES),
                          _view("8", visitor="w2", customerId="c9", eventId="w2-1", consent=YES),
                          _view("3", visitor="w2", eventId="w2-2", consent=YES)],
                 await _server_key(h, shop))
    order = OrderChange("o-w", "c9", utcnow() - timedelta(days=3),
                        (OrderLineChange("o-w-1", "1", None, 1, 5.0),))
    async with transaction(h.services.sessions) as session:
        await record_orders(session, shop, [order])
    reads = h.services.reads
    assert isinstance(reads, InlineReads) == database_url.startswith("sqlite")
    now = utcnow()
    for shopper in (Shopper("w1", None), Shopper("w2", None), Shopper(None, "c9")):
        async with transaction(h.services.sessions) as session:
            direct = await build_profile(session, shop, shopper, now, h.services.session_state)
            async with reads.reader(session) as reader:
                inline = await build_profile(reader, shop, shopper, now,
                                             h.services.session_state)
        assert inline == direct
        assert direct.recent_views, shopper
    assert set(direct.purchases) == {"1"} and set(direct.recent_views) >= {"8", "3"}


@pytest.mark.sqlite_only
async def test_inline_reads_cannot_write(served: tuple[Harness, ShopId, str],
                                         database_url: str) -> None:
    h, _, _ = served
    assert database_url.startswith("sqlite"), "inline reads are SQLite's"
    async with transaction(h.services.sessions) as session, \
            h.services.reads.reader(session) as reader:
        with pytest.raises(OperationalError, match="readonly"):
            await reader.execute(delete(VisitorLink))


async def test_one_view_changes_the_next_recommendation(served: tuple[Harness, ShopId, str]) -> None:
    h, _, key = served
    before = await _recommend(h, key, visitor="fresh")
    assert before["items"], "a brand-new shop still shows its catalog"
    await _track(h, key, [_view("6", visitor="fresh", eventId="f1", consent=YES)])
    after = await _recommend(h, key, visitor="fresh")
    assert _ids(after) != _ids(before)
    assert _ids(after)[0] == "7"  # the other candle
    assert after["items"][0]["reasons"][0]["code"] == "VIEWED"
    off = await _recommend(h, key, visitor="fresh",
                           consent={"analytics": True, "personalization": False})
    assert "VIEWED" not in str(off)


async def test_rules_never_show_unavailable_carted_or_dismissed(served: tuple[Harness, ShopId, str]) -> None:
    h, _, key = served
    await _track(h, key, [
        _view("1", visitor="r", eventId="r1", consent=YES),
        {"type": "PRODUCT_ADDED_TO_CART", "visitorId": "r", "productId": "2", "eventId": "r2",
         "consent": YES},
        {"type": "PRODUCT_DISMISSED", "visitorId": "r", "productId": "10", "eventId": "r3",
         "consent": YES}])
    result = await _recommend(h, key, visitor="r", placement="PRODUCT", ids=["1"])
    shown = _ids(result)
    assert shown and not {"1", "2", "10", "11"} & set(shown)


async def _orders(h: Harness, shop: ShopId) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    baskets = [("o1", "c1", ["1", "3"]), ("o2", "c2", ["1", "3", "10"]), ("o3", "c3", ["4", "5"]),
               ("o4", "c4", ["4", "5"]), ("o5", "c1", ["1"]), ("o6", "c5", ["1", "3"])]
    changes = [OrderChange(o, c, start + timedelta(days=n),
                           tuple(OrderLineChange(f"{o}-{p}", p, None, 1, 5.0) for p in items))
               for n, (o, c, items) in enumerate(baskets)]
    async with transaction(h.services.sessions) as session:
        await record_orders(session, shop, changes)
        await train_shop_model(session, shop, h.services.models_dir)


async def test_trained_model_serves_bought_together_and_records_the_ranking(
    served: tuple[Harness, ShopId, str],
) -> None:
    h, shop, key = served
    await _orders(h, shop)
    result = await _recommend(h, key, placement="CART", visitor="cart-v", ids=["4"])
    assert _ids(result)[0] == "5"
    assert any(r["code"] == "BOUGHT_TOGETHER" for r in result["items"][0]["reasons"])
    async with transaction(h.services.sessions) as session:
        ranking = (await session.execute(select(Ranking).where(
            Ranking.recommendation_id == result["recommendationId"]))).scalar_one()
    assert ranking.product_ids == _ids(result) and ranking.placement == "CART"


async def test_erasure_removes_the_customers_events_and_links(served: tuple[Harness, ShopId, str]) -> None:
    from app.customer_data import CustomerRef
    from app.events.privacy import EventsStore

    h, shop, key = served
    await _track(h, key, [_view("1", visitor="w", eventId="p1", consent=YES),
                          _view("2", visitor="w", customerId="c9", eventId="p2", consent=YES),
                          _view("3", visitor="other", eventId="p3", consent=YES)],
                 await _server_key(h, shop))
    store = EventsStore()
    async with transaction(h.services.sessions) as session:
        exported = await store.export(session, CustomerRef(shop, "c9"))
        assert {e["event_id"] for e in exported} == {"p1", "p2"}
        assert await store.erase(session, CustomerRef(shop, "c9")) == 3
    assert await _count(h, shop) == 1 and await _count(h, shop, VisitorLink) == 0


async def test_schedule_trains_once_and_new_orders_move_the_trend(
    served: tuple[Harness, ShopId, str],
) -> None:
    from app.ranking.scheduler import ModelTrainer

    h, shop, _ = served
    await _orders(h, shop)
    trainer = ModelTrainer(h.services.sessions, h.services.models, h.services.models_dir, 24)
    await trainer.run_once()
    runtime = h.services.models.get(shop)
    assert runtime is not None
    assert await trainer.run_once() == 0  # fresh enough: no retraining
    row = runtime.artefact.row_of["9"]
    now = utcnow()
    before = runtime.trend.normalized(now)[row]
    order = OrderChange("o-new", "c7", now, (OrderLineChange("o-new-1", "9", None, 1, 5.0),))
    async with transaction(h.services.sessions) as session:
        await record_orders(session, shop, [order])
    await trainer.run_once()
    assert runtime.trend.normalized(utcnow())[row] > before


async def test_exploration_slot_is_marked_new_arrival(served: tuple[Harness, ShopId, str]) -> None:
    h, _, key = served
    body = (await h.graphql(key, RECOMMEND.replace("first: 5", "first: 10"),
                            placement="HOME", visitor="explorer")).json()
    items = body["data"]["recommendations"]["items"]
    assert items[-1]["reasons"][0]["code"] == "NEW_ARRIVAL"
