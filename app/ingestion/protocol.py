"""What the ingestion service needs of a platform, and what a platform may raise to it.

An adapter turns a stored delivery into platform-neutral changes; the service applies
them. The service knows adapters only through ``ChangeSource``, handed in by the
composition root."""

from dataclasses import dataclass
from typing import Protocol

from app.ids import ShopId
from app.ingestion.changes import Change
from app.sync.credentials import PlatformCredentials


class InvalidPayload(Exception):
    """A signed delivery that cannot be understood (answered with 400, kept aside)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlatformUnavailable(Exception):
    """The platform's API could not be reached; the delivery is retried later."""


class Unconfirmed(Exception):
    """The platform's API contradicts a destructive delivery; retried, then parked."""


@dataclass(frozen=True)
class ShopContext:
    """What an adapter may know about the shop a delivery belongs to."""

    id: ShopId
    domain: str
    currency: str
    credentials: PlatformCredentials | None = None


class ChangeSource(Protocol):
    async def changes(self, topic: str, body: bytes, shop: ShopContext) -> list[Change]:
        """Off the request path: raises ``InvalidPayload``, ``PlatformUnavailable`` or
        ``Unconfirmed``."""
