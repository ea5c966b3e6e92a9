"""The live trend moved by every order, in every server process.

Orders reach a model's live trend where the worker reads them from the database
(``ranking.live_orders``). With Redis, that process publishes each order's products and the
processes that do not read orders themselves move their trend with them, within
milliseconds instead of at their next model load. A process that reads orders itself never
applies what it hears, so no order counts twice. With Redis down the others' trends wait for
the next model, as with one process."""

import asyncio
import json
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from functools import partial

from app.ids import ShopId
from app.ranking.runtime import ModelRuntime
from app.shared_state.connection import RedisLink, SharedStateUnavailable, publish_all
from app.shared_state.subscriber import publish_and_listen

PUBLISH_SECONDS = 0.05
MAX_PRODUCTS_PER_ORDER = 100
MAX_PRODUCT_CHARS = 100
MAX_QUEUED_ORDERS = 10_000
RuntimeOf = Callable[[ShopId], ModelRuntime | None]
Order = tuple[ShopId, list[str], datetime]


class SharedTrend:
    """Publishes the orders of runtimes attached here; applies the others' to ``runtime_of``
    (unless this process reads orders itself: ``feeds_itself``)."""

    def __init__(self, link: RedisLink, runtime_of: RuntimeOf, feeds_itself: bool,
                 origin: str | None = None) -> None:
        self._link = link
        self._runtime_of = runtime_of
        self._feeds_itself = feeds_itself
        self.origin = origin or uuid.uuid4().hex
        self.channel = link.key("orders")
        self.subscribed = asyncio.Event()
        self._queue: deque[Order] = deque(maxlen=MAX_QUEUED_ORDERS)

    def attach(self, shop_id: ShopId, runtime: ModelRuntime) -> None:
        """Publish the orders this runtime observes (called for every runtime loaded)."""
        runtime.order_listener = partial(self._note, shop_id)

    def _note(self, shop_id: ShopId, product_ids: list[str], when: datetime) -> None:
        self._queue.append((shop_id, product_ids[:MAX_PRODUCTS_PER_ORDER], when))

    async def run(self, stop: asyncio.Event) -> None:
        await publish_and_listen(self._link, self.channel, self._receive, self.publish,
                                 PUBLISH_SECONDS, stop, self.subscribed)

    async def publish(self) -> None:
        """Publishes (or, with Redis down, drops) the orders noted since the last time."""
        orders = [self._queue.popleft() for _ in range(len(self._queue))]
        if not orders:
            return
        messages = [self._message(order) for order in orders]
        try:
            await self._link.call(partial(publish_all, channel=self.channel, messages=messages))
        except SharedStateUnavailable:
            pass

    def _message(self, order: Order) -> bytes:
        shop_id, products, when = order
        return json.dumps({"origin": self.origin, "shop": int(shop_id), "products": products,
                           "when": when.isoformat()}, separators=(",", ":")).encode()

    def _receive(self, _channel: str, data: bytes) -> None:
        message = json.loads(data)
        if (self._feeds_itself or not isinstance(message, dict)
                or message.get("origin") == self.origin):
            return
        shop, products, when = message.get("shop"), message.get("products"), message.get("when")
        if type(shop) is not int or not isinstance(products, list) or not isinstance(when, str):
            return
        products = [p for p in products[:MAX_PRODUCTS_PER_ORDER]
                    if isinstance(p, str) and 0 < len(p) <= MAX_PRODUCT_CHARS]
        runtime = self._runtime_of(ShopId(shop))
        if runtime is not None and products:
            runtime.observe_order_elsewhere(products, datetime.fromisoformat(when[:40]))

