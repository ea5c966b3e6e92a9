"""New index and model versions, announced to every server the moment they are current.

The process that makes a version current publishes it on the channel of its kind; every
server listening reloads that shop's version at once instead of at its next poll. Polling
stays: an announcement missed (Redis down, a server starting) is caught by it."""

import asyncio
import json
from collections.abc import Callable, Mapping
from enum import Enum

from app.ids import ShopId
from app.shared_state.connection import RedisLink, SharedStateUnavailable
from app.shared_state.subscriber import listen

MAX_VERSION_CHARS = 200


class VersionKind(str, Enum):
    INDEX = "index"
    MODEL = "model"


Reload = Callable[[ShopId, str], None]
"""Told the shop and the version now current; loads it (or marks it due) without blocking."""


def channel(link: RedisLink, kind: VersionKind) -> str:
    return link.key("versions", kind.value)


async def announce(link: RedisLink, kind: VersionKind, shop_id: ShopId, version: str) -> bool:
    """Publishes the shop's new current version; ``False`` when Redis did not take it (the
    servers' polling will find it)."""
    message = json.dumps({"shop": int(shop_id), "version": version[:MAX_VERSION_CHARS]})
    try:
        await link.call(lambda client: client.publish(channel(link, kind), message))
    except SharedStateUnavailable:
        return False
    return True


class VersionListener:
    """Calls the reload of each kind for every announcement, until ``stop``."""

    def __init__(self, link: RedisLink, reloads: Mapping[VersionKind, Reload]) -> None:
        self._link = link
        self._reloads = {channel(link, kind): reload for kind, reload in reloads.items()}
        self.subscribed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        await listen(self._link, list(self._reloads), self._receive, stop, self.subscribed)

    def _receive(self, channel_name: str, data: bytes) -> None:
        message = json.loads(data)
        reload = self._reloads.get(channel_name)
        if reload is None or not isinstance(message, dict):
            return
        shop, version = message.get("shop"), message.get("version")
        if type(shop) is int and isinstance(version, str) and 0 < len(version) <= MAX_VERSION_CHARS:
            reload(ShopId(shop), version)
