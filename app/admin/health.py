# strawberry.field(...) with arguments is typed as returning Any (as app.graphql, which
# pyproject exempts): as a resolver decorator that reads as untyped.
# mypy: disable-error-code="untyped-decorator"
"""Data health and privacy in the admin API: every figure with its value, target, state
and what to do (``app.health``)."""

from datetime import date

import strawberry

from app.admin.context import AdminInfo
from app.admin.settings import server_view
from app.health.data import data_health
from app.health.figures import Figure
from app.health.privacy import ConsentDay, PrivacyHealth, privacy_health
from app.ids import ShopId
from app.storage.database import utcnow


@strawberry.type(name="HealthFigure", description=(
    "One measure against its target: shares aim at 0.95 (`goal` at_least), backlogs, "
    "failures and ages at a ceiling (`goal` at_most)."))
class HealthFigureType:
    key: str
    label: str
    value: float | None = strawberry.field(description="Null: nothing to measure yet (red).")
    target: float
    goal: str
    ok: bool = strawberry.field(description="Green (true) or red (false).")
    advice: str = strawberry.field(description="What to do, in one sentence.")
    count: int | None = strawberry.field(description="For a share: how many qualify.")
    total: int | None = strawberry.field(description="For a share: of how many.")
    unit: str = strawberry.field(description="`share` (0 to 1), `count` or `hours`.")

    @classmethod
    def of(cls, figure: Figure) -> "HealthFigureType":
        return cls(key=figure.key, label=figure.label, value=figure.value, target=figure.target,
                   goal=figure.goal.value, ok=figure.ok, advice=figure.advice,
                   count=figure.count, total=figure.total, unit=figure.unit)


@strawberry.type(name="ConsentDay", description=(
    "Visitors with stored events on a day, by their personalization consent (events are "
    "stored only with analytics consent: analytics opt-outs leave no trace to count)."))
class ConsentDayType:
    day: date
    opted_in: int
    opted_out: int

    @classmethod
    def of(cls, day: ConsentDay) -> "ConsentDayType":
        return cls(day=day.day, opted_in=day.opted_in, opted_out=day.opted_out)


@strawberry.type(name="PrivacyHealth")
class PrivacyHealthType:
    figures: list[HealthFigureType]
    consent: list[ConsentDayType] = strawberry.field(
        description="The last 30 days with stored events, oldest first.")

    @classmethod
    def of(cls, health: PrivacyHealth) -> "PrivacyHealthType":
        return cls(figures=[HealthFigureType.of(f) for f in health.figures],
                   consent=[ConsentDayType.of(d) for d in health.consent])


@strawberry.type
class HealthQuery:
    @strawberry.field(description=(
        "The shop's data health: catalog embedded, indexed and complete; consent, sessions "
        "with signals, orders matched, events attributed (last 30 days); the webhook inbox; "
        "model and index age."))
    async def data_health(self, info: AdminInfo) -> list[HealthFigureType]:
        sources = server_view(info).health_sources
        async with info.context.database() as session:
            figures = await data_health(session, ShopId(info.context.shop.id), sources, utcnow())
        return [HealthFigureType.of(f) for f in figures]

    @strawberry.field(description=(
        "Customer exports waiting, redactions done, and personalization consent by day."))
    async def privacy_health(self, info: AdminInfo) -> PrivacyHealthType:
        async with info.context.database() as session:
            health = await privacy_health(session, ShopId(info.context.shop.id), utcnow())
        return PrivacyHealthType.of(health)
