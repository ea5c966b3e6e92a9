"""``POST /collect?key=<storefront key>``: the same events as trackEvents, for sendBeacon
(any content type, usually text/plain). Answers 202 with the per-event outcome.

With the public key the call must come from a browser on one of the shop's storefront
origins: every browser sends ``Origin`` on a cross-origin POST, sendBeacon included, so a
call without one is not a storefront's. Servers send the private key in the
``X-Affinity-Server-Key`` header instead (no origin to check)."""

import json
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.errors import RateLimited
from app.events.checked_batches import Checked, store_checked, with_proven_customer
from app.events.tracker import EventTracker
from app.events.types import MAX_BATCH, EventIn, Rejection
from app.http.body import BodyTooLarge, read_body
from app.http.collect_events import EventRefused, parse_event
from app.http.rate_limit import RateLimits, browser_address, retry_after
from app.http.storefront_auth import StorefrontAuth
from app.ids import ShopId
from app.metrics.registry import Metrics
from app.settings import Settings
from app.storage.database import utcnow

BODY_SHAPE = "body must be JSON: {\"events\": [...]}"


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _too_many(limited: RateLimited) -> JSONResponse:
    return _error(limited.message, 429, retry_after(limited))


def _events(body: bytes) -> list[Any] | None:
    """The events of a body shaped ``{"events": [...]}``, or ``None``."""
    try:
        decoded = json.loads(body or b"{}")
    except ValueError:
        return None
    events = decoded.get("events") if isinstance(decoded, dict) else None
    return events if isinstance(events, list) else None


def collect_endpoint(tracker: EventTracker, settings: Settings, auth: StorefrontAuth,
                     limits: RateLimits | None = None, metrics: Metrics | None = None) -> Any:
    limits = limits or RateLimits(settings)
    max_body = settings.collect_max_body_bytes

    async def collect(request: Request) -> JSONResponse:
        address = browser_address(request.scope)
        try:
            limits.admit_address(address)
        except RateLimited as limited:
            return _too_many(limited)
        found = await auth.access_for(request.scope, request.query_params.get("key"))
        if found is None:
            return _error("missing or invalid storefront key", 401)
        if not auth.origin_allowed(found, request.headers.get("origin"), origin_required=True):
            return _error("origin not allowed for this storefront key", 403)
        try:
            limits.admit_key(found.key)
            body = await read_body(request.scope, request.receive, max_body)
        except RateLimited as limited:
            return _too_many(limited)
        except BodyTooLarge as too_large:
            return _error(str(too_large), 413)
        events = _events(body)
        if events is None:
            return _error(BODY_SHAPE, 400)
        if len(events) > MAX_BATCH:
            if metrics is not None:
                metrics.count_refused_batch(len(events))
            return _error(f"events must be a list of at most {MAX_BATCH}", 400)
        now = utcnow()
        checked: list[Checked] = []
        for index, raw in enumerate(events):
            try:
                parsed = parse_event(raw)
            except EventRefused as refused:
                checked.append(Rejection(index, str(refused)))
                continue
            event = replace(parsed.event, client_address=address)
            checked.append(with_proven_customer(index, event, parsed.customer_token,
                                                found.proof, now))
        try:
            limits.admit_events(found.key, address, [item.visitor_id for item in checked
                                                     if isinstance(item, EventIn)])
        except RateLimited as limited:
            return _too_many(limited)
        result = await store_checked(tracker, ShopId(found.shop.id), checked, now)
        if metrics is not None:
            metrics.count_events(result)
        return JSONResponse({"accepted": result.accepted, "duplicates": result.duplicates,
                             "rejected": [{"index": r.index, "reason": r.reason}
                                          for r in result.rejected]},
                            status_code=202)

    return collect
