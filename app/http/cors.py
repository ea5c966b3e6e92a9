"""CORS limited to the storefront origins of the shops served (plus our own origins, from
the settings: never from the request's Host header, which a rebinding page controls).

The origins are read again in the background once they are ``CACHE_SECONDS`` old
(``app.process.refresh``): a request with an ``Origin`` header waits for them only the first time,
or once they are ``STALE_SECONDS`` old."""

from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.process.refresh import Refreshed

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "content-type, x-affinity-storefront-key"
CACHE_SECONDS = 10.0
STALE_SECONDS = 60.0

OriginLoader = Callable[[], Awaitable[set[str]]]


def origin_allowed(origin: str, shop_origins: frozenset[str], own: frozenset[str]) -> bool:
    """Whether a browser call from ``origin`` may act for a shop with ``shop_origins``."""
    value = origin.rstrip("/").lower()
    return value in own or value in shop_origins or origin.rstrip("/") in shop_origins


class StorefrontCors:
    def __init__(self, app: ASGIApp, load_origins: OriginLoader,
                 own_origins: frozenset[str] = frozenset()) -> None:
        self._app = app
        self._own = own_origins
        self.origins: Refreshed[None, set[str]] = Refreshed(
            lambda _: load_origins(), CACHE_SECONDS, STALE_SECONDS, "the storefront origins")

    async def _allowed(self, origin: str) -> bool:
        if origin.rstrip("/").lower() in self._own:
            return True
        return origin.rstrip("/") in await self.origins.get(None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self._app(scope, receive, send)
            return
        allowed = await self._allowed(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(allowed, origin)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed:
                extra = [
                    (b"access-control-allow-origin", origin.encode()),
                    (b"vary", b"Origin"),
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self._app(scope, receive, send_with_cors)

    @staticmethod
    def _preflight(allowed: bool, origin: str) -> Response:
        if not allowed:
            return PlainTextResponse("origin not allowed", status_code=403)
        return Response(
            status_code=204,
            headers={
                "access-control-allow-origin": origin,
                "access-control-allow-methods": ALLOWED_METHODS,
                "access-control-allow-headers": ALLOWED_HEADERS,
                "access-control-max-age": "600",
                "vary": "Origin",
            },
        )
