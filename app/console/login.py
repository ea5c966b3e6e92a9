"""Log-in with the shop's admin token, and log-out.

The token is checked exactly as the admin API checks it (``AdminAuth``: the same lookup and
the same failed-attempt limit per client address, shared with ``/admin/graphql`` when the
app passes one ``AdminAuth`` to both). The log-in form carries a random value also set as a
cookie (double submit), so that another site cannot log a browser into its own shop."""

import secrets

from starlette.requests import Request
from starlette.responses import Response

from app.console.guard import LOGIN_PATH, Console, Signed, forbidden
from app.console.sessions import LIFETIME_SECONDS
from app.console.web import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    drop_cookie,
    field,
    read_form,
    redirect,
    set_cookie,
)
from app.errors import InvalidInput, RateLimited
from app.shops.service import hash_token

HOME_PATH = f"{PREFIX}/overview"
LOGIN_FIELD = "login_token"
LOGIN_COOKIE_SECONDS = 30 * 60
MAX_TOKEN_CHARS = 256


def _with_bearer(request: Request, token: str) -> dict[str, object]:
    """The request's scope with the token as its ``Authorization`` header, so that the
    admin API's own check (and limiter) judges it."""
    value = ("Bearer " + token[:MAX_TOKEN_CHARS]).encode("latin-1", "replace")
    return {**request.scope, "headers": [(b"authorization", value)]}


def _login_page(console: Console, request: Request, status_code: int = 200,
                error: str | None = None) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = console.render("login.html", status_code, login_token=nonce, error=error,
                              title="Log in")
    set_cookie(response, request, console.settings, LOGIN_COOKIE, nonce, LOGIN_COOKIE_SECONDS)
    return response


async def show_login(console: Console, request: Request) -> Response:
    if console.store.find(request.cookies.get(SESSION_COOKIE)) is not None:
        return redirect(HOME_PATH)
    return _login_page(console, request)


async def log_in(console: Console, request: Request) -> Response:
    try:
        form = await read_form(request)
    except InvalidInput as refused:
        return _login_page(console, request, 400, refused.message)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    sent = field(form, LOGIN_FIELD)
    if not nonce or not secrets.compare_digest(nonce.encode(), sent.encode()):
        return forbidden(console)
    token = field(form, "token")
    try:
        shop = await console.auth.shop_for(_with_bearer(request, token))
    except RateLimited as limited:
        response = _login_page(console, request, 429, (
            f"Too many failed log-ins from this address: try again in {limited.retry_after} s."))
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    if shop is None:
        return _login_page(console, request, 401, "That admin token opens no shop here.")
    session_id, _ = console.store.open(shop, hash_token(token))
    response = redirect(HOME_PATH)
    set_cookie(response, request, console.settings, SESSION_COOKIE, session_id,
               LIFETIME_SECONDS)
    drop_cookie(response, request, console.settings, LOGIN_COOKIE)
    return response


async def log_out(console: Console, request: Request, signed: Signed) -> Response:
    console.store.close(signed.session_id)
    response = redirect(LOGIN_PATH)
    drop_cookie(response, request, console.settings, SESSION_COOKIE)
    return response
