"""The overview page: the placement chosen in the query string, the KPIs of
``app.console.overview`` for the shop's last 30 days."""

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from app.console.guard import Console, Signed
from app.console.overview import PLACEMENTS, overview
from app.storage.database import transaction

TILES = (("ctr", "Click-through rate", "ratio"), ("click_to_cart", "Click to cart", "ratio"),
         ("revenue", "Attributed revenue", "money"),
         ("revenue_per_visitor", "Revenue per visitor", "money"),
         ("latency_p95_ms", "Latency p95", "ms"))


async def show_overview(console: Console, request: Request, signed: Signed) -> Response:
    wanted = request.query_params.get("placement", "").upper()
    placement = wanted if wanted in PLACEMENTS else None
    async with transaction(console.database) as db:
        data = await overview(db, signed.shop_id, placement, datetime.now(UTC).date())
    return console.render("overview.html", signed=signed, page="overview", title="Overview",
                          data=data, placements=PLACEMENTS, tiles=TILES,
                          currency=signed.session.shop.currency)
