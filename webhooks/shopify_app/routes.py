"""``GET /shopify/install`` and ``GET /shopify/callback``, on when the app is configured
(``ShopifyAppConfig.from_settings``), absent (404) otherwise."""

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.errors import AppError, Conflict, InvalidInput, Unauthorized
from webhooks.shopify_app import pages
from webhooks.shopify_app.callback_hmac import MAX_PARAMETERS, MAX_QUERY_CHARS
from webhooks.shopify_app.domains import shop_domain
from webhooks.shopify_app.errors import InstallStepFailed
from webhooks.shopify_app.installer import ShopifyInstaller

INSTALL_PATH = "/shopify/install"
CALLBACK_PATH = "/shopify/callback"
Endpoint = Callable[[Request], Awaitable[Response]]


def _query(request: Request) -> list[tuple[str, str]]:
    raw = request.url.query
    if len(raw) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is longer than {MAX_QUERY_CHARS} characters")
    try:
        return parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_PARAMETERS,
                         strict_parsing=False)
    except ValueError as error:
        raise InvalidInput(f"the query has more than {MAX_PARAMETERS} parameters") from error


def _install_again(shop: str | None) -> str:
    try:
        return f"{INSTALL_PATH}?{urlencode({'shop': shop_domain(shop)})}"
    except InvalidInput:
        return INSTALL_PATH


def install_endpoint(installer: ShopifyInstaller) -> Endpoint:
    async def install(request: Request) -> Response:
        try:
            query = dict(_query(request))
            url = installer.authorize_url(query.get("shop"))
        except InvalidInput as bad:
            return pages.refused(400, bad.message)
        return RedirectResponse(url, 302, headers=pages.HEADERS)

    return install


def callback_endpoint(installer: ShopifyInstaller) -> Endpoint:
    async def callback(request: Request) -> Response:
        try:
            query = _query(request)
            done = await installer.complete(query)
        except Unauthorized as denied:
            return pages.refused(401, denied.message)
        except InvalidInput as bad:
            return pages.refused(400, bad.message)
        except Conflict as taken:
            return pages.refused(409, taken.message)
        except InstallStepFailed as failed:
            return pages.step_failed(failed.step, failed.message,
                                     _install_again(dict(query).get("shop")))
        except AppError as failed:
            return pages.step_failed("install", failed.message,
                                     _install_again(dict(query).get("shop")))
        config = installer.config
        return pages.installed(done, config.shop_url(done.domain), config.api_key,
                               config.embedded_url(done.domain))

    return callback


def shopify_app_routes(installer: ShopifyInstaller | None) -> list[BaseRoute]:
    """The install's routes; none without an installer (the app is not configured)."""
    if installer is None:
        return []
    return [
        Route(INSTALL_PATH, install_endpoint(installer), methods=["GET"], name="shopify_install"),
        Route(CALLBACK_PATH, callback_endpoint(installer), methods=["GET"],
              name="shopify_callback"),
    ]
