"""The gate in front of every console page: a live session (else a redirect to the log-in
page), its admin token still the shop's (a rotated token ends every session opened with
it), and on a POST the session's CSRF token (else 403, before anything runs)."""

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from app.admin.auth import AdminAuth
from app.console.sessions import ConsoleSession, SessionStore
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
from app.settings import Settings
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import transaction

LOGIN_PATH = f"{PREFIX}/login"


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

    async def token_still_valid(self, session: ConsoleSession) -> bool:
        async with transaction(self.database) as db:
            found = await db.scalar(select(Shop.id).where(
                Shop.id == session.shop.id, Shop.admin_token_hash == session.token_digest,
                Shop.status == SHOP_ACTIVE))
        return found is not None


@dataclass(frozen=True)
class Signed:
    """A request of a signed-in merchant: the session and, on a POST, the form."""

    session_id: str
    session: ConsoleSession
    form: Form = dataclasses.field(default_factory=dict)

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


def guarded(console: Console, handler: Handler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
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
