"""``POST /webhooks/{shopify,woocommerce,bigcommerce}``."""

from starlette.routing import BaseRoute

from webhooks.ingestion import Ingestion


def webhook_routes(ingestion: Ingestion) -> list[BaseRoute]:
    """The webhook endpoints of the app's ``Ingestion``, so that stored deliveries wake its
    processor at once."""
    return ingestion.routes()
