"""Each data health figure on a small shop with known data: value, target, green or red."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.health.data import HealthSources, data_health
from app.health.figures import COVERAGE_TARGET, Figure, Goal
from app.ids import ShopId
from tests.integration.health.support import (
    MODEL,
    NOW,
    delivery,
    embedding,
    event,
    hours_before,
    index_build,
    kpi_day,
    line,
    model_made_current,
    new_shop,
    order,
    product,
    ranking,
    unattributed_day,
)


@pytest.fixture
def sources(tmp_path: Path) -> HealthSources:
    return HealthSources(models_dir=tmp_path / "models", embedding_model=MODEL)


async def figures(session: AsyncSession, shop: ShopId, sources: HealthSources) -> dict[str, Figure]:
    return {f.key: f for f in await data_health(session, shop, sources, NOW)}


async def test_three_of_four_products_embedded_is_red(session: AsyncSession,
                                                      sources: HealthSources) -> None:
    shop = await new_shop(session)
    items = [product(shop, n) for n in range(1, 5)]
    session.add_all([*items, product(shop, 9, deleted=True)])
    await session.flush()
    snapshot = hours_before(10)
    session.add_all([
        embedding(items[0], hours_before(20)), embedding(items[1], hours_before(20)),
        embedding(items[2], hours_before(1)),  # after the build: served from the delta
        embedding(items[3], hours_before(20), content_hash="older text"),
        embedding(items[3], hours_before(20), model="another-model"),
        index_build(shop, snapshot, snapshot + timedelta(minutes=1))])
    await session.flush()
    found = await figures(session, shop, sources)
    embedded, indexed, age = found["catalog_embedded"], found["catalog_indexed"], found["index_age"]
    assert (embedded.value, embedded.count, embedded.total, embedded.ok) == (0.75, 3, 4, False)
    assert embedded.target == COVERAGE_TARGET and embedded.goal is Goal.AT_LEAST
    assert "worker" in embedded.advice
    assert (indexed.value, indexed.ok) == (0.5, False)
    assert age.value == pytest.approx(10 - 1 / 60) and age.ok and age.unit == "hours"


async def test_nineteen_of_twenty_embedded_meets_the_target(session: AsyncSession,
                                                            sources: HealthSources) -> None:
    shop = await new_shop(session)
    items = [product(shop, n) for n in range(20)]
    session.add_all(items)
    await session.flush()
    session.add_all([embedding(item, hours_before(5)) for item in items[:19]])
    session.add(index_build(shop, hours_before(2), hours_before(2)))
    await session.flush()
    found = await figures(session, shop, sources)
    assert (found["catalog_embedded"].value, found["catalog_embedded"].ok) == (0.95, True)
    assert (found["catalog_indexed"].value, found["catalog_indexed"].ok) == (0.95, True)


async def test_products_with_image_price_type_and_description(session: AsyncSession,
                                                              sources: HealthSources) -> None:
    shop = await new_shop(session)
    session.add_all([product(shop, 1), product(shop, 2, image_url=None),
                     product(shop, 3, image_url="", product_type=None),
                     product(shop, 4, price_min=None, body_text="")])
    await session.flush()
    found = await figures(session, shop, sources)
    assert [found[key].value for key in ("catalog_image", "catalog_price", "catalog_type",
                                         "catalog_description")] == [0.5, 0.75, 0.75, 0.75]
    assert not any(found[key].ok for key in ("catalog_image", "catalog_price"))


async def test_consent_among_stored_events_of_the_last_30_days(session: AsyncSession,
                                                               sources: HealthSources) -> None:
    shop, other = await new_shop(session), await new_shop(session)
    session.add_all([
        event(shop, "a", hours_before(1)), event(shop, "b", hours_before(2)),
        event(shop, "c", hours_before(3)), event(shop, "d", hours_before(4), personalization=False),
        event(shop, "e", NOW - timedelta(days=40), personalization=False),
        event(other, "f", hours_before(1), personalization=False)])
    await session.flush()
    consent = (await figures(session, shop, sources))["events_with_consent"]
    assert (consent.value, consent.count, consent.total, consent.ok) == (0.75, 3, 4, False)


async def test_sessions_with_a_signal_are_visitor_days_served_with_an_event(
        session: AsyncSession, sources: HealthSources) -> None:
    shop = await new_shop(session)
    day1 = NOW.replace(hour=12) - timedelta(days=3)
    day2, day3 = day1 + timedelta(days=1), day1 + timedelta(days=2)
    session.add_all([
        ranking(shop, "a", day1), event(shop, "a", day1 + timedelta(hours=1)),
        ranking(shop, "b", day1), event(shop, "b", day1, kind="RECOMMENDATIONS_VIEWED"),
        ranking(shop, "a", day2),
        ranking(shop, "c", day2), ranking(shop, "c", day2, n=1), event(shop, "c", day2),
        ranking(shop, None, day2),
        # Half an hour apart, on two UTC days: two visitor-days.
        ranking(shop, "d", day3.replace(hour=0, minute=30)),
        event(shop, "d", day2.replace(hour=23, minute=30)),
    ])
    await session.flush()
    signal = (await figures(session, shop, sources))["sessions_with_signal"]
    assert (signal.count, signal.total, signal.value, signal.ok) == (2, 5, 0.4, False)


async def test_orders_matched_to_a_customer_or_a_served_list(session: AsyncSession,
                                                             sources: HealthSources) -> None:
    shop = await new_shop(session)
    orders = [order(shop, 1, hours_before(5), customer="c1"), order(shop, 2, hours_before(5)),
              order(shop, 3, hours_before(5)), order(shop, 4, hours_before(5)),
              order(shop, 5, NOW - timedelta(days=31))]
    session.add_all(orders)
    await session.flush()
    session.add_all([line(orders[1], "rec-1"), line(orders[2], None), line(orders[4], "rec-2")])
    await session.flush()
    matched = (await figures(session, shop, sources))["orders_matched"]
    assert (matched.count, matched.total, matched.value, matched.ok) == (2, 4, 0.5, False)


async def test_list_events_attributed_from_the_rollups(session: AsyncSession,
                                                       sources: HealthSources) -> None:
    shop = await new_shop(session)
    today = NOW.date()
    session.add_all([kpi_day(shop, today, impressions=90, clicks=5),
                     unattributed_day(shop, today - timedelta(days=1), 5),
                     unattributed_day(shop, today - timedelta(days=45), 1000)])
    await session.flush()
    attributed = (await figures(session, shop, sources))["events_attributed"]
    assert (attributed.count, attributed.total, attributed.value, attributed.ok) == (
        95, 100, 0.95, True)


async def test_inbox_backlog_and_failures(session: AsyncSession, sources: HealthSources) -> None:
    shop = await new_shop(session)
    session.add_all([delivery(shop, n, status) for n, status in
                     enumerate(["pending", "pending", "failed", "done", "done", "done"])])
    await session.flush()
    found = await figures(session, shop, sources)
    backlog, failed = found["inbox_backlog"], found["inbox_failed"]
    assert (backlog.value, backlog.goal, backlog.ok) == (2, Goal.AT_MOST, True)
    assert (failed.value, failed.target, failed.ok) == (1, 0, False)
    assert "affinity inbox retry" in failed.advice


async def test_model_age_from_the_current_artefact(session: AsyncSession,
                                                   sources: HealthSources) -> None:
    shop = await new_shop(session)
    assert (await figures(session, shop, sources))["model_age"].value is None
    model_made_current(sources.models_dir, shop, hours_before(72))
    age = (await figures(session, shop, sources))["model_age"]
    assert (age.value, age.target, age.ok) == (pytest.approx(72), 48, False)
    assert "affinity model train" in age.advice


async def test_a_shop_without_data_is_red_with_what_to_do(session: AsyncSession,
                                                          sources: HealthSources) -> None:
    found = await figures(session, await new_shop(session), sources)
    shares = [f for f in found.values() if f.unit == "share"]
    assert len(shares) == 10
    assert all(f.value is None and not f.ok and f.advice for f in shares)
    assert found["index_age"].value is None and not found["index_age"].ok
    assert found["inbox_backlog"].ok and found["inbox_failed"].ok
