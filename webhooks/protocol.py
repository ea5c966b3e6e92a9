"""The port each platform adapter implements: find the shop, verify, read the envelope,
validate, and (as the ingestion service's ``ChangeSource``) turn a stored delivery into
platform-neutral changes."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.ingestion.protocol import ChangeSource, ShopContext

Headers = Mapping[str, str]
"""Request headers with lower-case names."""


@dataclass(frozen=True)
class ShopHint:
    """How a delivery names its shop: by domain, or by the platform's store key."""

    domain: str | None = None
    store_key: str | None = None


@dataclass(frozen=True)
class Envelope:
    topic: str
    delivery_id: str
    event_id: str | None = None
    triggered_at: datetime | None = None


class PlatformAdapter(ChangeSource, Protocol):
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
