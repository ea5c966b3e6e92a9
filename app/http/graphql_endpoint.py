"""``/graphql``: on POST the storefront key, the rate limits and the body limit are checked
before GraphQL runs, and the run has a time budget; on GET, GraphiQL in demo mode only."""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.execution import SubscriptionExecutionResult

from app.errors import RateLimited
from app.graphql.context import Context, Storefront
from app.graphql.limits import EventAllowance
from app.http.body import BodyTooLarge, read_body, replaying
from app.http.rate_limit import RateLimits, browser_address, retry_after
from app.http.storefront_auth import Caller, StorefrontAuth
from app.settings import Settings

log = logging.getLogger(__name__)
CALLER_SCOPE_KEY = "affinity.caller"
STARTED_SCOPE_KEY = "affinity.started"
REJECTION = {"errors": [{"message": "missing or invalid storefront key",
                         "extensions": {"code": "UNAUTHORIZED"}}]}


@dataclass(frozen=True)
class Admitted:
    """A request that passed the key check and the request rate limits."""

    access: Caller
    address: str | None
    """The browser's address; ``None`` for the shop's own server (server key) or the app
    proxy, which call for all their shoppers and are not limited by address."""


class Refused(Exception):
    """A request answered before GraphQL runs (401, 403, 429), with that answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def error_response(message: str, code: str, status: int,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=headers)


def too_many_requests(error: RateLimited) -> JSONResponse:
    log.info("GraphQL request refused: rate limited for %s s", error.retry_after)
    return error_response(error.message, error.code.value, 429, retry_after(error))


async def admit_caller(scope: Scope, auth: StorefrontAuth, limits: RateLimits) -> Admitted:
    """The caller of a storefront request, within the request rate limits; ``Refused``
    with the answer otherwise. A browser's address is limited before its key is looked up."""
    address = browser_address(scope)
    try:
        limits.admit_address(address)
        found = await auth.access_for(scope)
        if found is None:
            raise Refused(JSONResponse(REJECTION, status_code=401))
        if not auth.origin_allowed(found, Headers(scope=scope).get("origin")):
            raise Refused(JSONResponse(REJECTION, status_code=403))
        limits.admit_key(found.key)
    except RateLimited as error:
        raise Refused(too_many_requests(error)) from None
    return Admitted(found, address)


class StorefrontGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Schema, services: Storefront, settings: Settings,
                 auth: StorefrontAuth, ide: bool, limits: RateLimits | None = None) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None,
                         allow_queries_via_get=False)
        self._services = services
        self._auth = auth
        self._ide = ide
        self._limits = limits or RateLimits(settings)
        self._max_body = settings.graphql_max_body_bytes
        self._time_budget = settings.graphql_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        scope[STARTED_SCOPE_KEY] = time.perf_counter()
        if scope["method"] != "POST":
            await self._without_body(scope, receive, send)
            return
        try:
            response, body = await self._admit(scope, receive)
        except ClientDisconnect:
            return
        if response is not None:
            await response(scope, receive, send)
            return
        await super().__call__(scope, replaying(body, receive), send)

    async def _without_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GraphiQL in demo mode; queries only by POST."""
        if self._ide:
            await HTMLResponse(self.graphql_ide_html)(scope, receive, send)
            return
        await error_response("Send GraphQL requests by POST.", "METHOD_NOT_ALLOWED", 405,
                             {"Allow": "POST"})(scope, receive, send)

    async def _admit(self, scope: Scope, receive: Receive) -> tuple[Response | None, bytes]:
        """The refusal of a request (or None) and its body: cheap checks first."""
        try:
            caller = await admit_caller(scope, self._auth, self._limits)
            body = await read_body(scope, receive, self._max_body)
        except Refused as refused:
            return refused.response, b""
        except BodyTooLarge as error:
            log.info("GraphQL request refused: body over %s bytes", error.limit)
            return error_response(str(error), "BODY_TOO_LARGE", 413), b""
        scope[CALLER_SCOPE_KEY] = caller
        return None, body

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)  # its JSONDecodeError is json's: a bad body is still a 400
        if not isinstance(decoded, dict):
            raise HTTPException(400, "The body must be a JSON object: {\"query\": ...}.")
        return decoded

    def encode_json(self, data: object) -> bytes:
        # A list of 100 products is tens of kB of JSON: orjson writes it in a tenth of the time.
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        admitted: Admitted = request.scope[CALLER_SCOPE_KEY]
        limits = self._limits

        def rate_check(visitor_ids: Sequence[str]) -> None:
            try:
                limits.admit_events(admitted.access.key, admitted.address, visitor_ids)
            except RateLimited as error:
                response.status_code = 429
                response.headers.update(retry_after(error))
                raise

        return Context(shop=admitted.access.shop, services=self._services,
                       proof=admitted.access.proof, client_address=admitted.address,
                       events=EventAllowance(rate_check=rate_check),
                       started=request.scope.get(STARTED_SCOPE_KEY))

    async def execute_operation(  # strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        """Strawberry's, stopped with a TIMEOUT error once it takes ``graphql_timeout_seconds``."""
        try:
            async with asyncio.timeout(self._time_budget):
                return await super().execute_operation(
                    request, request_adapter, request_data, context, root_value, sub_response)
        except TimeoutError:
            log.warning("GraphQL request stopped after %s s", self._time_budget)
            message = f"The request took longer than {self._time_budget:g} s and was stopped."
            return ExecutionResult(data=None, errors=[
                GraphQLError(message, extensions={"code": "TIMEOUT"})])
