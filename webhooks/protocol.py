"""The port each platform adapter implements: find the shop, verify, read the envelope,
validate, and turn a stored delivery into platform-neutral changes."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.ids import ShopId
from app.sync.credentials import PlatformCredentials
from webhooks.changes import Change

Headers = Mapping[str, str]
"""Request headers with lower-case names."""


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
class ShopHint:
    """How a delivery names its shop: by domain, or by the platform's store key."""

    domain: str | None = None
    store_key: str | None = None


@dataclass(frozen=True)
class ShopContext:
    """What an adapter may know about the shop a delivery belongs to."""

    id: ShopId
    domain: str
    currency: str
    credentials: PlatformCredentials | None = None


@dataclass(frozen=True)
class Envelope:
    topic: str
    delivery_id: str
    event_id: str | None = None
    triggered_at: datetime | None = None


class PlatformAdapter(Protocol):
    platform: str
    applies_body_as_sent: bool
    """Is the body applied as the record's state? Then an old delivery may be refused
    (a platform whose bodies only name a record re-reads it, and old is harmless)."""

    def is_ping(self, headers: Headers, body: bytes) -> bool:
        """A delivery that only checks the endpoint is alive (answered 200, stored nowhere)."""

    def shop_hint(self, headers: Headers, body: bytes) -> ShopHint | None: ...

    def verify(self, headers: Headers, body: bytes, secrets: Sequence[str]) -> bool: ...

    def envelope(self, headers: Headers, body: bytes) -> Envelope:
        """Topic and ids of a verified delivery; raises ``InvalidPayload``."""

    def handles(self, topic: str) -> bool: ...

    def validate(self, topic: str, body: bytes, shop: ShopContext) -> None:
        """Cheap check on the request path; raises ``InvalidPayload``."""

    async def changes(self, topic: str, body: bytes, shop: ShopContext) -> list[Change]:
        """Off the request path: raises ``InvalidPayload`` or ``PlatformUnavailable``."""
