"""CORS limited to the storefront origins of the shops served (plus our own origin)."""

import time
from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "content-type, x-affinity-storefront-key"
CACHE_SECONDS = 10.0

OriginLoader = Callable[[], Awaitable[set[str]]]


def own_origin(scope: Scope) -> str:
    headers = Headers(scope=scope)
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


class StorefrontCors:
    def __init__(self, app: ASGIApp, load_origins: OriginLoader) -> None:
        self._app = app
        self._load_origins = load_origins
        self._origins: set[str] = set()
        self._loaded_at = -1e9

    async def _allowed(self, origin: str, scope: Scope) -> bool:
        if origin == own_origin(scope):
            return True
        if time.monotonic() - self._loaded_at > CACHE_SECONDS:
            self._origins = await self._load_origins()
            self._loaded_at = time.monotonic()
        return origin in self._origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self._app(scope, receive, send)
            return
        allowed = await self._allowed(origin, scope)
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
