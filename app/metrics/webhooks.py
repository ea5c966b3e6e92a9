"""Webhook deliveries counted by platform and outcome, read from each endpoint's answer
(``{"status": ...}`` or ``{"error": ...}``): the endpoints stay as they are, and an
exception (a 500) counts as ``error``."""

import json
from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.metrics.registry import Metrics

OUTCOMES = frozenset({"accepted", "duplicate", "ignored", "ok", "unauthorized", "too_large",
                      "disconnected", "invalid_payload", "expired"})
OTHER = "other"
ERROR = "error"
Endpoint = Callable[[Request], Awaitable[Response]]


def outcome_of(response: Response) -> str:
    """``accepted``, ``duplicate``, ``ignored``, ``ok`` (a ping), or the error's name
    (``unauthorized``, ``invalid_payload``, ``expired``, ``too_large``, ...)."""
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        return OTHER
    said = body.get("status") or body.get("error") if isinstance(body, dict) else None
    return said if isinstance(said, str) and said in OUTCOMES else OTHER


def counted(endpoint: Endpoint, platform: str, metrics: Metrics) -> Endpoint:
    async def endpoint_counted(request: Request) -> Response:
        try:
            response = await endpoint(request)
        except Exception:
            metrics.count_webhook(platform, ERROR)
            raise
        metrics.count_webhook(platform, outcome_of(response))
        return response

    return endpoint_counted


def instrument_webhook_routes(routes: Sequence[BaseRoute], metrics: Metrics) -> list[BaseRoute]:
    """The webhook routes (``/webhooks/{platform}``) with their deliveries counted; other
    routes as they are."""
    instrumented: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route) and route.path.startswith("/webhooks/"):
            platform = route.path.rsplit("/", 1)[-1]
            route = Route(route.path, counted(route.endpoint, platform, metrics),
                          methods=list(route.methods or ()), name=route.name)
        instrumented.append(route)
    return instrumented
