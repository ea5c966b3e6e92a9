"""A simulated checkout as Shopify delivers it: an ``orders/create`` webhook whose body has
the shape Shopify sends, signed with the shop's webhook secret (base64 HMAC-SHA256 of the
raw body, the ``X-Shopify-Hmac-Sha256`` header).

The storefront snippets write the clicked recommendation ids where Shopify carries them
back: the line-item property ``_affinity_rec`` (the list the line was added from) and the
cart attribute ``_affinity_recs`` (every clicked list, most recent last, at most 20)."""

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

LINE_PROPERTY = "_affinity_rec"
CART_ATTRIBUTE = "_affinity_recs"
MAX_CART_RECOMMENDATIONS = 20
TOPIC = "orders/create"
API_VERSION = "2025-07"


@dataclass(frozen=True)
class CartLine:
    product_id: str
    title: str
    price: float
    quantity: int
    recommendation_id: str | None


@dataclass(frozen=True)
class SimulatedOrder:
    order_id: int
    customer_id: str
    currency: str
    lines: tuple[CartLine, ...]
    clicked_lists: tuple[str, ...]
    """Recommendation ids of the lists the shopper clicked on, in the order of the clicks."""
    placed_at: datetime

    @property
    def total(self) -> float:
        return round(sum(line.price * line.quantity for line in self.lines), 2)


def _money(value: float) -> str:
    return f"{value:.2f}"


def _line(order: SimulatedOrder, number: int, line: CartLine) -> dict[str, object]:
    properties = ([{"name": LINE_PROPERTY, "value": line.recommendation_id}]
                  if line.recommendation_id else [])
    return {"id": order.order_id * 100 + number, "product_id": line.product_id,
            "variant_id": None, "title": line.title, "quantity": line.quantity,
            "price": _money(line.price), "properties": properties}


def cart_attribute(clicked_lists: Sequence[str]) -> str:
    """The ``_affinity_recs`` value: distinct ids, most recent last, the latest 20."""
    latest = list(dict.fromkeys(reversed(clicked_lists)))[:MAX_CART_RECOMMENDATIONS]
    return ",".join(reversed(latest))


def order_payload(order: SimulatedOrder) -> bytes:
    """The body of the ``orders/create`` webhook of ``order``."""
    when = order.placed_at.astimezone(UTC).isoformat()
    total = _money(order.total)
    body = {
        "id": order.order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order.order_id}",
        "name": f"#SIM{order.order_id}", "created_at": when,
        "processed_at": when, "updated_at": when, "cancelled_at": None,
        "currency": order.currency, "financial_status": "paid", "test": False,
        "subtotal_price": total, "total_price": total,
        "customer": {"id": order.customer_id},
        "line_items": [_line(order, n, line) for n, line in enumerate(order.lines, start=1)],
        "note_attributes": ([{"name": CART_ATTRIBUTE, "value": cart_attribute(order.clicked_lists)}]
                            if order.clicked_lists else []),
        "refunds": [],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """Shopify's ``X-Shopify-Hmac-Sha256`` of ``body``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(domain: str, secret: str, body: bytes, delivery_id: str,
                    now: datetime) -> dict[str, str]:
    """The headers Shopify sends with a delivery (``delivery_id`` names it for deduplication)."""
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": TOPIC,
        "X-Shopify-Hmac-Sha256": signature(secret, body),
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": delivery_id,
        "X-Shopify-Event-Id": delivery_id,
        "X-Shopify-Triggered-At": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "X-Shopify-API-Version": API_VERSION,
    }
