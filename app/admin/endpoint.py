"""``POST /admin/graphql``: the admin token, the failed-attempt limit and the body limit
are checked before GraphQL runs; the run is one transaction, committed only when the
request had no error, within the GraphQL time budget."""

import asyncio
import logging
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.execution import SubscriptionExecutionResult

from app.admin.auth import AdminAuth, AdminShop
from app.admin.context import AdminContext
from app.errors import RateLimited
from app.http.body import BodyTooLarge, read_body, replaying
from app.settings import Settings
from app.storage.database import transaction

log = logging.getLogger(__name__)
SHOP_SCOPE_KEY = "affinity.admin_shop"
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"}
REJECTION = {"errors": [{"message": "missing or invalid admin token",
                         "extensions": {"code": "UNAUTHORIZED"}}]}

Outcome = ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult


def error_response(message: str, code: str, status: int,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=headers)


def _failed(outcome: Outcome) -> bool:
    results = outcome if isinstance(outcome, list) else [outcome]
    return any(getattr(result, "errors", None) for result in results)


class _Failed(Exception):
    """Rolls the request's transaction back while keeping its answer."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("the admin request had errors")
        self.outcome = outcome


class AdminGraphQL(GraphQL[AdminContext, None]):
    def __init__(self, schema: Schema, sessions: async_sessionmaker[AsyncSession],
                 settings: Settings, auth: AdminAuth | None = None) -> None:
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=False)
        self._sessions = sessions
        self._auth = auth or AdminAuth(sessions)
        self._max_body = settings.graphql_max_body_bytes
        self._time_budget = settings.graphql_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        if scope["method"] != "POST":
            await error_response("Send GraphQL requests by POST.", "METHOD_NOT_ALLOWED", 405,
                                 {"Allow": "POST"})(scope, receive, send)
            return
        try:
            refusal, body = await self._admit(scope, receive)
        except ClientDisconnect:
            return
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await super().__call__(scope, replaying(body, receive), send)

    async def _admit(self, scope: Scope, receive: Receive) -> tuple[Response | None, bytes]:
        """The refusal of a request (or None) and its body: the token before the body."""
        try:
            shop = await self._auth.shop_for(scope)
        except RateLimited as limited:
            log.info("admin request refused: too many failed attempts from its address")
            return error_response(limited.message, limited.code.value, 429,
                                  {"Retry-After": str(limited.retry_after)}), b""
        if shop is None:
            return JSONResponse(REJECTION, status_code=401, headers=UNAUTHORIZED_HEADERS), b""
        try:
            body = await read_body(scope, receive, self._max_body)
        except BodyTooLarge as error:
            return error_response(str(error), "BODY_TOO_LARGE", 413), b""
        scope[SHOP_SCOPE_KEY] = shop
        return None, body

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)
        if not isinstance(decoded, dict):
            raise HTTPException(400, "The body must be a JSON object: {\"query\": ...}.")
        return decoded

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> AdminContext:
        shop: AdminShop = request.scope[SHOP_SCOPE_KEY]
        response.headers["Cache-Control"] = "no-store"
        return AdminContext(shop=shop)

    async def execute_operation(  # strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: AdminContext,
        root_value: None,
        sub_response: Response,
    ) -> Outcome:
        """Strawberry's, in one transaction, stopped with a TIMEOUT error (and rolled back)
        once it takes ``graphql_timeout_seconds``."""
        try:
            async with asyncio.timeout(self._time_budget):
                async with transaction(self._sessions) as session:
                    context.session = session
                    outcome = await super().execute_operation(
                        request, request_adapter, request_data, context, root_value,
                        sub_response)
                    if _failed(outcome):
                        raise _Failed(outcome)
                    return outcome
        except _Failed as failed:
            return failed.outcome
        except TimeoutError:
            log.warning("admin GraphQL request stopped after %s s", self._time_budget)
            message = f"The request took longer than {self._time_budget:g} s and was stopped."
            return ExecutionResult(data=None, errors=[
                GraphQLError(message, extensions={"code": "TIMEOUT"})])
        finally:
            context.session = None
