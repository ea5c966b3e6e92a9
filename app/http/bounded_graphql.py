"""What every GraphQL endpoint of the server does around strawberry: POST only, the caller
and the body checked before GraphQL runs (each endpoint's ``admit``), JSON through orjson,
and a run stopped with a ``TIMEOUT`` error once it takes its time budget."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import ClientDisconnect
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult
from strawberry.types.execution import SubscriptionExecutionResult

from app.http.body import replaying

log = logging.getLogger(__name__)
ContextT = TypeVar("ContextT")
Outcome = ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult


def error_response(message: str, code: str, status: int,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=headers)


class BoundedGraphQL(GraphQL[ContextT, None]):
    def __init__(self, schema: Schema, time_budget: float, ide: bool = False) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None,
                         allow_queries_via_get=False)
        self._ide = ide
        self._time_budget = time_budget

    async def admit(self, scope: Scope, receive: Receive) -> tuple[Response | None, bytes]:
        """The refusal of a request (or None) and its body, read within its limit."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        if scope["method"] != "POST":
            await self._without_body(scope, receive, send)
            return
        try:
            refusal, body = await self.admit(scope, receive)
        except ClientDisconnect:
            return
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await super().__call__(scope, replaying(body, receive), send)

    async def _without_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GraphiQL where the endpoint has it (demo mode); queries only by POST."""
        if self._ide:
            await HTMLResponse(self.graphql_ide_html)(scope, receive, send)
            return
        await error_response("Send GraphQL requests by POST.", "METHOD_NOT_ALLOWED", 405,
                             {"Allow": "POST"})(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)  # its JSONDecodeError is json's: a bad body is still a 400
        if not isinstance(decoded, dict):
            raise HTTPException(400, "The body must be a JSON object: {\"query\": ...}.")
        return decoded

    def encode_json(self, data: object) -> bytes:
        # A list of 100 products is tens of kB of JSON: orjson writes it in a tenth of the time.
        return orjson.dumps(data)

    async def within_budget(self, run: Callable[[], Awaitable[Outcome]]) -> Outcome:
        """``run``'s outcome, or a ``TIMEOUT`` error once it takes the time budget."""
        try:
            async with asyncio.timeout(self._time_budget):
                return await run()
        except TimeoutError:
            log.warning("GraphQL request stopped after %s s", self._time_budget)
            message = f"The request took longer than {self._time_budget:g} s and was stopped."
            return ExecutionResult(data=None, errors=[
                GraphQLError(message, extensions={"code": "TIMEOUT"})])
