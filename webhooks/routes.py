"""``POST /webhooks/{shopify,woocommerce,bigcommerce}``."""

from starlette.routing import BaseRoute

from app.container import Services
from webhooks.ingestion import Ingestion


def webhook_routes(services: Services, ingestion: Ingestion | None = None) -> list[BaseRoute]:
    """The webhook endpoints; pass the app's ``Ingestion`` so stored deliveries wake its
    processor at once (without it, the processor finds them at its next poll)."""
    return (ingestion or Ingestion(services)).routes()
