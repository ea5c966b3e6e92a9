"""An admin API over a test database, and shops with their credentials."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.admin.auth import AdminAuth
from app.admin.routes import ADMIN_PATH, admin_routes
from app.settings import Settings
from app.shops.service import NewShopCredentials
from app.storage.database import create_session_factory, transaction
from tests.factories import make_shop


def settings_for(engine: AsyncEngine, folder: Path, **kwargs: Any) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False),
                    data_dir=folder, worker_enabled=False, allowed_hosts=["testserver"],
                    _env_file=None, **kwargs)


async def new_shop(engine: AsyncEngine, **kwargs: Any) -> NewShopCredentials:
    async with transaction(create_session_factory(engine)) as session:
        return await make_shop(session, **kwargs)


@dataclass
class AdminApi:
    client: httpx.AsyncClient

    async def post(self, token: str | None, query: str, **variables: Any) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return await self.client.post(ADMIN_PATH, json={"query": query, "variables": variables},
                                      headers=headers)

    async def data(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        """The answer's data; fails on any error."""
        response = await self.post(token, query, **variables)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def error_codes(self, token: str, query: str, **variables: Any) -> list[str]:
        body = (await self.post(token, query, **variables)).json()
        return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


@asynccontextmanager
async def admin_api(engine: AsyncEngine, folder: Path, auth: AdminAuth | None = None,
                    **settings: Any) -> AsyncIterator[AdminApi]:
    sessions = create_session_factory(engine)
    app = Starlette(routes=admin_routes(sessions, settings_for(engine, folder, **settings), auth))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield AdminApi(client)
