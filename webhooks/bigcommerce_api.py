"""The BigCommerce REST API, as far as the adapter needs it to fill thin payloads.

Records come back as the platform's JSON and stay inside ``webhooks/``."""

import asyncio
from typing import Any, Protocol

import httpx

from app.ingestion.protocol import PlatformUnavailable

API_URL = "https://api.bigcommerce.com"
MAX_TRIES = 4
JSON = dict[str, Any]


class BigCommerceApi(Protocol):
    async def product(self, product_id: str) -> JSON | None: ...

    async def order(self, order_id: str) -> JSON | None: ...

    async def order_products(self, order_id: str) -> list[JSON]: ...

    async def category(self, category_id: str) -> JSON | None: ...


class BigCommerceClient:
    """``X-Auth-Token`` calls with back-off on 429 (``X-Rate-Limit-Time-Reset-Ms``) and 5xx."""

    def __init__(
        self, http: httpx.AsyncClient, store_hash: str, access_token: str, api_url: str | None = None
    ) -> None:
        self._http = http
        self._base = f"{(api_url or API_URL).rstrip('/')}/stores/{store_hash}"
        self._headers = {"X-Auth-Token": access_token, "Accept": "application/json"}

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any | None:
        for attempt in range(MAX_TRIES):
            try:
                response = await self._http.get(self._base + path, params=params,
                                                 headers=self._headers)
            except httpx.HTTPError as exc:
                error = f"BigCommerce unreachable: {type(exc).__name__}"
            else:
                if response.status_code == 404:
                    return None
                if response.status_code == 204:
                    return []
                if response.is_success:
                    return response.json()
                error = f"BigCommerce answered {response.status_code} for {path}"
                if response.status_code not in (429, 500, 502, 503, 504):
                    raise PlatformUnavailable(error)
                wait = response.headers.get("x-rate-limit-time-reset-ms")
                if wait and wait.isdigit():
                    await asyncio.sleep(min(int(wait), 30_000) / 1000)
                    continue
            await asyncio.sleep(0.5 * 2**attempt)
        raise PlatformUnavailable(error)

    async def product(self, product_id: str) -> JSON | None:
        found = await self._get(f"/v3/catalog/products/{product_id}",
                                {"include": "variants,images"})
        return found.get("data") if isinstance(found, dict) else None

    async def order(self, order_id: str) -> JSON | None:
        found = await self._get(f"/v2/orders/{order_id}")
        return found if isinstance(found, dict) else None

    async def order_products(self, order_id: str) -> list[JSON]:
        found = await self._get(f"/v2/orders/{order_id}/products", {"limit": "250"})
        return [line for line in found or [] if isinstance(line, dict)]

    async def category(self, category_id: str) -> JSON | None:
        found = await self._get(f"/v3/catalog/categories/{category_id}")
        return found.get("data") if isinstance(found, dict) else None
