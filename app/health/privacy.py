"""Privacy made visible: customer exports waiting to be handed over, redactions done, and
shoppers' consent day by day.

Consent is read from what is stored, and only events with analytics consent are stored:
so a day's opt-ins and opt-outs are about personalization, among shoppers who allowed
analytics. Shoppers who declined analytics leave no trace by design and are not counted."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.models import Event
from app.health.data import WINDOW_DAYS
from app.health.days import day_of
from app.health.figures import Figure, Goal
from app.ids import ShopId
from app.privacy.models import CustomerExport, Suppression

EXPORT_MAX_AGE_DAYS = 30
"""A data request is answered within a month (GDPR art. 12(3))."""


@dataclass(frozen=True)
class ConsentDay:
    day: date
    opted_in: int
    """Visitors with a stored event that day allowing personalization."""
    opted_out: int
    """Visitors with a stored event that day declining personalization."""


@dataclass(frozen=True)
class PrivacyHealth:
    figures: list[Figure]
    consent: list[ConsentDay]
    """The last ``WINDOW_DAYS`` days that had stored events, oldest first."""


async def export_figure(session: AsyncSession, shop_id: ShopId, now: datetime) -> Figure:
    waiting, oldest = (await session.execute(select(
        func.count(), func.min(CustomerExport.created_at)).where(
        CustomerExport.shop_id == shop_id))).one()
    overdue = oldest is not None and now - oldest > timedelta(days=EXPORT_MAX_AGE_DAYS)
    advice = (f"An export has waited more than {EXPORT_MAX_AGE_DAYS} days: hand it to the "
              "customer (`affinity privacy exports`) before the legal deadline." if overdue else
              "Exports are kept until the customer is redacted; hand each one over promptly.")
    return Figure("exports_waiting", "Customer exports waiting", float(waiting), 0,
                  Goal.AT_MOST, not overdue, advice, unit="count")


async def redaction_figure(session: AsyncSession, shop_id: ShopId, since: datetime) -> Figure:
    total, recent = (int(n) for n in (await session.execute(select(
        func.count(), func.coalesce(func.sum(case((Suppression.created_at >= since, 1),
                                                   else_=0)), 0)).where(
        Suppression.shop_id == shop_id))).one())
    return Figure("redactions_done", "Identifiers redacted", float(total), 0, Goal.AT_LEAST,
                  True, f"{recent} in the last {WINDOW_DAYS} days; a customer's id, email and "
                  "phone count once each, and whatever arrives about them later is not stored.",
                  count=recent, total=total, unit="count")


async def consent_days(session: AsyncSession, shop_id: ShopId, since: datetime) -> list[ConsentDay]:
    day = day_of(Event.occurred_at, session.get_bind().dialect.name).label("day")
    rows = (await session.execute(
        select(day,
               func.count(func.distinct(case((Event.personalization.is_(True), Event.visitor_id)))),
               func.count(func.distinct(case((Event.personalization.is_(False), Event.visitor_id)))))
        .where(Event.shop_id == shop_id, Event.occurred_at >= since)
        .group_by(day).order_by(day))).all()
    return [ConsentDay(_as_date(d), int(i), int(o)) for d, i, o in rows]


def _as_date(value: date | str) -> date:
    """SQLite's ``date()`` answers text."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def consent_figure(days: list[ConsentDay]) -> Figure:
    opted_in = sum(d.opted_in for d in days)
    seen = opted_in + sum(d.opted_out for d in days)
    value = opted_in / seen if seen else None
    return Figure("personalization_opt_in", "Personalization opt-in (visitor-days)", value, 0,
                  Goal.AT_LEAST, True,
                  "Among visitor-days with stored events (analytics allowed); declining "
                  "analytics stores nothing, so those opt-outs are not counted.",
                  count=opted_in, total=seen)


async def privacy_health(session: AsyncSession, shop_id: ShopId, now: datetime) -> PrivacyHealth:
    since = now - timedelta(days=WINDOW_DAYS)
    days = await consent_days(session, shop_id, since)
    return PrivacyHealth([await export_figure(session, shop_id, now),
                          await redaction_figure(session, shop_id, since),
                          consent_figure(days)], days)
