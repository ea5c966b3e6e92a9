"""The gate in front of every console page: a live session (else a redirect to the log-in
page), its admin token still the shop's (a rotated token ends every session opened with
it), and on a POST the session's CSRF token (else 403, before anything runs).

Embedded in the Shopify admin (the app's API key and secret set), a request may instead
carry an App Bridge session token (``Authorization: Bearer``, or ``id_token`` in the query
of the admin's first load): it opens its shop for that request alone, and needs no CSRF
token since no browser sends it by itself. Such pages load App Bridge and may be framed
by the shop's admin only; a page opened with ``embedded=1`` and no token yet answers with
App Bridge, which fetches the page again with a token."""

import dataclasses
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from app.admin.auth import AdminAuth, AdminShop
from app.console.sessions import (
    SHOP_HOST,
    ConsoleSession,
    InvalidSessionToken,
    SessionStore,
    verify_session_token,
)
from app.console.web import (
    CSRF_FIELD,
    CSRF_HEADER,
    PREFIX,
    SESSION_COOKIE,
    Form,
    field,
    is_htmx,
    page,
    read_form,
    redirect,
)
from app.errors import InvalidInput
from app.http.security import embedded_console_policy
from app.settings import Settings
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import transaction

LOGIN_PATH = f"{PREFIX}/login"
BEARER = "bearer "
SHOP_DOMAIN_CHARS = 255


@dataclass(frozen=True)
class Embedded:
    """What a page inside the Shopify admin needs: the app's key for App Bridge, the
    shop whose admin may frame it, and this answer's script nonce."""

    api_key: str
    shop: str
    nonce: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(18))

    def apply(self, response: Response) -> Response:
        response.headers["Content-Security-Policy"] = embedded_console_policy(self.shop,
                                                                              self.nonce)
        return response


@dataclass
class Console:
    """What the console's handlers share; one per app."""

    database: async_sessionmaker[AsyncSession]
    settings: Settings
    auth: AdminAuth
    store: SessionStore
    env: Environment

    def render(self, name: str, status_code: int = 200, **values: Any) -> Response:
        return page(self.env.get_template(name).render(**values), status_code)

    @property
    def app_credentials(self) -> tuple[str, str] | None:
        return app_credentials(self.settings)

    async def shop_of_session_token(self, token: str) -> AdminShop | None:
        return await shop_of_session_token(self.database, self.settings, token)

    async def token_still_valid(self, session: ConsoleSession) -> bool:
        async with transaction(self.database) as db:
            found = await db.scalar(select(Shop.id).where(
                Shop.id == session.shop.id, Shop.admin_token_hash == session.token_digest,
                Shop.status == SHOP_ACTIVE))
        return found is not None


def app_credentials(settings: Settings) -> tuple[str, str] | None:
    """The Shopify app's API key and secret, when the console may be embedded."""
    secret = settings.shopify_api_secret
    if not settings.shopify_api_key or secret is None:
        return None
    return settings.shopify_api_key, secret.get_secret_value()


async def shop_of_session_token(database: async_sessionmaker[AsyncSession], settings: Settings,
                                token: str) -> AdminShop | None:
    """The active shop an App Bridge session token names, ``None`` for a bad token (also
    what the admin API accepts, when the composition root hands it this check)."""
    credentials = app_credentials(settings)
    if credentials is None:
        return None
    try:
        claims = verify_session_token(token, *credentials, now=time.time())
    except InvalidSessionToken:
        return None
    async with transaction(database) as db:
        shop = await db.scalar(select(Shop).where(Shop.domain == claims.shop,
                                                  Shop.status == SHOP_ACTIVE))
        return None if shop is None else AdminShop(shop.id, shop.domain, shop.currency)


@dataclass(frozen=True)
class Signed:
    """A request of a signed-in merchant: the session and, on a POST, the form."""

    session_id: str
    session: ConsoleSession
    form: Form = dataclasses.field(default_factory=dict)
    embedded: Embedded | None = None
    """Set when the page is shown inside the Shopify admin."""

    @property
    def shop_id(self) -> int:
        return self.session.shop.id


