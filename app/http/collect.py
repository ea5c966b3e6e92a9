"""``POST /collect?key=<storefront key>``: the same events as trackEvents, for sendBeacon
(any content type, usually text/plain). Answers 202 with the per-event outcome."""

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.container import Services
from app.db import utcnow
from app.events.types import MAX_BATCH, Consent, EventIn
from app.http.storefront_auth import StorefrontAuth
from app.ids import ShopId

MAX_BODY = 512 * 1024
FIELDS = {"eventId": "event_id", "visitorId": "visitor_id", "customerId": "customer_id",
          "productId": "product_id", "variantId": "variant_id",
          "recommendationId": "recommendation_id"}


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_event(raw: Any) -> EventIn:
    if not isinstance(raw, dict):
        raise TypeError("an event must be an object")
    ids = {name: (str(raw[key]) if raw.get(key) is not None else None)
           for key, name in FIELDS.items()}
    consent = raw.get("consent")
    return EventIn(
        type=str(raw.get("type", "")), visitor_id=ids.pop("visitor_id") or "",
        quantity=_int(raw.get("quantity")), dwell_ms=_int(raw.get("dwellMs")),
        query=raw.get("query") if isinstance(raw.get("query"), str) else None,
        occurred_at=_time(raw.get("occurredAt")),
        consent=Consent(bool(consent.get("analytics")), bool(consent.get("personalization")))
        if isinstance(consent, dict) else None,
        **ids)


def collect_endpoint(services: Services, auth: StorefrontAuth) -> Any:
    async def collect(request: Request) -> JSONResponse:
        found = await auth.shop_for(request.query_params.get("key"))
        if found is None:
            return _error("missing or invalid storefront key", 401)
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error("body too large", 413)
        try:
            events = json.loads(body or b"{}").get("events")
        except (ValueError, AttributeError):
            return _error("body must be JSON: {\"events\": [...]}", 400)
        if not isinstance(events, list) or len(events) > MAX_BATCH:
            return _error(f"events must be a list of at most {MAX_BATCH}", 400)
        parsed: list[EventIn] = []
        bad: list[dict[str, Any]] = []
        for index, raw in enumerate(events):
            try:
                parsed.append(parse_event(raw))
            except (ValueError, TypeError) as exc:
                bad.append({"index": index, "reason": str(exc)})
                parsed.append(EventIn(type="", visitor_id=""))
        result = await services.tracker.store(ShopId(found[0].id), parsed, utcnow())
        reported = {b["index"] for b in bad}
        rejected = bad + [{"index": r.index, "reason": r.reason}
                          for r in result.rejected if r.index not in reported]
        return JSONResponse({"accepted": result.accepted, "duplicates": result.duplicates,
                             "rejected": sorted(rejected, key=lambda r: r["index"])},
                            status_code=202)

    return collect
