"""Send recorded payloads through the real webhook endpoints, signed as each platform
signs them, and inspect what was stored."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from app.asgi import create_app
from app.container import Services
from app.ingestion.models import InboxDelivery, RejectedDelivery
from app.orders.models import Order, OrderLine
from app.settings import Settings
from app.storage.database import transaction
from tests.factories import make_shop
from tests.fakes import HashingEmbedder
from webhooks.ingestion import Ingestion
from webhooks.signatures import hmac_sha256_base64

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads"
SECRET = "shpss_test_secret_1"


def payload(platform: str, name: str, **replace: str) -> bytes:
    text = (PAYLOADS / platform / name).read_text()
    for key, value in replace.items():
        text = text.replace("{" + key + "}", value)
    return text.encode()


def shopify_headers(domain: str, topic: str, body: bytes, secret: str = SECRET,
                    webhook_id: str | None = None, event_id: str | None = None,
                    triggered_at: datetime | None = None) -> dict[str, str]:
    triggered = (triggered_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": hmac_sha256_base64(secret, body),
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": triggered,
        "X-Shopify-API-Version": "2025-07",
    }


@dataclass
class Hooks:
    app: Starlette
    client: httpx.AsyncClient
    services: Services
    ingestion: Ingestion

    async def shop(self, platform: str = "shopify", **kwargs: Any) -> tuple[int, str, str]:
        """A fresh shop: (id, domain, storefront key)."""
        kwargs.setdefault("webhook_secret", SECRET)
        kwargs.setdefault("box", self.services.secrets)
        async with transaction(self.services.sessions) as session:
            created = await make_shop(session, platform=platform, **kwargs)
        return created.shop.id, created.shop.domain, created.storefront_key

    async def shopify(self, domain: str, topic: str, body: bytes, **kwargs: Any) -> httpx.Response:
        return await self.client.post("/webhooks/shopify", content=body,
                                      headers=shopify_headers(domain, topic, body, **kwargs))

    async def drain(self) -> int:
        return await self.ingestion.processor.drain()

    async def graphql(self, key: str, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables},
                                          headers={"X-Affinity-Storefront-Key": key})
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def count(self, model: Any, *where: Any) -> int:
        async with transaction(self.services.sessions) as session:
            stmt = select(func.count()).select_from(model).where(*where)
            return int((await session.execute(stmt)).scalar_one())

    async def deliveries(self, shop_id: int) -> int:
        return await self.count(InboxDelivery, InboxDelivery.shop_id == shop_id)

    async def rejections(self, shop_id: int) -> list[RejectedDelivery]:
        async with transaction(self.services.sessions) as session:
            stmt = select(RejectedDelivery).where(RejectedDelivery.shop_id == shop_id)
            return list((await session.execute(stmt)).scalars())

    async def order_lines(self, shop_id: int) -> list[tuple[str, str | None, int, int, bool]]:
        """(order id, product id, quantity, refunded, cancelled) of every stored line."""
        async with transaction(self.services.sessions) as session:
            stmt = (select(Order.platform_id, OrderLine.product_id, OrderLine.quantity,
                           OrderLine.refunded_quantity, Order.cancelled)
                    .join(Order, Order.id == OrderLine.order_key)
                    .where(Order.shop_id == shop_id).order_by(OrderLine.platform_id))
            return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]


def settings_for(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    overrides.setdefault("allowed_hosts", ["testserver"])
    return Settings(database_url=database_url, data_dir=data_dir, worker_enabled=False,  # type: ignore[call-arg]
                    webhook_processor_enabled=False, embedding_model="fake-hashing",
                    _env_file=None, **overrides)


@asynccontextmanager
async def hooks_app(database_url: str, data_dir: Path, **overrides: Any) -> AsyncIterator[Hooks]:
    app = create_app(settings_for(database_url, data_dir, **overrides),
                     embedder_factory=lambda: HashingEmbedder())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield Hooks(app, client, app.state.services, app.state.ingestion)
    await app.state.ingestion.aclose()
    await app.state.services.engine.dispose()


def body_of(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()
