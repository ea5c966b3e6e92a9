"""``/graphql``: on POST the storefront key, the rate limits and the body limit are checked
before GraphQL runs, and the run has a time budget; its answers are ``private, no-store``.
On GET, a persisted query by its id, with the same checks, answered with caching headers
(``app.http.edge_cache``), computed once for every server process when they share Redis
(``app.http.public_answers``); any other GET gets GraphiQL in demo mode only."""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.http import GraphQLRequestData, process_result
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.errors import RateLimited
from app.graphql.context import Context, Storefront
from app.graphql.limits import EventAllowance
from app.graphql.persisted import PersistedQueries, PersistedQueryError, shipped_queries
from app.http.body import BodyTooLarge, read_body
from app.http.bounded_graphql import BoundedGraphQL, Outcome, error_response
from app.http.edge_cache import (
    CachePolicy,
    PersistedRequest,
    asks_for_persisted,
    cacheable_answer,
    persisted_request,
    status_of,
    uncacheable,
    without_storing,
)
from app.http.public_answers import Answer, PublicAnswers
from app.http.rate_limit import RateLimits, browser_address, retry_after
from app.http.storefront_auth import Caller, StorefrontAuth
from app.ids import ShopId
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



def too_many_requests(error: RateLimited) -> JSONResponse:
    log.info("GraphQL request refused: rate limited for %s s", error.retry_after)
    return error_response(error.message, error.code.value, 429, retry_after(error))


async def admit_caller(scope: Scope, auth: StorefrontAuth, limits: RateLimits,
                       storefront_key: str | None = None) -> Admitted:
    """The caller of a storefront request, within the request rate limits; ``Refused``
    with the answer otherwise. A browser's address is limited before its key is looked up.
    ``storefront_key``: the key the request carries outside its headers (a GET's URL)."""
    address = browser_address(scope)
    try:
        limits.admit_address(address)
        found = await auth.access_for(scope, storefront_key)
        if found is None:
            raise Refused(JSONResponse(REJECTION, status_code=401))
        if not auth.origin_allowed(found, Headers(scope=scope).get("origin")):
            raise Refused(JSONResponse(REJECTION, status_code=403))
        limits.admit_key(found.key)
    except RateLimited as error:
        raise Refused(too_many_requests(error)) from None
    return Admitted(found, address)


class StorefrontGraphQL(BoundedGraphQL[Context]):
    def __init__(self, schema: Schema, services: Storefront, settings: Settings,
                 auth: StorefrontAuth, ide: bool, limits: RateLimits | None = None,
                 persisted: PersistedQueries | None = None,
                 cache_policy: CachePolicy | None = None,
                 answers: PublicAnswers | None = None) -> None:
        """``persisted``: the queries GET may run (default: the ones the server ships);
        ``cache_policy``: how long shared caches keep their answers; ``answers``: their
        answers shared with the other server processes (with Redis)."""
        super().__init__(schema, settings.graphql_timeout_seconds, ide)
        self._services = services
        self._auth = auth
        self._limits = limits or RateLimits(settings)
        self._max_body = settings.graphql_max_body_bytes
        self._persisted = persisted or shipped_queries()
        self._cache_policy = cache_policy or CachePolicy()
        self._answers = answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[STARTED_SCOPE_KEY] = time.perf_counter()
        await super().__call__(scope, receive, without_storing(send))

    async def _without_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in ("GET", "HEAD") and asks_for_persisted(scope):
            await (await self._run_persisted(scope))(scope, receive, send)
            return
        await super()._without_body(scope, receive, send)

    async def _run_persisted(self, scope: Scope) -> Response:
        """The persisted query the URL names, run for the caller its key names: cacheable
        when it ran without errors, ``no-store`` otherwise."""
        try:
            asked = persisted_request(scope["query_string"], self._persisted)
            admitted = await admit_caller(scope, self._auth, self._limits, asked.key)
        except PersistedQueryError as error:
            log.info("persisted query refused: %s", error.code)
            return error_response(str(error), error.code, status_of(error))
        except Refused as refused:
            return refused.response
        body, cacheable = await self._persisted_answer(asked, admitted, scope)
        if not cacheable:
            return uncacheable(Response(body, media_type="application/json"))
        return cacheable_answer(body, Headers(scope=scope), self._cache_policy)

    async def _persisted_answer(self, asked: PersistedRequest, admitted: Admitted,
                                scope: Scope) -> Answer:
        """The answer's body, and whether it ran without errors; one computed by another
        server process when they share their answers."""

        async def compute() -> Answer:
            result = await self._execute_persisted(asked, admitted, scope)
            return self.encode_json(process_result(result)), not result.errors

        if self._answers is None:
            return await compute()
        return await self._answers.answer(ShopId(admitted.access.shop.id), asked.query,
                                          asked.variables, compute)

    async def _execute_persisted(self, asked: PersistedRequest, admitted: Admitted,
                                 scope: Scope) -> ExecutionResult:
        context = Context(shop=admitted.access.shop, services=self._services,
                          proof=admitted.access.proof, client_address=admitted.address,
                          started=scope.get(STARTED_SCOPE_KEY))
        outcome = await self.within_budget(lambda: self.schema.execute(
            asked.query.document, variable_values=asked.variables, context_value=context,
            allowed_operation_types=(OperationType.QUERY,)))
        assert isinstance(outcome, ExecutionResult)  # one query: neither a batch nor a stream
        return outcome

    async def admit(self, scope: Scope, receive: Receive) -> tuple[Response | None, bytes]:
        """Cheap checks first: the address, the key, the origin, the rate limits, the body."""
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
    ) -> Outcome:
        """Strawberry's, stopped with a TIMEOUT error once it takes ``graphql_timeout_seconds``."""
        execute = super().execute_operation
        return await self.within_budget(lambda: execute(
            request, request_adapter, request_data, context, root_value, sub_response))
