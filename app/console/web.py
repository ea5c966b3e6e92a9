"""What every console answer shares: the templates (autoescaped), the headers (a content
policy that allows the console's own files only, no caching, no framing), bounded form
bodies, and the cookies' flags."""

import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.errors import InvalidInput
from app.http.body import BodyTooLarge, read_body
from app.settings import Settings

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
PREFIX = "/admin"
STATIC_PATH = f"{PREFIX}/static"
SESSION_COOKIE = "affinity_console"
LOGIN_COOKIE = "affinity_console_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 200
MAX_FIELD_LENGTH = 8192
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
          "frame-ancestors 'none'")
HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": POLICY}
Form = dict[str, list[str]]


def kpi(value: float | None, unit: str, currency: str = "") -> str:
    """A figure as the console shows it: ``ratio`` in %, ``money`` with the currency,
    ``ms``; ``None`` (no denominator yet) as "no data"."""
    if value is None:
        return "no data"
    if unit == "ratio":
        return f"{100 * value:.1f} %"
    if unit == "money":
        return f"{value:,.2f} {currency}".strip()
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "hours":
        return f"{value:.1f} h"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(
        default_for_string=True, default=True), undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    env.globals["static"] = STATIC_PATH
    env.filters["kpi"] = kpi
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Secure cookies when the page is served over HTTPS or the public URL is HTTPS."""
    public = urlsplit(settings.public_url or "").scheme
    return request.url.scheme == "https" or public == "https"


def page(html: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def set_cookie(response: Response, request: Request, settings: Settings, name: str,
               value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True,
                        samesite="strict", secure=secure_cookies(request, settings))


def drop_cookie(response: Response, request: Request, settings: Settings, name: str) -> None:
    response.delete_cookie(name, path=PREFIX, httponly=True, samesite="strict",
                           secure=secure_cookies(request, settings))


async def read_form(request: Request) -> Form:
    """An ``application/x-www-form-urlencoded`` body, bounded in bytes, fields and length;
    ``InvalidInput`` for anything else."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise InvalidInput("form: expected application/x-www-form-urlencoded")
    try:
        body = await read_body(request.scope, request.receive, MAX_FORM_BYTES)
    except BodyTooLarge as error:
        raise InvalidInput(f"form: larger than {MAX_FORM_BYTES} bytes") from error
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("form: not a form of at most 200 UTF-8 fields") from error
    form: Form = {}
    for name, value in pairs:
        if len(value) > MAX_FIELD_LENGTH:
            raise InvalidInput(f"{name[:40]}: longer than {MAX_FIELD_LENGTH} characters")
        form.setdefault(name, []).append(value)
    return form


def field(form: Form, name: str, default: str = "") -> str:
    return form.get(name, [default])[0].strip()


def number_field(form: Form, name: str, label: str | None = None) -> float | None:
    """The form's finite number ``name`` (None when empty); ``InvalidInput`` naming
    ``label`` (default: the field's name) otherwise."""
    text = field(form, name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(f"{label or name}: expected a number")
    return value


def context(**values: Any) -> dict[str, Any]:
    return values
