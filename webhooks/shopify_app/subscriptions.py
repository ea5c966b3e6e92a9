"""Every topic the Shopify adapter handles, subscribed through the Admin GraphQL API
(``webhookSubscriptionCreate``) with the receiver's address as the callback.

The subscriptions the shop already has for that address are read first and kept, so an
install run again creates only what is missing. The mandatory compliance topics
(``customers/data_request``, ``customers/redact``, ``shop/redact``) cannot be subscribed
through the API: Shopify sends them to the addresses set in the app's configuration."""

from collections.abc import Sequence
from typing import Any, Protocol

from app.errors import AppError
from app.ingestion.protocol import InvalidPayload
from webhooks.payload import Fields
from webhooks.shopify import NORMALIZERS
from webhooks.shopify_app.errors import WebhookRegistrationFailed

WEBHOOK_PATH = "/webhooks/shopify"
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
SUBSCRIBED_TOPICS = tuple(topic for topic in NORMALIZERS if topic not in COMPLIANCE_TOPICS)

EXISTING = """query Subscriptions($first: Int!) {
  webhookSubscriptions(first: $first) {
    nodes { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
  }
}"""
CREATE = """mutation Subscribe($topic: WebhookSubscriptionTopic!,
                           $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}"""


class AdminGraphQL(Protocol):
    async def query(self, query: str,
                    variables: dict[str, Any] | None = None) -> dict[str, Any]: ...


def topic_enum(topic: str) -> str:
    """``products/create`` as the API's ``WebhookSubscriptionTopic``: ``PRODUCTS_CREATE``."""
    return topic.replace("/", "_").upper()


def callback_url(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


async def _subscribed(api: AdminGraphQL, address: str) -> set[str]:
    data = Fields(await api.query(EXISTING, {"first": 250}))
    found = data.opt_object("webhookSubscriptions")
    subscribed: set[str] = set()
    for node in found.objects("nodes") if found is not None else []:
        endpoint = node.opt_object("endpoint")
        if endpoint is not None and endpoint.opt_text("callbackUrl") == address:
            subscribed.add(node.opt_text("topic") or "")
    return subscribed


async def _create(api: AdminGraphQL, topic: str, address: str) -> None:
    data = Fields(await api.query(CREATE, {
        "topic": topic_enum(topic),
        "webhookSubscription": {"callbackUrl": address, "format": "JSON"}}))
    created = data.opt_object("webhookSubscriptionCreate")
    problems = [e.opt_text("message") or "refused" for e in created.objects("userErrors")] \
        if created is not None else ["no answer"]
    if problems:
        raise WebhookRegistrationFailed(
            f"Shopify refused the {topic} webhook: {'; '.join(problems)[:300]}")


async def register_webhooks(api: AdminGraphQL, public_url: str,
                            topics: Sequence[str] = SUBSCRIBED_TOPICS) -> list[str]:
    """Subscribe every topic not yet subscribed at the receiver's address; the topics
    created. ``WebhookRegistrationFailed`` names the first that failed."""
    address = callback_url(public_url)
    try:
        present = await _subscribed(api, address)
        missing = [topic for topic in topics if topic_enum(topic) not in present]
        for topic in missing:
            await _create(api, topic, address)
    except WebhookRegistrationFailed:
        raise
    except (AppError, InvalidPayload) as error:
        raise WebhookRegistrationFailed(
            f"the webhook registration failed: {getattr(error, 'message', 'no answer')}") from error
    return missing
