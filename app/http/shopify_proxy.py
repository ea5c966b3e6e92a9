"""Shopify's app proxy: the storefront calls ``/apps/<prefix>/...`` on the shop's own domain,
Shopify forwards it here with the shop and the logged-in customer in signed query
parameters. Once the signature checks out, the request is served as that shop with that
customer proven (a guest when Shopify names none): no customer token needed."""

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.http.storefront_auth import PROXIED_SCOPE_KEY, StorefrontAuth

GRAPHQL_PATH = "/shopify/proxy/graphql"
COLLECT_PATH = "/shopify/proxy/collect"
MAX_AGE_SECONDS = 600
"""Shopify signs every request as it forwards it: an older signature is a replay."""
MAX_QUERY_LENGTH = 4096
TIMESTAMP = re.compile(r"[0-9]{1,12}")
log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def proxy_signature(secret: str, query_string: str) -> str:
    """Shopify's app proxy signature of a query string (its ``signature`` left out): the
    sorted ``key=value`` pairs, repeated values joined by commas, concatenated."""
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key != "signature":
            values.setdefault(key, []).append(value)
    message = "".join(sorted(f"{key}={','.join(found)}" for key, found in values.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_valid(secret: str, query_string: str, now: float) -> bool:
    if len(query_string) > MAX_QUERY_LENGTH:
        return False
    params = dict(parse_qsl(query_string, keep_blank_values=True))
    signature, timestamp = params.get("signature", ""), params.get("timestamp", "")
    if not signature or not TIMESTAMP.fullmatch(timestamp):
        return False
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    return hmac.compare_digest(proxy_signature(secret, query_string).encode(),
                               signature.encode())


def _refusal() -> JSONResponse:
    return JSONResponse({"error": "invalid app proxy signature"}, status_code=401)


class _Verified:
    """Runs ``app`` for a request whose app proxy signature checks out, as the shop and
    customer it names."""

    def __init__(self, auth: StorefrontAuth, api_secret: str, app: ASGIApp) -> None:
        self._auth = auth
        self._secret = api_secret
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        found = None
        if signature_valid(self._secret, query, time.time()):
            params = dict(parse_qsl(query, keep_blank_values=True))
            found = await self._auth.proxied_caller(
                params.get("shop", ""), params.get("logged_in_customer_id") or None)
        if found is None:
            log.info("app proxy request refused: bad signature or unknown shop")
            await _refusal()(scope, receive, send)
            return
        scope[PROXIED_SCOPE_KEY] = found
        await self._app(scope, receive, send)


def shopify_proxy_routes(auth: StorefrontAuth, api_secret: str | None, graphql: ASGIApp,
                         collect: Endpoint) -> list[BaseRoute]:
    """The app proxy's two routes (none without the app's API secret)."""
    if not api_secret:
        return []
    return [Route(GRAPHQL_PATH, _Verified(auth, api_secret, graphql), methods=["POST"]),
            Route(COLLECT_PATH, _Verified(auth, api_secret, request_response(collect)),
                  methods=["POST"])]
