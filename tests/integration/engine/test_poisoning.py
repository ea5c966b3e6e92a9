"""Faked storefront events leave what every new visitor sees as it was.

A thousand checkout events for an obscure product, and a thousand made-up visitors from a
few network addresses viewing two products, sent through the real event paths; then the
real training job retrains. HOME, rerankSearch and the first product's page, for a new
visitor, are what they were before."""

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.embeddings.sentence_transformer import SentenceTransformerEmbedder
from app.events.models import Event
from app.events.types import FULL_CONSENT, MAX_BATCH, EventIn, EventType
from app.ids import ShopId
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.ranking.jobs import train_shop_model
from app.ranking.runtime import ModelRuntime
from app.shops.models import Shop
from app.storage.database import transaction, utcnow
from tests.factories import product
from tests.support import Harness, harness

RECOMMEND = """query($placement: Placement!, $visitor: ID, $ids: [ID!]) {
  recommendations(placement: $placement, visitorId: $visitor, productIds: $ids, first: 10) {
    items { product { id } } } }"""
RERANK = """query($q: String!, $ids: [ID!]!, $visitor: ID) {
  rerankSearch(query: $q, productIds: $ids, visitorId: $visitor) { items { product { id } } } }"""
KINDS = {"m": "Mug", "c": "Candle", "g": "Garden", "t": "Tea"}
TITLES = {
    "m": ["Porcelain tea mug", "Stoneware coffee mug", "Enamel camping mug", "Glass latte mug",
          "Ceramic espresso cup", "Travel mug"],
    "c": ["Vanilla scented candle", "Beeswax pillar candle", "Soy jar candle",
          "Tealight candle set", "Lavender candle", "Birthday candles"],
    "g": ["Garden hose", "Steel trowel", "Tomato seeds", "Pruning shears", "Watering can",
          "Garden gloves"],
    "t": ["Earl grey tea", "Green tea tin", "Chamomile tea", "Tea infuser", "Teapot",
          "Chai spice tea"],
}
CATALOG = [product(f"{k}{n}", title, product_type=KINDS[k])
           for k, titles in TITLES.items() for n, title in enumerate(titles, 1)]
OBSCURE = "c6"
VIEWED_FIRST, VIEWED_SECOND = "m6", "g5"  # never bought together
SEARCHED = ["m1", "m2", "t1", "m3", "c1", "t2", "m4", "c2", "t3", "m5", OBSCURE, "c3"]
ADDRESSES = ["203.0.113.7", "203.0.113.8", "198.51.100.23"]


@pytest.fixture
async def shop(database_url: str, tmp_path: Path,
               embedder: SentenceTransformerEmbedder) -> AsyncIterator[tuple[Harness, ShopId, str]]:
    async with harness(database_url, tmp_path, embedder) as h:
        shop, key = await h.add_shop(CATALOG)
        yield h, shop, key


def _orders(now: datetime) -> list[OrderChange]:
    """Two months of baskets within one kind each; popular products first in each kind;
    the obscure candle bought once, long ago."""
    chance = random.Random(7)
    changes = []
    for n in range(240):
        kind = "mctg"[n % 4]
        items = {f"{kind}{min(int(chance.expovariate(0.6)) + 1, 5)}" for _ in range(2)}
        placed = now - timedelta(days=60) + timedelta(hours=6 * n)
        changes.append(OrderChange(f"o{n}", f"cust{n % 60}", placed, tuple(
            OrderLineChange(f"o{n}-{p}", p, None, 1, 10.0) for p in sorted(items))))
    old = now - timedelta(days=80)
    changes.append(OrderChange("o-rare", "cust-rare", old,
                               (OrderLineChange("o-rare-1", OBSCURE, None, 1, 10.0),)))
    return changes


async def _retrain(h: Harness, shop: ShopId) -> None:
    """As the scheduler does: the real training job, then served from memory."""
    async with transaction(h.services.sessions) as session:
        trained = await train_shop_model(session, shop, h.services.models_dir)
    h.services.models.install(shop, ModelRuntime(trained.artefact))


