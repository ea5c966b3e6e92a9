"""Privacy figures: exports waiting (and overdue), redactions done, consent by day."""

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.health.privacy import ConsentDay, privacy_health
from app.privacy.models import CustomerExport, Suppression
from tests.integration.health.support import NOW, event, hours_before, new_shop


async def test_exports_waiting_turn_red_past_a_month(session: AsyncSession) -> None:
    shop = await new_shop(session)
    session.add(CustomerExport(shop_id=shop, subject_hash="h1", payload={},
                               created_at=NOW - timedelta(days=2)))
    await session.flush()
    waiting = (await privacy_health(session, shop, NOW)).figures[0]
    assert (waiting.key, waiting.value, waiting.ok) == ("exports_waiting", 1, True)
    session.add(CustomerExport(shop_id=shop, subject_hash="h2", payload={},
                               created_at=NOW - timedelta(days=31)))
    await session.flush()
    waiting = (await privacy_health(session, shop, NOW)).figures[0]
    assert (waiting.value, waiting.ok) == (2, False)
    assert "30 days" in waiting.advice


async def test_redactions_done_in_all_and_lately(session: AsyncSession) -> None:
    shop = await new_shop(session)
    session.add_all([Suppression(shop_id=shop, subject_hash="a", created_at=hours_before(1)),
                     Suppression(shop_id=shop, subject_hash="b", created_at=hours_before(1)),
                     Suppression(shop_id=shop, subject_hash="c",
                                 created_at=NOW - timedelta(days=90))])
    await session.flush()
    redactions = (await privacy_health(session, shop, NOW)).figures[1]
    assert (redactions.key, redactions.value, redactions.count, redactions.ok) == (
        "redactions_done", 3, 2, True)


async def test_personalization_opt_ins_and_opt_outs_by_day(session: AsyncSession) -> None:
    shop = await new_shop(session)
    day1 = NOW.replace(hour=10) - timedelta(days=2)
    day2 = day1 + timedelta(days=1)
    session.add_all([
        event(shop, "a", day1), event(shop, "a", day1, n=1), event(shop, "b", day1),
        event(shop, "c", day1, personalization=False),
        event(shop, "a", day2, personalization=False),
        event(shop, "z", NOW - timedelta(days=40))])
    await session.flush()
    health = await privacy_health(session, shop, NOW)
    assert health.consent == [ConsentDay(day1.date(), 2, 1), ConsentDay(day2.date(), 0, 1)]
    assert isinstance(health.consent[0].day, date)
    opt_in = health.figures[2]
    assert (opt_in.key, opt_in.count, opt_in.total, opt_in.value) == (
        "personalization_opt_in", 2, 4, 0.5)
    assert "not counted" in opt_in.advice


async def test_a_shop_without_data(session: AsyncSession) -> None:
    health = await privacy_health(session, await new_shop(session), NOW)
    assert health.consent == []
    assert [f.value for f in health.figures] == [0, 0, None]
