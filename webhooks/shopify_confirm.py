"""Destructive Shopify deliveries confirmed through the Admin API before they are applied.

The topic header is not signed, and a body whose shape fits a destructive topic can
still be replayed (an ``orders/delete`` body is ``{"id": ...}`` like a ``products/delete``
one; a ``shop/update`` body is the shop like an ``app/uninstalled`` one). When the shop
has an Admin API token, the inbox processor (off the request path) asks Shopify:

- ``products/delete``, ``collections/delete``: the record is gone;
- ``app/uninstalled``, ``shop/redact``: the shop's token no longer works (Shopify revokes
  it when the app is uninstalled, and ``shop/redact`` comes 48 hours after that).

A delete that Shopify contradicts raises ``Unconfirmed``: the delivery is retried with
back-off (the platform may lag a moment) and parked as failed after the last try, so it
shows in the inbox counts. ``customers/redact`` cannot be confirmed (Shopify exposes no
redaction requests); its shape check is all there is. Without a token the shape checks
alone apply."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from app.ingestion.protocol import PlatformUnavailable, Unconfirmed
from webhooks.backfill.shopify_admin import AccessRevokedError
from webhooks.payload import Fields

PRODUCT_QUERY = "query ConfirmProductGone($id: ID!) { product(id: $id) { id } }"
COLLECTION_QUERY = "query ConfirmCollectionGone($id: ID!) { collection(id: $id) { id } }"
SHOP_QUERY = "query ConfirmAccessRevoked { shop { id } }"


class AdminApi(Protocol):
    async def query(self, query: str, variables: dict[str, Any] | None = None
                    ) -> dict[str, Any]: ...


Confirmation = Callable[[AdminApi, Fields], Awaitable[None]]


async def _ask(api: AdminApi, query: str, variables: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    try:
        return await api.query(query, variables)
    except AccessRevokedError:
        raise
    except Exception as exc:
        raise PlatformUnavailable(f"Shopify Admin API: {type(exc).__name__}") from exc


def _gone(query: str, kind: str, field: str) -> Confirmation:
    async def confirm(api: AdminApi, body: Fields) -> None:
        try:
            data = await _ask(api, query, {"id": f"gid://shopify/{kind}/{body.id()}"})
        except AccessRevokedError:
            return  # the app is uninstalled: nothing of the shop will be served
        if data.get(field) is not None:
            raise Unconfirmed(f"Shopify still has this {field}")
    return confirm


async def _access_revoked(api: AdminApi, _: Fields) -> None:
    try:
        await _ask(api, SHOP_QUERY)
    except AccessRevokedError:
        return
    raise Unconfirmed("the shop's Admin API token still works: the app is installed")


CONFIRMATIONS: dict[str, Confirmation] = {
    "products/delete": _gone(PRODUCT_QUERY, "Product", "product"),
    "collections/delete": _gone(COLLECTION_QUERY, "Collection", "collection"),
    "app/uninstalled": _access_revoked,
    "shop/redact": _access_revoked,
}


async def confirm(topic: str, api: AdminApi, body: Fields) -> None:
    """Raise ``Unconfirmed`` unless Shopify agrees with a destructive delivery."""
    check = CONFIRMATIONS.get(topic)
    if check is not None:
        await check(api, body)
