"""Wiring of the webhook side: adapters, endpoints and the inbox processor, built once
by a composition root from the process's ingestion dependencies."""

import shutil
from collections.abc import Sequence
from datetime import timedelta

import httpx
from starlette.routing import BaseRoute, Route

from app.customer_data import CustomerDataStore
from app.ingestion.apply import Effects
from app.ingestion.claims import ClaimBatcher
from app.ingestion.dependencies import IngestionDependencies
from app.ingestion.privacy import core_customer_stores
from app.ingestion.processor import InboxProcessor
from app.ingestion.protocol import PlatformUnavailable, ShopContext
from app.ingestion.turns import WriteTurns
from webhooks.backfill.shopify_admin import ShopifyAdminClient
from webhooks.bigcommerce import ApiFactory, BigCommerceAdapter
from webhooks.bigcommerce_api import BigCommerceApi, BigCommerceClient
from webhooks.protocol import PlatformAdapter
from webhooks.receiver import WebhookEndpoint
from webhooks.shopify import ShopifyAdapter
from webhooks.shopify_confirm import AdminApi
from webhooks.woocommerce import WooCommerceAdapter

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
CONFIRM_TRIES = 2
"""Admin API tries per confirmation; an outage retries the whole delivery later."""


class Ingestion:
    def __init__(
        self,
        services: IngestionDependencies,
        customer_stores: Sequence[CustomerDataStore] | None = None,
        bigcommerce_api: ApiFactory | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        """``http`` (owned by the caller) reaches the platforms' APIs; by default a
        client is made when first needed and closed by ``aclose``."""
        self._services = services
        self._http: httpx.AsyncClient | None = http
        self._owns_http = http is None
        adapters: list[PlatformAdapter] = [
            ShopifyAdapter(self._shopify_admin),
            WooCommerceAdapter(),
            BigCommerceAdapter(bigcommerce_api or self._bigcommerce_api),
        ]
        self.adapters = {adapter.platform: adapter for adapter in adapters}
        # Acknowledgements and the inbox processor share the database writer; the
        # acknowledgements go first.
        self._turns = WriteTurns(single_writer=services.single_writer)
        self.processor = InboxProcessor(
            services.sessions,
            self.adapters,
            list(customer_stores) if customer_stores is not None else core_customer_stores(),
            on_effects=self._reflect,
            max_attempts=services.settings.webhook_max_attempts,
            poll_seconds=services.settings.webhook_poll_seconds,
            turns=self._turns,
            box=services.secrets,
        )

    def routes(self) -> list[BaseRoute]:
        limit = self._services.settings.webhook_max_body_bytes
        hours = self._services.settings.webhook_max_age_hours
        max_age = timedelta(hours=hours) if hours > 0 else None
        claims = ClaimBatcher(self._services.writes, turns=self._turns)
        app_secret = self._services.settings.shopify_api_secret
        app_secrets = {"shopify": app_secret.get_secret_value() if app_secret else None}
        return [
            Route(f"/webhooks/{platform}",
                  WebhookEndpoint(adapter, self._services.sessions, claims, self.processor.wake,
                                  limit, self._services.secrets, max_age,
                                  app_secret=app_secrets.get(platform)).handle,
                  methods=["POST"], name=f"webhooks_{platform}")
            for platform, adapter in self.adapters.items()
        ]

    def _bigcommerce_api(self, shop: ShopContext) -> BigCommerceApi:
        credentials = shop.credentials
        if credentials is None or not credentials.store_hash:
            raise PlatformUnavailable(
                f"shop {shop.domain} has no BigCommerce credentials (affinity shop set-credentials)"
            )
        return BigCommerceClient(self._client(), credentials.store_hash,
                                 credentials.access_token, credentials.api_url)

    def _shopify_admin(self, shop: ShopContext) -> AdminApi | None:
        """The shop's Admin API, to confirm destructive deliveries; ``None`` without a token."""
        credentials = shop.credentials
        if credentials is None:
            return None
        version = credentials.api_version or self._services.settings.shopify_api_version
        return ShopifyAdminClient(self._client(), shop.domain, credentials.access_token,
                                  version, credentials.api_url, max_tries=CONFIRM_TRIES)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=TIMEOUT)
        return self._http

    def _reflect(self, effects: Effects) -> None:
        """Drop what this process caches about shops whose data just changed."""
        for shop_id in effects.shops_stopped | effects.shops_removed:
            self._services.registry.forget(shop_id)
            self._services.catalogs.forget(shop_id)
        for shop_id in effects.shops_removed:
            shutil.rmtree(self._services.settings.index_dir / f"shop-{shop_id}", ignore_errors=True)

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
