"""A local stand-in for the Shopify Admin GraphQL API: the documented request (POST
``/admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``) and response
shapes (connections with ``pageInfo`` and ``nodes``, ``extensions.cost``, ``THROTTLED``
errors), over an in-memory shop. Only the queries the backfill sends, and the lookups
that confirm destructive webhooks (``product(id:)``, ``collection(id:)``, ``shop``), are
understood. ``revoked`` answers 401 to every call, as Shopify does once the app is
uninstalled.

For the app's install it also plays Shopify's side of the OAuth authorization-code grant
(``POST /admin/oauth/access_token`` with ``client_id``, ``client_secret`` and ``code``,
answered with ``access_token`` and ``scope``; a code works once) and keeps the webhook
subscriptions made with ``webhookSubscriptionCreate`` (refusing a topic outside the
``WebhookSubscriptionTopic`` enum, and a second subscription of a topic to the same
address, as Shopify does), read back with ``webhookSubscriptions``. ``shop_app`` serves
all of it under ``/{shop}``, as ``AFFINITY_SHOPIFY_SHOP_URL=http://host:port/{shop}``
expects."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

MAXIMUM = 1000.0
SUBSCRIBABLE_TOPICS = frozenset({
    "APP_UNINSTALLED", "COLLECTIONS_CREATE", "COLLECTIONS_DELETE", "COLLECTIONS_UPDATE",
    "INVENTORY_ITEMS_CREATE", "INVENTORY_ITEMS_DELETE", "INVENTORY_ITEMS_UPDATE",
    "INVENTORY_LEVELS_CONNECT", "INVENTORY_LEVELS_DISCONNECT", "INVENTORY_LEVELS_UPDATE",
    "ORDERS_CANCELLED", "ORDERS_CREATE", "ORDERS_DELETE", "ORDERS_EDITED", "ORDERS_FULFILLED",
    "ORDERS_PAID", "ORDERS_PARTIALLY_FULFILLED", "ORDERS_UPDATED", "PRODUCTS_CREATE",
    "PRODUCTS_DELETE", "PRODUCTS_UPDATE", "REFUNDS_CREATE", "SHOP_UPDATE",
})
"""Values of the ``WebhookSubscriptionTopic`` enum (a part of it); the compliance topics
are not among them: they are set in the app's configuration, never through the API."""


