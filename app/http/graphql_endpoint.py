"""``/graphql``: GraphiQL on GET; on POST the storefront key is checked before GraphQL runs."""

from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL

from app.container import Services
from app.graphql.context import Context
from app.http.storefront_auth import KEY_HEADER, StorefrontAuth

SHOP_SCOPE_KEY = "affinity.shop"
REJECTION = {"errors": [{"message": "missing or invalid storefront key",
                         "extensions": {"code": "UNAUTHORIZED"}}]}


def origin_allowed(scope: Scope, origins: frozenset[str]) -> bool:
    """A browser call must come from one of the shop's origins (or from this server)."""
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None:
        return True
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    return origin == own or origin.rstrip("/") in origins


class StorefrontGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Schema, services: Services, auth: StorefrontAuth, ide: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None,
                         allow_queries_via_get=False)
        self._services = services
        self._auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        if scope["method"] == "POST":
            found = await self._auth.shop_for(Headers(scope=scope).get(KEY_HEADER))
            if found is None:
                await JSONResponse(REJECTION, status_code=401)(scope, receive, send)
                return
            if not origin_allowed(scope, found[1]):
                await JSONResponse(REJECTION, status_code=403)(scope, receive, send)
                return
            scope[SHOP_SCOPE_KEY] = found[0]
        await super().__call__(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's: a bad body is still a 400

    def encode_json(self, data: object) -> bytes:
        # A list of 100 products is tens of kB of JSON: orjson writes it in a tenth of the time.
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(shop=request.scope[SHOP_SCOPE_KEY], services=self._services)
