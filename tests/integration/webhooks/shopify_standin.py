"""A local stand-in for the Shopify Admin GraphQL API: the documented request (POST
``/admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``) and response
shapes (connections with ``pageInfo`` and ``nodes``, ``extensions.cost``, ``THROTTLED``
errors), over an in-memory shop. Only the queries the backfill sends, and the lookups
that confirm destructive webhooks (``product(id:)``, ``collection(id:)``, ``shop``), are
understood. ``revoked`` answers 401 to every call, as Shopify does once the app is
uninstalled."""

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MAXIMUM = 1000.0


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def product_node(number: int, title: str, updated: str = "2024-03-01T10:00:00Z",
                 stock: int = 5) -> dict[str, Any]:
    return {
        "id": gid("Product", number), "handle": f"item-{number}", "title": title,
        "descriptionHtml": f"<p>{title}, described.</p>", "vendor": "Acme",
        "productType": "Mugs", "tags": ["kitchen", "gift"], "status": "ACTIVE",
        "publishedAt": "2024-01-01T00:00:00Z", "updatedAt": updated,
        "onlineStoreUrl": None, "featuredImage": {"url": f"https://cdn.example/{number}.png"},
        "variants": {"nodes": [{
            "id": gid("ProductVariant", number * 10), "title": "Default Title",
            "sku": f"SKU-{number}", "price": "12.50", "inventoryQuantity": stock,
            "inventoryPolicy": "DENY",
            "inventoryItem": {"id": gid("InventoryItem", number * 100), "tracked": True}}]},
        "collections": {"nodes": [{"id": gid("Collection", 1)}]},
    }


def order_node(number: int, customer: int | None, products: list[int],
               refunded: dict[int, int] | None = None) -> dict[str, Any]:
    lines = [{"id": gid("LineItem", number * 1000 + p), "quantity": 2,
              "variant": {"id": gid("ProductVariant", p * 10)}, "product": {"id": gid("Product", p)},
              "originalUnitPriceSet": {"shopMoney": {"amount": "12.5", "currencyCode": "USD"}}}
             for p in products]
    refunds = [{"id": gid("Refund", number * 7 + p),
                "refundLineItems": {"nodes": [{"quantity": q,
                                               "lineItem": {"id": gid("LineItem", number * 1000 + p)}}]}}
               for p, q in (refunded or {}).items()]
    return {"id": gid("Order", number), "createdAt": "2024-02-01T09:00:00Z",
            "processedAt": "2024-02-01T09:00:00Z", "updatedAt": "2024-02-01T09:30:00Z",
            "cancelledAt": None, "currencyCode": "USD",
            "customer": {"id": gid("Customer", customer)} if customer else None,
            "lineItems": {"nodes": lines}, "refunds": refunds}


@dataclass
class StandIn:
    token: str = "shpat_standin"
    products: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    collections: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": gid("Collection", 1), "handle": "mugs", "title": "Mugs",
         "updatedAt": "2024-01-01T00:00:00Z"}])
    throttle_every: int = 0
    """Answer every n-th call with a THROTTLED error (0: never)."""
    fail_from_call: int | None = None
    """From this call on, answer 503 (an outage) until cleared."""
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    revoked: bool = False
    """The token was revoked (the app is uninstalled): every call is answered 401."""

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/admin/api/{version}/graphql.json", self.graphql,
                                       methods=["POST"])])

    async def graphql(self, request: Request) -> JSONResponse:
        if self.revoked or request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse({"errors": "[API] Invalid API key or access token"}, 401)
        body = await request.json()
        query, variables = body["query"], body.get("variables") or {}
        lookup = self._lookup(query, variables)
        if lookup is not None:
            return JSONResponse({"data": lookup})
        resource = re.search(r"\b(products|orders|collections)(Count)?\b", query)
        assert resource is not None, query
        self.calls.append((resource.group(0), variables.get("after")))
        number = len(self.calls)
        if self.fail_from_call is not None and number >= self.fail_from_call:
            return JSONResponse({"errors": "Service Unavailable"}, 503)
        if self.throttle_every and number % self.throttle_every == 0:
            return JSONResponse({
                "errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": 752, "actualQueryCost": None,
                                        "throttleStatus": {"maximumAvailable": MAXIMUM,
                                                           "currentlyAvailable": 666,
                                                           "restoreRate": 50.0}}}})
        name = resource.group(1)
        data = getattr(self, name)
        if resource.group(2):
            payload: dict[str, Any] = {f"{name}Count": {"count": len(data), "precision": "EXACT"}}
        else:
            payload = {name: self._page(data, int(variables["first"]), variables.get("after"))}
        return JSONResponse({"data": payload, "extensions": {"cost": {
            "requestedQueryCost": 12, "actualQueryCost": 6,
            "throttleStatus": {"maximumAvailable": MAXIMUM, "currentlyAvailable": 994,
                               "restoreRate": 50.0}}}})

    def _lookup(self, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        """One record by id (``None`` when gone), or the shop; ``None`` for other queries."""
        found = re.search(r"\b(product|collection)\(id: \$id\)", query)
        if found is not None:
            self.calls.append((found.group(1), variables.get("id")))
            items = self.products if found.group(1) == "product" else self.collections
            match = next((n for n in items if n["id"] == variables.get("id")), None)
            return {found.group(1): None if match is None else {"id": match["id"]}}
        if re.search(r"\bshop\s*\{", query):
            self.calls.append(("shop", None))
            return {"shop": {"id": gid("Shop", 1)}}
        return None

    @staticmethod
    def _page(items: list[dict[str, Any]], first: int, after: str | None) -> dict[str, Any]:
        start = int(base64.b64decode(after).decode().split(":")[1]) + 1 if after else 0
        chunk = items[start:start + first]
        end = start + len(chunk) - 1
        cursor = base64.b64encode(f"cursor:{end}".encode()).decode() if chunk else None
        return {"pageInfo": {"hasNextPage": start + first < len(items), "endCursor": cursor},
                "nodes": chunk}
