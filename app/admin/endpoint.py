"""``POST /admin/graphql``: the admin token, the failed-attempt limit and the body limit
are checked before GraphQL runs; the run is one transaction, committed only when the
request had no error, within the GraphQL time budget."""

import logging
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.http import GraphQLRequestData

from app.admin.auth import AdminAuth, AdminShop
from app.admin.context import AdminContext
from app.errors import RateLimited
from app.health.data import HealthSources
from app.http.body import BodyTooLarge, read_body
from app.http.bounded_graphql import BoundedGraphQL, Outcome, error_response
from app.rules.preview import RulePreviewer
from app.settings import Settings
from app.shops.preferences import ShopPreferences
from app.storage.database import transaction

log = logging.getLogger(__name__)
SHOP_SCOPE_KEY = "affinity.admin_shop"
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"}
REJECTION = {"errors": [{"message": "missing or invalid admin token",
                         "extensions": {"code": "UNAUTHORIZED"}}]}



def _failed(outcome: Outcome) -> bool:
    results = outcome if isinstance(outcome, list) else [outcome]
    return any(getattr(result, "errors", None) for result in results)


class _Failed(Exception):
    """Rolls the request's transaction back while keeping its answer."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("the admin request had errors")
        self.outcome = outcome


class AdminGraphQL(BoundedGraphQL[AdminContext]):
    def __init__(self, schema: Schema, sessions: async_sessionmaker[AsyncSession],
                 settings: Settings, auth: AdminAuth | None = None,
                 rules: RulePreviewer | None = None,
                 shop_defaults: ShopPreferences | None = None,
                 health_sources: HealthSources | None = None) -> None:
        super().__init__(schema, settings.graphql_timeout_seconds)
        self._sessions = sessions
        self._auth = auth or AdminAuth(sessions)
        self._max_body = settings.graphql_max_body_bytes
        self._rules = rules
        self._shop_defaults = shop_defaults or ShopPreferences()
        self._health_sources = health_sources

    async def admit(self, scope: Scope, receive: Receive) -> tuple[Response | None, bytes]:
        """The token before the body."""
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

    async def get_context(self, request: Request | WebSocket, response: Any) -> AdminContext:
        shop: AdminShop = request.scope[SHOP_SCOPE_KEY]
        response.headers["Cache-Control"] = "no-store"
        return AdminContext(shop=shop, rules=self._rules, shop_defaults=self._shop_defaults,
                            health_sources=self._health_sources)

    async def execute_operation(  # strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: AdminContext,
        root_value: None,
        sub_response: Response,
    ) -> Outcome:
        """Strawberry's, in one transaction committed only when the answer has no error,
        stopped with a TIMEOUT error (and rolled back) once it takes the time budget."""
        execute = super().execute_operation

        async def in_transaction() -> Outcome:
            try:
                async with transaction(self._sessions) as session:
                    context.session = session
                    outcome = await execute(request, request_adapter, request_data, context,
                                            root_value, sub_response)
                    if _failed(outcome):
                        raise _Failed(outcome)
                    return outcome
            except _Failed as failed:
                return failed.outcome

        try:
            return await self.within_budget(in_transaction)
        finally:
            context.session = None