Handler = Callable[[Request, Signed], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def to_login(request: Request) -> Response:
    if is_htmx(request):  # htmx follows the header with a full page load
        return Response(status_code=204, headers={"HX-Redirect": LOGIN_PATH})
    return redirect(LOGIN_PATH)


def forbidden(console: Console) -> Response:
    return console.render("error.html", 403, title="Forbidden", message=(
        "This change did not carry the page's security token, so nothing was changed. "
        "Reload the page and try again."))


async def _checked_form(request: Request, session: ConsoleSession) -> Form | None:
    """The POST's form when its CSRF token (header or field) is the session's, else None."""
    header = request.headers.get(CSRF_HEADER)
    try:
        form = await read_form(request)
    except InvalidInput:
        if session.csrf_matches(header):
            raise
        return None
    return form if session.csrf_matches(header or field(form, CSRF_FIELD)) else None


def _session_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:len(BEARER)].lower() == BEARER:
        return header[len(BEARER):].strip() or None
    if request.method in ("GET", "HEAD") and request.query_params.get("embedded") == "1":
        return request.query_params.get("id_token") or None
    return None


def _embedding_shop(request: Request) -> str | None:
    """The shop of a first load inside its admin (``embedded=1&shop=...``), if well formed."""
    shop = request.query_params.get("shop", "").strip().lower()
    if (request.method not in ("GET", "HEAD") or request.query_params.get("embedded") != "1"
            or len(shop) > SHOP_DOMAIN_CHARS or SHOP_HOST.fullmatch(shop) is None):
        return None
    return shop


def not_signed_in(console: Console) -> Response:
    return console.render("error.html", 401, title="Not signed in", message=(
        "Shopify's session for this page ended or is not this app's. Reload the page "
        "from the Shopify admin."))


async def _embedded(console: Console, handler: Handler, request: Request,
                    token: str) -> Response:
    """A request carrying an App Bridge session token: its shop, for this request."""
    credentials = console.app_credentials
    assert credentials is not None
    shop = await console.shop_of_session_token(token)
    if shop is None:
        return not_signed_in(console)
    form: Form = {}
    if request.method == "POST":
        try:
            form = await read_form(request)
        except InvalidInput as refused:
            return console.render("error.html", 400, title="Bad request", message=refused.message)
    now = time.monotonic()
    session = ConsoleSession(shop, "", secrets.token_urlsafe(32), now, now)
    embedded = Embedded(credentials[0], shop.domain)
    return embedded.apply(await handler(request, Signed("", session, form, embedded)))


def _bounce(console: Console, request: Request, shop: str) -> Response:
    """App Bridge and nothing else: it fetches this page again with a session token."""
    credentials = console.app_credentials
    assert credentials is not None
    embedded = Embedded(credentials[0], shop)
    return embedded.apply(console.render("base.html", title="Loading", bounce=request.url.path,
                                         embedded=embedded))


def guarded(console: Console, handler: Handler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if console.app_credentials is not None:
            token = _session_token(request)
            if token is not None:
                response = await _embedded(console, handler, request, token)
                shop = _embedding_shop(request)
                if response.status_code != 401 or shop is None or is_htmx(request):
                    return response
                return _bounce(console, request, shop)  # a stale token of the first load
            shop = _embedding_shop(request)
            if shop is not None:
                return _bounce(console, request, shop)
        session_id = request.cookies.get(SESSION_COOKIE, "")
        current = console.store.find(session_id)
        if current is not None and not await console.token_still_valid(current):
            console.store.close_shop(current.shop.id)
            current = None
        if current is None:
            return to_login(request)
        form: Form = {}
        if request.method == "POST":
            try:
                checked = await _checked_form(request, current)
            except InvalidInput as refused:
                return console.render("error.html", 400, title="Bad request",
                                      message=refused.message)
            if checked is None:
                return forbidden(console)
            form = checked
        return await handler(request, Signed(session_id, current, form))

    return endpoint