async def _ids(h: Harness, key: str, query: str, field: str, **variables: Any) -> list[str]:
    body = (await h.graphql(key, query, **variables)).json()
    assert "errors" not in body, body
    return [i["product"]["id"] for i in body["data"][field]["items"]]


async def _seen_by_a_new_visitor(h: Harness, key: str, visitor: str) -> dict[str, list[str]]:
    return {
        "home": await _ids(h, key, RECOMMEND, "recommendations", placement="HOME",
                           visitor=f"{visitor}-home"),
        "search": await _ids(h, key, RERANK, "rerankSearch", q="gift", ids=SEARCHED,
                             visitor=f"{visitor}-search"),
        "product": await _ids(h, key, RECOMMEND, "recommendations", placement="PRODUCT",
                              visitor=f"{visitor}-product", ids=[VIEWED_FIRST]),
    }


async def _fake_checkouts(h: Harness, shop: ShopId, key: str, count: int) -> None:
    """Checkout events for the obscure product, in posts of the largest batch allowed, with
    the storefront's origin as anyone can send it."""
    async with transaction(h.services.sessions) as session:
        found = await session.get(Shop, shop)
        assert found is not None
        origin = f"https://{found.domain}"
    events = [{"type": "CHECKOUT_COMPLETED", "visitorId": f"buyer-{n}", "eventId": f"buy-{n}",
               "productId": OBSCURE, "quantity": 1,
               "consent": {"analytics": True, "personalization": True}} for n in range(count)]
    for start in range(0, count, MAX_BATCH):
        batch = events[start:start + MAX_BATCH]
        response = await h.client.post(f"/collect?key={key}", json={"events": batch},
                                       headers={"origin": origin})
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == len(batch)


async def _fake_viewers(h: Harness, shop: ShopId, count: int) -> None:
    """Made-up visitors, each viewing both products, from a few network addresses."""
    now = utcnow()
    events = [EventIn(type=EventType.PRODUCT_VIEWED.value, visitor_id=f"bot-{n}",
                      event_id=f"bot-{n}-{p}", product_id=p, occurred_at=now,
                      consent=FULL_CONSENT, client_address=ADDRESSES[n % len(ADDRESSES)])
              for n in range(count) for p in (VIEWED_FIRST, VIEWED_SECOND)]
    for start in range(0, len(events), MAX_BATCH):
        result = await h.services.tracker.store(shop, events[start:start + MAX_BATCH], now)
        assert result.accepted == len(events[start:start + MAX_BATCH])


async def _stored_sources(h: Harness, shop: ShopId) -> int:
    """How many distinct sources the views were stored with (never the addresses)."""
    async with transaction(h.services.sessions) as session:
        keys = set((await session.execute(select(Event.source_key).where(
            Event.shop_id == shop, Event.type == EventType.PRODUCT_VIEWED.value))).scalars())
    assert None not in keys and not any(a in str(keys) for a in ADDRESSES)
    return len(keys)


async def test_faked_checkouts_and_views_leave_what_new_visitors_see_unchanged(
    shop: tuple[Harness, ShopId, str],
) -> None:
    h, shop_id, key = shop
    async with transaction(h.services.sessions) as session:
        await record_orders(session, shop_id, _orders(datetime.now(UTC)))
    await _retrain(h, shop_id)
    before = await _seen_by_a_new_visitor(h, key, "before")
    assert OBSCURE not in before["home"]
    assert before["search"].index(OBSCURE) >= 8
    assert VIEWED_SECOND not in before["product"]

    await _fake_checkouts(h, shop_id, key, 1000)
    assert await _seen_by_a_new_visitor(h, key, "after-checkouts") == before

    await _fake_viewers(h, shop_id, 1000)
    assert await _stored_sources(h, shop_id) == len(ADDRESSES)
    await _retrain(h, shop_id)
    after = await _seen_by_a_new_visitor(h, key, "after-retrain")
    assert after == before
