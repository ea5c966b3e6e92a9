"""The console's routes under ``/admin`` (each one named, none a catch-all, so that
``POST /admin/graphql`` keeps working whatever the order), for a composition root to add."""

from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.admin.auth import AdminAuth
from app.console import experiments, health, login, overview_page, placements, rules_page
from app.console.guard import LOGIN_PATH, Console, Handler, guarded
from app.console.sessions import SessionStore
from app.console.web import PREFIX, STATIC_DIR, STATIC_PATH, redirect, templates
from app.health.data import HealthSources
from app.ranking.rules import DEFAULT_RULES, RuleSettings
from app.rules.preview import RulePreviewer
from app.settings import Settings


def console_routes(sessions: async_sessionmaker[AsyncSession], settings: Settings,
                   auth: AdminAuth | None = None, *, rule_defaults: RuleSettings | None = None,
                   health_sources: HealthSources | None = None,
                   rule_preview: RulePreviewer | None = None,
                   store: SessionStore | None = None) -> list[BaseRoute]:
    """The console's pages. ``auth``: the admin API's token check, to share its failed
    log-in limit; ``rule_defaults``: the engine's rule settings (the defaults the
    placements page shows); ``health_sources``: where the model and index live;
    ``rule_preview``: the serving side of rules (a preview; a change served at once by
    this process), none: no preview and changes seen within the directory's refresh."""
    console = Console(sessions, settings, auth or AdminAuth(sessions),
                      store if store is not None else SessionStore(),
                      templates())
    sources = health_sources or HealthSources(settings.data_dir / "models",
                                              settings.embedding_model)
    rules = rule_defaults or DEFAULT_RULES

    def get(path: str, handler: Handler) -> Route:
        return Route(f"{PREFIX}{path}", guarded(console, handler), methods=["GET", "HEAD"])

    def post(path: str, handler: Handler) -> Route:
        return Route(f"{PREFIX}{path}", guarded(console, handler), methods=["POST"])

    def on(handler: Any, **bound: Any) -> Handler:
        """A page function of ``(console, request, signed, ...)`` as a ``Handler``."""
        return partial(handler, console, **bound)

    async def home(request: Request) -> Response:
        # The Shopify admin opens the app's URL with embedded=1, shop, host and id_token.
        query = request.url.query
        return redirect(f"{PREFIX}/overview" + (f"?{query}" if query else ""))

    return [
        Route(PREFIX, home, methods=["GET", "HEAD"]),
        Route(f"{PREFIX}/", home, methods=["GET", "HEAD"]),
        Route(LOGIN_PATH, partial(login.show_login, console), methods=["GET", "HEAD"]),
        Route(LOGIN_PATH, partial(login.log_in, console), methods=["POST"]),
        post("/logout", on(login.log_out)),
        get("/overview", on(overview_page.show_overview)),
        get("/experiments", on(experiments.list_experiments)),
        post("/experiments", on(experiments.create_experiment)),
        get("/experiments/{experiment_id}", on(experiments.show_experiment)),
        post("/experiments/{experiment_id}/start", on(experiments.start_experiment)),
        post("/experiments/{experiment_id}/stop", on(experiments.stop_experiment)),
        *rules_page.rule_routes(console, rule_preview, get, post),
        get("/placements", on(placements.show_placements, rules=rules)),
        post("/placements", on(placements.save_placements, rules=rules)),
        get("/health", on(health.show_health, sources=sources)),
        get("/privacy", on(health.show_privacy)),
        Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="console_static"),
    ]
