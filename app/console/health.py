"""The data health and privacy pages: every figure of ``app.health`` against its target,
green or red (said in words too, not by colour alone), with what to do; consent opt-ins and
opt-outs per day drawn by the chart library."""

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.console.guard import Console, Signed
from app.health.data import HealthSources, data_health
from app.health.privacy import ConsentDay, privacy_health
from app.ids import ShopId
from app.storage.database import transaction


def consent_chart(days: list[ConsentDay]) -> dict[str, Any]:
    return {"labels": [d.day.isoformat() for d in days], "charts": [{
        "id": "consent", "title": "Visitors per day by personalization consent",
        "unit": "count", "series": [
            {"label": "Opted in", "values": [d.opted_in for d in days]},
            {"label": "Opted out", "values": [d.opted_out for d in days]}]}]}


async def show_health(console: Console, request: Request, signed: Signed,
                      sources: HealthSources) -> Response:
    async with transaction(console.database) as db:
        figures = await data_health(db, ShopId(signed.shop_id), sources, datetime.now(UTC))
    return console.render("health.html", signed=signed, page="health", title="Data health",
                          figures=figures)


async def show_privacy(console: Console, request: Request, signed: Signed) -> Response:
    async with transaction(console.database) as db:
        found = await privacy_health(db, ShopId(signed.shop_id), datetime.now(UTC))
    return console.render("privacy.html", signed=signed, page="privacy", title="Privacy",
                          figures=found.figures, consent=found.consent,
                          chart=consent_chart(found.consent))
