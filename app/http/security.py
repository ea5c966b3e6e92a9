"""What every answer of the server says to browsers, and which host names it answers to.

Every answer forbids MIME sniffing, referrers and framing; the API answers carry a
Content-Security-Policy that allows nothing (JSON is never a document), the demo pages
one that allows their own scripts, styles and images only. GraphiQL (demo mode only)
loads its scripts from a CDN, so its page gets no content policy beyond framing.

The console embedded in the Shopify admin is the one page that may be framed, and only
by the shop's own admin (``embedded_console_policy``): an answer whose own policy names
frame ancestors gets no ``X-Frame-Options: DENY``, which would forbid what it allows.

Host names are checked against the configured list, never taken from the request: a page
on another domain that rebinds its DNS to this server still sends its own Host."""

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DEMO_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")
PAGE_POLICY = "frame-ancestors 'none'"
COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
WILDCARD_ADDRESSES = {"0.0.0.0", "::", ""}
APP_BRIDGE_SCRIPT = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
SHOPIFY_ADMIN = "https://admin.shopify.com"


def embedded_console_policy(shop_domain: str, script_nonce: str) -> str:
    """The console's own policy, plus App Bridge's script and one inline script of this
    answer, framed only by the shop's admin (``shop_domain``: a checked myshopify.com
    domain)."""
    return ("default-src 'none'; "
            f"script-src 'self' {APP_BRIDGE_SCRIPT} 'nonce-{script_nonce}'; "
            "style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
            "form-action 'self'; base-uri 'none'; "
            f"frame-ancestors https://{shop_domain} {SHOPIFY_ADMIN}")


def _allows_framing(policy: str) -> bool:
    for directive in policy.split(";"):
        name, _, sources = directive.strip().partition(" ")
        if name.lower() == "frame-ancestors":
            return sources.strip() != "'none'"
    return False


def content_policy(path: str, content_type: str) -> str:
    if path == "/demo" or path.startswith("/demo/"):
        return DEMO_POLICY
    if content_type.startswith("text/html"):
        return PAGE_POLICY
    return API_POLICY


class SecurityHeaders:
    """Adds the headers above to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                policy = headers.setdefault("content-security-policy",
                                            content_policy(path, headers.get("content-type", "")))
                for name, value in COMMON.items():
                    if name != "x-frame-options" or not _allows_framing(policy):
                        headers.setdefault(name, value)
            await send(message)

        await self._app(scope, receive, send_with_headers)


def trusted_hosts(allowed_hosts: list[str], host: str, public_url: str | None) -> list[str]:
    """The host names to answer to: the configured ones, the public URL's, and the
    listening address unless it is a wildcard."""
    hosts = list(allowed_hosts)
    if host not in WILDCARD_ADDRESSES:
        hosts.append(host)
    if public_url:
        hosts.append(urlsplit(public_url).hostname or "")
    return sorted({h.strip().lower() for h in hosts if h.strip()})


def own_origins(host: str, port: int, public_url: str | None) -> frozenset[str]:
    """The origins of pages this server serves, from the settings (never from the request)."""
    if public_url:
        parts = urlsplit(public_url)
        return frozenset({f"{parts.scheme}://{parts.netloc}".lower()})
    names = {"127.0.0.1", "localhost"} | ({host} if host not in WILDCARD_ADDRESSES else set())
    return frozenset(f"http://{name}:{port}" for name in names)
