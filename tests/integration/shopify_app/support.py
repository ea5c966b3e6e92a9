"""The app with its Shopify install on, against the stand-in of Shopify (OAuth and Admin
GraphQL) served over real HTTP; the merchant's part played by the test."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select
from starlette.routing import Route

from app.entry_points import ingestion_dependencies
from app.ingestion.claims import ClaimBatcher
from app.shops.models import Shop
from app.storage.database import transaction, utcnow
from tests.integration.webhooks.shopify_standin import StandIn, serve_standin
from tests.integration.webhooks.support import Hooks, hooks_app
from webhooks.receiver import WebhookEndpoint
from webhooks.shopify_app.config import ShopifyAppConfig
from webhooks.shopify_app.installer import ShopifyInstaller
from webhooks.shopify_app.models import UsedInstallState
from webhooks.shopify_app.routes import shopify_app_routes

API_KEY, API_SECRET = "standin-api-key", "standin-api-secret"
PUBLIC_URL = "http://testserver"
SECRET_KEY = "a key shared by every test of the install"


def new_domain() -> str:
    return f"shop-{uuid.uuid4().hex[:10]}.myshopify.com"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Install:
    hooks: Hooks
    standin: StandIn
    installer: ShopifyInstaller
    clock: Clock

    @property
    def client(self) -> httpx.AsyncClient:
        return self.hooks.client

    async def start(self, shop: str) -> str:
        """``GET /shopify/install``, then the shop's authorize page it redirects to (which
        notes the scopes asked for): the state in the authorize URL."""
        response = await self.client.get("/shopify/install", params={"shop": shop})
        assert response.status_code == 302, response.text
        authorize = response.headers["location"]
        location = urlsplit(authorize)
        assert location.path == f"/{shop}/admin/oauth/authorize"
        async with httpx.AsyncClient(timeout=10) as merchant:
            assert (await merchant.get(authorize)).status_code == 200
        return parse_qs(location.query)["state"][0]

    async def callback(self, query: str) -> httpx.Response:
        return await self.client.get(f"/shopify/callback?{query}")

    async def install(self, shop: str) -> httpx.Response:
        """The whole install, the merchant approving it."""
        state = await self.start(shop)
        return await self.callback(self.standin.callback_query(shop, state))

    async def shop(self, domain: str) -> Shop | None:
        async with transaction(self.hooks.services.sessions) as session:
            return (await session.execute(select(Shop).where(Shop.domain == domain))).scalar_one_or_none()

    async def used_states(self) -> int:
        async with transaction(self.hooks.services.sessions) as session:
            return int((await session.execute(
                select(func.count()).select_from(UsedInstallState))).scalar_one())


def _wire(hooks: Hooks, installer: ShopifyInstaller) -> None:
    """What the composition root wires: the install's routes, and the Shopify receiver
    accepting the app's secret for shops installed through the app."""
    services = hooks.services
    receiver = WebhookEndpoint(
        hooks.ingestion.adapters["shopify"], services.sessions,
        ClaimBatcher(ingestion_dependencies(services).writes), hooks.ingestion.processor.wake,
        services.settings.webhook_max_body_bytes, services.secrets, app_secret=API_SECRET)
    hooks.app.router.routes[:0] = [Route("/webhooks/shopify", receiver.handle, methods=["POST"]),
                                   *shopify_app_routes(installer)]


@asynccontextmanager
async def install_app(database_url: str, data_dir: Path, **overrides: Any) -> AsyncIterator[Install]:
    standin = StandIn(api_key=API_KEY, api_secret=API_SECRET)
    with serve_standin(standin) as standin_url:
        settings = dict(shopify_api_key=API_KEY, shopify_api_secret=API_SECRET,
                        public_url=PUBLIC_URL, shopify_shop_url=standin_url + "/{shop}",
                        secret_key=SECRET_KEY, **overrides)
        async with hooks_app(database_url, data_dir, **settings) as hooks:
            config = ShopifyAppConfig.from_settings(hooks.services.settings)
            assert config is not None
            clock = Clock()
            installer = ShopifyInstaller(config, hooks.services.sessions, hooks.services.secrets,
                                         clock=clock)
            _wire(hooks, installer)
            try:
                yield Install(hooks, standin, installer, clock)
            finally:
                await installer.aclose()
