"""Turning the shop's Web Pixel on: Affinity's pixel extension runs on a shop only once the
app has created its web pixel there (``webPixelCreate``), with settings that match the
extension's ``shopify.extension.toml``. A shop has at most one pixel per app, so a
re-install updates the one it has (``webPixelUpdate``) instead of creating a second.

The pixel's only setting, ``collectUrl``, is left empty: events then go to the shop's app
proxy (``https://<storefront>/apps/affinity/collect``), same-origin and signed by Shopify."""

import json
from dataclasses import dataclass
from typing import Any

from app.errors import AppError
from app.ingestion.protocol import InvalidPayload
from webhooks.backfill.shopify_admin import AccessRevokedError, ShopifyAdminError
from webhooks.payload import Fields
from webhooks.shopify_app.errors import PixelActivationFailed
from webhooks.shopify_app.subscriptions import AdminGraphQL
from webhooks.shopify_app.user_errors import in_words, mutation_payload, user_errors

PIXEL_SETTINGS: dict[str, str] = {"collectUrl": ""}
"""The pixel's settings, one value per field of ``[settings.fields]`` in the extension."""

FIND = "query AppWebPixel { webPixel { id } }"
CREATE = """mutation ActivatePixel($webPixel: WebPixelInput!) {
  webPixelCreate(webPixel: $webPixel) {
    webPixel { id }
    userErrors { field message code }
  }
}"""
UPDATE = """mutation UpdatePixel($id: ID!, $webPixel: WebPixelInput!) {
  webPixelUpdate(id: $id, webPixel: $webPixel) {
    webPixel { id }
    userErrors { field message code }
  }
}"""


@dataclass(frozen=True)
class PixelActivated:
    pixel_id: str
    created: bool
    """Created by this install (``False``: the shop's pixel was updated)."""


def pixel_input(settings: dict[str, str] = PIXEL_SETTINGS) -> dict[str, Any]:
    """A ``WebPixelInput``: the settings as one JSON string, as the API takes them."""
    return {"settings": json.dumps(settings, separators=(",", ":"))}


async def _existing_pixel(api: AdminGraphQL) -> str | None:
    """The id of the app's pixel on the shop, ``None`` when it has none. Shopify answers
    the query with an error (not a null) when there is none; any other failure shows
    again in the mutation that follows, except a revoked token, which stops here."""
    try:
        data = await api.query(FIND)
    except AccessRevokedError:
        raise
    except ShopifyAdminError:
        return None
    found = Fields(data).opt_object("webPixel")
    return found.opt_id("id") if found is not None else None


async def _set(api: AdminGraphQL, existing: str | None) -> PixelActivated:
    mutation = "webPixelCreate" if existing is None else "webPixelUpdate"
    variables: dict[str, Any] = {"webPixel": pixel_input()}
    if existing is not None:
        variables["id"] = existing
    payload = mutation_payload(await api.query(CREATE if existing is None else UPDATE,
                                               variables), mutation)
    problems = user_errors(payload)
    pixel = payload.opt_object("webPixel") if payload is not None else None
    pixel_id = pixel.opt_id("id") if pixel is not None else None
    if problems or pixel_id is None:
        raise PixelActivationFailed(
            f"Shopify refused to turn the Web Pixel on: {in_words(problems or ['no pixel'])}")
    return PixelActivated(pixel_id, created=existing is None)


async def activate_pixel(api: AdminGraphQL) -> PixelActivated:
    """Create the app's pixel on the shop, or update the one it has;
    ``PixelActivationFailed`` (with Shopify's reasons) otherwise."""
    try:
        return await _set(api, await _existing_pixel(api))
    except PixelActivationFailed:
        raise
    except (AppError, InvalidPayload) as error:
        raise PixelActivationFailed(
            "the Web Pixel could not be turned on: "
            + in_words([getattr(error, "message", "no answer")])
        ) from error
