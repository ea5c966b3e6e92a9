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
address, as Shopify does), read back with ``webhookSubscriptions``; it grants the scopes
the authorize page was asked for. ``AppInstallationStandIn`` plays the app's own records on
the shop: app-data metafields (``currentAppInstallation``, ``metafieldsSet``) and the app's
web pixel (``webPixel``, ``webPixelCreate``, ``webPixelUpdate``, the settings checked
against the pixel extension's own ``shopify.extension.toml``). ``shop_app`` serves all of it
under ``/{shop}``, as ``AFFINITY_SHOPIFY_SHOP_URL=http://host:port/{shop}`` expects."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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
PIXEL_EXTENSION = (Path(__file__).resolve().parents[3] / "frontend-snippets" / "shopify-app"
                   / "extensions" / "affinity-pixel" / "shopify.extension.toml")
METAFIELD_TYPES = frozenset({"single_line_text_field", "multi_line_text_field", "json",
                             "boolean", "number_integer", "url"})
"""A part of the metafield types ``metafieldsSet`` accepts."""
DEFAULT_SCOPE = "read_products,read_orders,read_inventory"


def pixel_setting_fields(extension: Path = PIXEL_EXTENSION) -> frozenset[str]:
    """The settings the pixel extension defines (``[settings.fields.*]``): what Shopify
    checks a ``webPixelCreate``'s settings against."""
    with extension.open("rb") as file:
        return frozenset(tomllib.load(file)["settings"]["fields"])


def user_error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


@dataclass
class AppInstallationStandIn:
    """The app's installation on the shop: its app-data metafields and its web pixel."""

    installation_id: str = "gid://shopify/AppInstallation/1"
    metafields: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """``(namespace, key)``: ``{"type", "value"}`` of each app-data metafield set."""
    metafield_writes: int = 0
    refuse_metafields: str | None = None
    """While set, every ``metafieldsSet`` answers this user error."""
    pixel: dict[str, Any] | None = None
    """The app's web pixel on the shop: ``{"id", "settings"}`` (settings parsed)."""
    pixel_creates: int = 0
    pixel_updates: int = 0
    refuse_pixel: str | None = None
    """While set, ``webPixelCreate`` and ``webPixelUpdate`` answer this user error."""
    pixel_fields: frozenset[str] = field(default_factory=pixel_setting_fields)

    def metafield(self, namespace: str, key: str) -> str | None:
        found = self.metafields.get((namespace, key))
        return None if found is None else found["value"]

    def answer(self, query: str, variables: dict[str, Any],
               scope: str) -> dict[str, Any] | None:
        """The answer to one of the installation's operations; ``None`` for other queries."""
        if re.search(r"\bcurrentAppInstallation\s*\{", query):
            return {"data": {"currentAppInstallation": {"id": self.installation_id}}}
        if "metafieldsSet" in query:
            return {"data": {"metafieldsSet": self._set_metafields(variables)}}
        if "webPixelCreate" in query or "webPixelUpdate" in query:
            if not {"write_pixels", "read_customer_events"} <= set(scope.split(",")):
                return {"errors": [{
                    "message": "Access denied for webPixelCreate field. Required access: "
                               "`write_pixels` access scope. Also: The app requires "
                               "read_customer_events access scope.",
                    "extensions": {"code": "ACCESS_DENIED"}}]}
            mutation = "webPixelCreate" if "webPixelCreate" in query else "webPixelUpdate"
            return {"data": {mutation: self._set_pixel(variables, mutation)}}
        if re.search(r"\bwebPixel\s*\{", query):
            if self.pixel is None:
                return {"errors": [{"message": "No web pixel was found for this app.",
                                    "extensions": {"code": "RECORD_NOT_FOUND"}}],
                        "data": {"webPixel": None}}
            return {"data": {"webPixel": self._pixel_node()}}
        return None

    def _set_metafields(self, variables: dict[str, Any]) -> dict[str, Any]:
        inputs = variables.get("metafields") or []
        errors = []
        for index, given in enumerate(inputs):
            where = ["metafields", str(index)]
            if self.refuse_metafields:
                errors.append(user_error(where, self.refuse_metafields, "INVALID"))
            elif given.get("ownerId") != self.installation_id:
                errors.append(user_error([*where, "ownerId"], "Owner does not exist.",
                                         "INVALID_VALUE"))
            elif given.get("type") not in METAFIELD_TYPES:
                errors.append(user_error([*where, "type"], "Type is invalid.", "INVALID_TYPE"))
            elif not str(given.get("value") or "").strip():
                errors.append(user_error([*where, "value"], "Value can't be blank.", "BLANK"))
            elif not 3 <= len(str(given.get("namespace") or "")) <= 255:
                errors.append(user_error([*where, "namespace"], "Namespace is too short.",
                                         "TOO_SHORT"))
        if errors or not inputs:  # all or nothing, as Shopify sets them
            return {"metafields": None, "userErrors": errors or [
                user_error(["metafields"], "Metafields can't be blank.", "BLANK")]}
        set_now = []
        for given in inputs:
            self.metafields[(given["namespace"], given["key"])] = {
                "type": given["type"], "value": str(given["value"])}
            set_now.append({"id": gid("Metafield", len(self.metafields)),
                            "namespace": given["namespace"], "key": given["key"]})
        self.metafield_writes += 1
        return {"metafields": set_now, "userErrors": []}

    def _settings_problem(self, settings: object) -> dict[str, Any] | None:
        try:
            parsed = json.loads(settings) if isinstance(settings, str) else settings
        except ValueError:
            return user_error(["settings"], "Settings is not a valid JSON.",
                              "INVALID_CONFIGURATION_JSON")
        if (not isinstance(parsed, dict) or set(parsed) != self.pixel_fields
                or not all(isinstance(value, str) for value in parsed.values())):
            return user_error(["settings"], "Settings do not match the settings definition "
                                            "of the web pixel extension.", "INVALID_SETTINGS")
        return None

    def _set_pixel(self, variables: dict[str, Any], mutation: str) -> dict[str, Any]:
        settings = (variables.get("webPixel") or {}).get("settings")
        problem = (user_error(["webPixel"], self.refuse_pixel, "UNEXPECTED_ERROR")
                   if self.refuse_pixel else self._settings_problem(settings))
        if problem is None and mutation == "webPixelCreate" and self.pixel is not None:
            problem = user_error([], "Web pixel is taken.", "TAKEN")
        if problem is None and mutation == "webPixelUpdate" and (
                self.pixel is None or variables.get("id") != self.pixel["id"]):
            problem = user_error(["id"], "Web pixel not found.", "NOT_FOUND")
        if problem is not None:
            return {"webPixel": None, "userErrors": [problem]}
        assert isinstance(settings, str)
        if mutation == "webPixelCreate":
            self.pixel_creates += 1
            self.pixel = {"id": gid("WebPixel", self.pixel_creates), "settings": {}}
        else:
            self.pixel_updates += 1
        assert self.pixel is not None
        self.pixel["settings"] = json.loads(settings)
        return {"webPixel": self._pixel_node(), "userErrors": []}

    def _pixel_node(self) -> dict[str, Any]:
        assert self.pixel is not None
        return {"id": self.pixel["id"], "settings": json.dumps(self.pixel["settings"])}


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
    requested_scopes: dict[str, str] = field(default_factory=dict)
    """The scope each shop's authorize page was asked for: what its next token grants."""
    granted_scope: str = DEFAULT_SCOPE
    installation: AppInstallationStandIn = field(default_factory=AppInstallationStandIn)

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
        scope = request.query_params.get("scope")
        if scope:
            self.requested_scopes[request.path_params["shop"]] = scope
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
        self.granted_scope = self.requested_scopes.get(shop, DEFAULT_SCOPE)
        return JSONResponse({"access_token": self.token, "scope": self.granted_scope})

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
        installation = self.installation.answer(query, variables, self.granted_scope)
        if installation is not None:
            return JSONResponse(installation)
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
