"""The shop's storefront key in an app-data metafield, ``affinity.storefront_key`` on the
app's installation (``currentAppInstallation``), written with ``metafieldsSet``. The theme
app extension's embed reads it as ``app.metafields.affinity.storefront_key``, so the
merchant never copies a key into the theme.

The storefront key is public by design (every storefront request carries it); an app-data
metafield is readable by the app and by its theme extension only, and writable by the app
only. Setting it again (a re-install) overwrites the value in place."""

from typing import Any

from app.errors import AppError
from app.ingestion.protocol import InvalidPayload
from webhooks.payload import Fields
from webhooks.shopify_app.errors import StorefrontKeyFailed
from webhooks.shopify_app.subscriptions import AdminGraphQL
from webhooks.shopify_app.user_errors import in_words, mutation_payload, user_errors

NAMESPACE = "affinity"
KEY = "storefront_key"
TYPE = "single_line_text_field"
INSTALLATION = "query AppInstallation { currentAppInstallation { id } }"
SET = """mutation SetStorefrontKey($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key }
    userErrors { field message code }
  }
}"""


def metafield_input(owner_id: str, storefront_key: str) -> dict[str, Any]:
    """One ``MetafieldsSetInput``: the key on the app's installation."""
    return {"ownerId": owner_id, "namespace": NAMESPACE, "key": KEY, "type": TYPE,
            "value": storefront_key}


async def _installation_id(api: AdminGraphQL) -> str:
    installation = Fields(await api.query(INSTALLATION)).opt_object("currentAppInstallation")
    owner_id = installation.opt_id("id") if installation is not None else None
    if owner_id is None:
        raise StorefrontKeyFailed("Shopify named no installation of the app to hold the "
                                  "storefront key")
    return owner_id


async def write_storefront_key(api: AdminGraphQL, storefront_key: str) -> None:
    """Set the app's ``affinity.storefront_key`` metafield; ``StorefrontKeyFailed``
    (with Shopify's reasons) otherwise."""
    try:
        owner_id = await _installation_id(api)
        data = await api.query(SET, {"metafields": [metafield_input(owner_id, storefront_key)]})
        problems = user_errors(mutation_payload(data, "metafieldsSet"))
    except StorefrontKeyFailed:
        raise
    except (AppError, InvalidPayload) as error:
        raise StorefrontKeyFailed(
            "the storefront key could not be written: "
            + in_words([getattr(error, "message", "no answer")])
        ) from error
    if problems:
        raise StorefrontKeyFailed(
            f"Shopify refused the storefront key metafield: {in_words(problems)}")
