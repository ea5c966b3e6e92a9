"""Short-term intent kept in memory: recent views, cart, dismissals per visitor.

Every accepted event lands here, stored or not, so even a visitor without analytics
consent sees the current session shape the next recommendation."""

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from app.context.types import ShopperContext
from app.events.protocol import AcceptedEvent
from app.events.types import EventType
from app.ids import ShopId

MAX_VIEWS = 20
MAX_SEEN_IDS = 200


@dataclass
class SessionIntent:
    views: list[str] = field(default_factory=list)
    cart: list[str] = field(default_factory=list)
    dismissed: set[str] = field(default_factory=set)
    purchased: list[str] = field(default_factory=list)
    personalization: bool = True
    customer_id: str | None = None
    last_seen: float = 0.0
    updated_at: datetime | None = None
    context: ShopperContext | None = None
    """The latest device class, region and local hour the session's events told."""

    def apply(self, event: AcceptedEvent) -> None:
        product = event.product_id
        self.personalization = event.consent.personalization
        self.customer_id = event.customer_id or self.customer_id
        self.updated_at = event.occurred_at
        if not event.context.empty:
            self.context = event.context.merged_over(self.context)
        if product is None:
            return
        if event.type in (EventType.PRODUCT_VIEWED, EventType.PRODUCT_CLICKED):
            self.views = [product, *[v for v in self.views if v != product]][:MAX_VIEWS]
        elif event.type is EventType.PRODUCT_ADDED_TO_CART and product not in self.cart:
            self.cart.append(product)
        elif event.type is EventType.PRODUCT_REMOVED_FROM_CART and product in self.cart:
            self.cart.remove(product)
        elif event.type is EventType.PRODUCT_DISMISSED:
            self.dismissed.add(product)
        elif event.type is EventType.CHECKOUT_COMPLETED:
            self.purchased.append(product)
            self.cart = [p for p in self.cart if p != product]


class SessionState(Protocol):
    """Where the request path reads live sessions and accepted events are written: this
    process's memory (``SessionStore``), or that memory kept in step with the other
    processes' (``app.shared_state.sessions``)."""

    def observe(self, shop_id: ShopId, event: AcceptedEvent) -> None: ...

    def get(self, shop_id: ShopId, visitor_id: str) -> SessionIntent | None: ...

    def forget_shop(self, shop_id: ShopId) -> None: ...

    def forget_customer(self, shop_id: ShopId, customer_id: str) -> int: ...


class SessionStore:
    """A bounded, expiring map of (shop, visitor) to session intent."""

    def __init__(self, max_visitors: int = 100_000, ttl_seconds: float = 1800.0) -> None:
        self._max = max_visitors
        self._ttl = ttl_seconds
        self._items: OrderedDict[tuple[int, str], SessionIntent] = OrderedDict()

    def observe(self, shop_id: ShopId, event: AcceptedEvent) -> None:
        key = (shop_id, event.visitor_id)
        intent = self._items.pop(key, None) or SessionIntent()
        intent.apply(event)
        intent.last_seen = time.monotonic()
        self._items[key] = intent
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def get(self, shop_id: ShopId, visitor_id: str) -> SessionIntent | None:
        intent = self._items.get((shop_id, visitor_id))
        if intent is None:
            return None
        if time.monotonic() - intent.last_seen > self._ttl:
            self._items.pop((shop_id, visitor_id), None)
            return None
        return intent

    def forget_shop(self, shop_id: ShopId) -> None:
        for key in [k for k in self._items if k[0] == shop_id]:
            del self._items[key]

    def forget_customer(self, shop_id: ShopId, customer_id: str) -> int:
        """Drop every visitor's session that named this customer; returns how many."""
        keys = [k for k, intent in self._items.items()
                if k[0] == shop_id and intent.customer_id == customer_id]
        for key in keys:
            del self._items[key]
        return len(keys)