def signed_query(secret: str, **params: str) -> str:
    """A query string signed as Shopify signs its redirects to an app: the hex
    HMAC-SHA256 of the other parameters sorted and joined as ``name=value`` with ``&``."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**params, "hmac": digest})


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
    api_key: str = "standin-api-key"
    api_secret: str = "standin-api-secret"
    codes: dict[str, str] = field(default_factory=dict)
    """Authorization codes handed out and not yet exchanged, with their shop."""
    exchanges: int = 0
    fail_exchanges: int = 0
    """Answer this many next token exchanges with 500, as an outage would."""
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    refuse_subscriptions: str | None = None
    """While set, every ``webhookSubscriptionCreate`` answers this user error."""
    failing_pages: bool = False
    """While set, the backfill's queries (counts and pages) answer a GraphQL error."""

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/admin/api/{version}/graphql.json", self.graphql,
                                       methods=["POST"])])

    def shop_app(self) -> Starlette:
        """Everything under ``/{shop}``: the Admin API, the authorize page, the token."""
        return Starlette(routes=[
            Route("/{shop}/admin/api/{version}/graphql.json", self.graphql, methods=["POST"]),
            Route("/{shop}/admin/oauth/authorize", self.authorize_page, methods=["GET"]),
            Route("/{shop}/admin/oauth/access_token", self.access_token, methods=["POST"]),
        ])

    def approve(self, shop: str) -> str:
        """The merchant approves the install: a code for the shop, good for one exchange."""
        code = secrets.token_hex(16)
        self.codes[code] = shop
        return code

    def callback_query(self, shop: str, state: str, code: str | None = None,
                       secret: str | None = None) -> str:
        """The query Shopify sends to the app's redirect URI after the approval."""
        return signed_query(secret or self.api_secret, code=code or self.approve(shop),
                            host=base64.b64encode(f"admin.shopify.com/store/{shop}".encode())
                            .decode().rstrip("="),
                            shop=shop, state=state, timestamp="1700000000")

    async def authorize_page(self, request: Request) -> Response:
        return HTMLResponse("<h1>Install the app?</h1>")

    async def access_token(self, request: Request) -> Response:
        kind = request.headers.get("content-type", "")
        raw = await request.body()
        form = (json.loads(raw) if kind.startswith("application/json")
                else dict(re.findall(r"([^&=]+)=([^&]*)", raw.decode())))
        if self.fail_exchanges > 0:
            self.fail_exchanges -= 1
            return JSONResponse({"errors": "Internal Server Error"}, 500)
        shop = self.codes.pop(str(form.get("code")), None)
        if (form.get("client_id") != self.api_key or form.get("client_secret") != self.api_secret
                or shop is None or shop != request.path_params["shop"]):
            return JSONResponse({"error": "invalid_request", "error_description":
                                 "The authorization code was not found or was already used"}, 400)
        self.exchanges += 1
        self.token = f"shpat_{secrets.token_hex(12)}"  # the new token replaces the old
        return JSONResponse({"access_token": self.token,
                             "scope": "read_products,read_orders,read_inventory"})

    def subscribed(self) -> dict[str, str]:
        """Each subscribed topic with its callback URL."""
        return {s["topic"]: s["endpoint"]["callbackUrl"] for s in self.subscriptions}

    async def graphql(self, request: Request) -> JSONResponse:
        if self.revoked or request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse({"errors": "[API] Invalid API key or access token"}, 401)
        body = await request.json()
        query, variables = body["query"], body.get("variables") or {}
        lookup = self._lookup(query, variables)
        if lookup is not None:
            return JSONResponse({"data": lookup})
        if "webhookSubscriptionCreate" in query:
            return self._subscribe(variables)
        if re.search(r"\bwebhookSubscriptions\s*\(", query):
            return JSONResponse({"data": {"webhookSubscriptions": {
                "nodes": self.subscriptions[:int(variables.get("first", 50))],
                "pageInfo": {"hasNextPage": False, "endCursor": None}}}})
        resource = re.search(r"\b(products|orders|collections)(Count)?\b", query)
        assert resource is not None, query
        if self.failing_pages:
            return JSONResponse({"errors": [{"message": "Internal error. Looks like "
                                             "something went wrong on our end."}]})
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

    def _subscribe(self, variables: dict[str, Any]) -> JSONResponse:
        topic = variables.get("topic")
        if topic not in SUBSCRIBABLE_TOPICS:
            return JSONResponse({"errors": [{
                "message": "Variable $topic of type WebhookSubscriptionTopic! was provided "
                           "invalid value", "extensions": {"code": "INVALID_VARIABLE"}}]})
        address = (variables.get("webhookSubscription") or {}).get("callbackUrl")
        errors = []
        if self.refuse_subscriptions:
            errors.append({"field": ["webhookSubscription"], "message": self.refuse_subscriptions})
        elif any(s["topic"] == topic and s["endpoint"]["callbackUrl"] == address
                 for s in self.subscriptions):
            errors.append({"field": ["webhookSubscription", "callbackUrl"],
                           "message": "Address for this topic has already been taken"})
        if errors:
            return JSONResponse({"data": {"webhookSubscriptionCreate": {
                "webhookSubscription": None, "userErrors": errors}}})
        created = {"id": gid("WebhookSubscription", len(self.subscriptions) + 1), "topic": topic,
                   "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": address}}
        self.subscriptions.append(created)
        return JSONResponse({"data": {"webhookSubscriptionCreate": {
            "webhookSubscription": {"id": created["id"], "topic": topic}, "userErrors": []}}})

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


@contextmanager
def serve_standin(standin: StandIn) -> Iterator[str]:
    """``standin.shop_app()`` over real HTTP on 127.0.0.1; its base URL."""
    server = uvicorn.Server(uvicorn.Config(standin.shop_app(), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the stand-in did not start"
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
