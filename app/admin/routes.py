"""The admin API's routes, for a composition root to mount."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute, Route

from app.admin.auth import AdminAuth
from app.admin.endpoint import AdminGraphQL
from app.admin.schema import build_admin_schema
from app.admin.settings import health_sources, server_defaults
from app.ranking.settings import EngineSettings
from app.rules.preview import RulePreviewer
from app.settings import Settings

ADMIN_PATH = "/admin/graphql"


def admin_routes(sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 auth: AdminAuth | None = None,
                 rules: RulePreviewer | None = None,
                 engine_settings: EngineSettings | None = None) -> list[BaseRoute]:
    """``POST /admin/graphql`` (``auth``: the token check, by default one per app;
    ``rules``: the rules' preview; ``engine_settings``: the engine's, whose rules are the
    shops' default settings)."""
    tuning = engine_settings or EngineSettings()
    endpoint = AdminGraphQL(build_admin_schema(settings), sessions, settings,
                            auth or AdminAuth(sessions), rules,
                            shop_defaults=server_defaults(settings, tuning.rules()),
                            health_sources=health_sources(settings, tuning.models_dir,
                                                          tuning.retrain_hours))
    return [Route(ADMIN_PATH, endpoint, methods=["GET", "POST"])]
