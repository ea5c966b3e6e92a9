"""The storefront side of a simulation, over HTTP: lists asked for a named customer with
the shop's private server key (as a shop's own server asks), events tracked with the same
key, and order webhooks delivered as Shopify delivers them."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from app.simulator.orders import SimulatedOrder, order_payload, webhook_headers
from app.simulator.protocol import ShopAccess, SimulationFailed

RECOMMEND = """query($placement: Placement!, $customer: ID, $products: [ID!], $first: Int!) {
  recommendations(placement: $placement, customerId: $customer, productIds: $products,
                  first: $first, consent: {analytics: true, personalization: true}) {
    recommendationId items { product { id title price } } } }"""
TRACK = """mutation($events: [EventInput!]!) {
  trackEvents(events: $events) { accepted duplicates rejected { index reason } } }"""
CONSENT = {"analytics": True, "personalization": True}


@dataclass(frozen=True)
class ShownItem:
    product_id: str
    title: str
    price: float


@dataclass(frozen=True)
class ServedList:
    recommendation_id: str
    items: tuple[ShownItem, ...]

    @property
    def product_ids(self) -> list[str]:
        return [item.product_id for item in self.items]


def _item(raw: dict[str, Any]) -> ShownItem:
    product = raw["product"]
    return ShownItem(str(product["id"]), str(product["title"]), float(product["price"] or 0.0))


class Storefront:
    def __init__(self, client: httpx.AsyncClient, base_url: str, access: ShopAccess) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._access = access
        self._headers = {"X-Affinity-Server-Key": access.server_key}

    async def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self._client.post(f"{self._base}/graphql", headers=self._headers,
                                           json={"query": query, "variables": variables})
        if response.status_code != 200:
            raise SimulationFailed(f"storefront GraphQL answered {response.status_code}")
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            codes = [e.get("extensions", {}).get("code") for e in body["errors"]]
            raise SimulationFailed(f"storefront GraphQL errors {codes}")
        data: dict[str, Any] = body["data"]
        return data

    async def recommendations(self, placement: str, customer_id: str,
                              product_ids: Sequence[str], first: int) -> ServedList:
        data = await self._graphql(RECOMMEND, {
            "placement": placement, "customer": customer_id,
            "products": list(product_ids) or None, "first": first})
        served = data["recommendations"]
        return ServedList(str(served["recommendationId"]),
                          tuple(_item(raw) for raw in served["items"]))

    async def track(self, events: list[dict[str, Any]]) -> None:
        """Send events (each gets an id and consent); all of them must be accepted."""
        batch = [{"eventId": str(uuid.uuid4()), "consent": CONSENT, **event} for event in events]
        data = await self._graphql(TRACK, {"events": batch})
        result = data["trackEvents"]
        if result["accepted"] != len(batch):
            reasons = sorted({r["reason"] for r in result["rejected"]})
            raise SimulationFailed(f"events refused: {reasons}")

    async def deliver_order(self, order: SimulatedOrder) -> None:
        """The order's ``orders/create`` webhook, signed; the server must acknowledge it."""
        body = order_payload(order)
        headers = webhook_headers(self._access.domain, self._access.webhook_secret, body,
                                  str(uuid.uuid4()), datetime.now(UTC))
        response = await self._client.post(f"{self._base}/webhooks/shopify", content=body,
                                           headers=headers)
        if response.status_code >= 300:
            raise SimulationFailed(f"the order webhook was answered {response.status_code}")
