"""Helpers for tests that run the server application in-process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from app.asgi import create_app
from app.catalog.changes import ProductChange
from app.catalog.service import apply_product_changes
from app.container import Services
from app.embeddings.protocol import Embedder
from app.embeddings.service import embed_stale_products
from app.ids import ShopId
from app.index.service import build_index
from app.settings import Settings
from app.shops.models import Shop
from app.shops.service import rotate_keys
from app.storage.database import transaction
from tests.factories import make_shop


@dataclass
class Harness:
    app: Starlette
    client: httpx.AsyncClient
    services: Services
    embedder: Embedder

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def add_shop(self, products: list[ProductChange], **kwargs: Any) -> tuple[ShopId, str]:
        async with transaction(self.services.sessions) as session:
            created = await make_shop(session, **kwargs)
            shop = ShopId(created.shop.id)
            await apply_product_changes(session, shop, products)
        await self.embed(shop)
        await self.build(shop)
        return shop, created.storefront_key

    async def embed(self, shop: ShopId) -> int:
        async with transaction(self.services.sessions) as session:
            return (await embed_stale_products(session, shop, self.embedder)).embedded

    async def build(self, shop: ShopId) -> int:
        async with transaction(self.services.sessions) as session:
            built = await build_index(session, shop, self.embedder.model_name,
                                      self.settings.index_dir, self.settings.annoy_trees,
                                      self.settings.annoy_search_k)
        return built.version

    async def graphql(self, key: str | None, query: str, **variables: Any) -> httpx.Response:
        headers = {} if key is None else {"X-Affinity-Storefront-Key": key}
        return await self.client.post("/graphql", json={"query": query, "variables": variables},
                                      headers=headers)

    async def server_key(self, shop: ShopId) -> str:
        """A new private server key for the shop: what its own servers send to name
        customers (the public storefront key cannot)."""
        async with transaction(self.services.sessions) as session:
            found = await session.get(Shop, shop)
            assert found is not None
            return (await rotate_keys(session, found, self.services.secrets)).server_key

    async def graphql_as_server(self, server_key: str, query: str,
                                **variables: Any) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": query, "variables": variables},
                                      headers={"X-Affinity-Server-Key": server_key})


@asynccontextmanager
async def harness(database_url: str, data_dir: Path, embedder: Embedder) -> AsyncIterator[Harness]:
    settings = Settings(database_url=database_url, data_dir=data_dir, worker_enabled=False,
                        holdout_share=0.0,
                        embedding_model=embedder.model_name, annoy_trees=10,
                        allowed_hosts=["testserver"], _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, embedder_factory=lambda: embedder)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Harness(app, client, app.state.services, embedder)
    await app.state.services.engine.dispose()


SIMILAR = """query($id: ID!, $first: Int) { similarProducts(productId: $id, first: $first) {
  recommendationId items { score product { id title available } reasons { code message } } } }"""
RECOMMEND = """query($placement: Placement!, $ids: [ID!], $first: Int) {
  recommendations(placement: $placement, productIds: $ids, first: $first) {
  recommendationId items { score product { id title available } reasons { code message } } } }"""


def ids_of(response: httpx.Response, field: str) -> list[str]:
    body = response.json()
    assert "errors" not in body, body
    return [item["product"]["id"] for item in body["data"][field]["items"]]
