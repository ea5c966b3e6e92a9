"""The exploration counts come from the stored impressions and clicks, read past a mark and
refreshed only every ``refresh_seconds``."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import Event, Ranking
from app.ids import ShopId
from app.ranking.exploration.counts import ProductCounts
from app.ranking.exploration.reading import fold_new_events
from app.ranking.exploration.strategies import ThompsonSampling
from app.storage.database import utcnow
from tests.factories import make_shop, shop_id


def _event(shop: ShopId, kind: str, recommendation: str, product: str | None = None,
           days_ago: float = 0.0) -> Event:
    return Event(shop_id=shop, event_id=uuid.uuid4().hex, type=kind, visitor_id="v1",
                 product_id=product, recommendation_id=recommendation,
                 occurred_at=utcnow() - timedelta(days=days_ago))


async def _served(session: AsyncSession, shop: ShopId, products: list[str],
                  views: int, clicked: list[str], days_ago: float = 0.0) -> None:
    rec = uuid.uuid4().hex
    session.add(Ranking(shop_id=shop, recommendation_id=rec, placement="HOME",
                        product_ids=products, reasons=[]))
    session.add_all([_event(shop, "RECOMMENDATIONS_VIEWED", rec, days_ago=days_ago)
                     for _ in range(views)])
    session.add_all([_event(shop, "PRODUCT_CLICKED", rec, p, days_ago) for p in clicked])
    await session.flush()


async def test_viewed_lists_count_impressions_and_clicks_count_per_product(
        session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    other = shop_id(await make_shop(session))
    await _served(session, shop, ["a", "b", "c"], views=2, clicked=["b"])
    await _served(session, shop, ["b", "d"], views=0, clicked=[])  # never viewed
    await _served(session, other, ["a"], views=5, clicked=["a"])
    counts = ProductCounts()
    assert await fold_new_events(session, shop, counts, limit=100) == 3
    assert counts.impressions == {"a": 2, "b": 2, "c": 2}
    assert counts.clicks == {"b": 1}
    # Only what is stored past the mark is read again.
    assert await fold_new_events(session, shop, counts, limit=100) == 0
    await _served(session, shop, ["b", "d"], views=1, clicked=["d"])
    await fold_new_events(session, shop, counts, limit=100)
    assert counts.impressions == {"a": 2, "b": 3, "c": 2, "d": 1}
    assert counts.clicks == {"b": 1, "d": 1}


async def test_one_read_takes_at_most_its_limit(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await _served(session, shop, ["a"], views=5, clicked=[])
    counts = ProductCounts()
    assert await fold_new_events(session, shop, counts, limit=3) == 3
    assert counts.impressions == {"a": 3}
    assert await fold_new_events(session, shop, counts, limit=3) == 2
    assert counts.impressions == {"a": 5}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_counts_are_read_again_only_once_they_are_old(session: AsyncSession) -> None:
    shop = shop_id(await make_shop(session))
    await _served(session, shop, ["old"], views=1, clicked=["old"], days_ago=60)
    await _served(session, shop, ["a", "b"], views=1, clicked=["a"])
    clock = Clock()
    strategy = ThompsonSampling(refresh_seconds=10.0, window_days=30.0, seed=0, clock=clock)
    await strategy.explorer(session, shop)
    # The events before the window are not counted.
    assert strategy.counts(shop).impressions == {"a": 1, "b": 1}
    await _served(session, shop, ["b"], views=1, clicked=["b"])
    clock.now = 5.0
    await strategy.explorer(session, shop)
    assert strategy.counts(shop).clicks == {"a": 1}  # still the counts of the last read
    clock.now = 10.0
    explorer = await strategy.explorer(session, shop)
    assert strategy.counts(shop).clicks == {"a": 1, "b": 1}
    assert sorted(explorer.order(["a", "b", "c"])) == [0, 1, 2]
