"""The admin API's routes, for a composition root to mount."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute, Route

from app.admin.auth import AdminAuth
from app.admin.endpoint import AdminGraphQL
from app.admin.schema import build_admin_schema
from app.settings import Settings

ADMIN_PATH = "/admin/graphql"


def admin_routes(sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 auth: AdminAuth | None = None) -> list[BaseRoute]:
    """``POST /admin/graphql`` (``auth``: the token check, by default one per app)."""
    endpoint = AdminGraphQL(build_admin_schema(settings), sessions, settings,
                            auth or AdminAuth(sessions))
    return [Route(ADMIN_PATH, endpoint, methods=["GET", "POST"])]
