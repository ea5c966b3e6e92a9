"""Where an event came from, kept only as a keyed hash of its network address.

Co-views count distinct shoppers per network address (``ranking.coviews``), so the events
table needs to tell two addresses apart, but never to name one: the address is replaced by
an HMAC-SHA256 under a key of this install, which cannot be reversed or recomputed from a
database dump alone (the key lives in the settings or the data folder's key file)."""

import hashlib
import hmac
from typing import Protocol

SOURCE_KEY_LENGTH = 32
"""Hex characters kept of the hash: 128 bits, plenty to tell addresses apart."""
PURPOSE = b"affinity event sources v1"


class SourceKeys(Protocol):
    """The key stored with an event for its network address."""

    def key_of(self, address: str | None) -> str | None: ...


class SourceHasher:
    """Turns a network address into the opaque key stored with an event."""

    def __init__(self, key: bytes) -> None:
        # A key of its own, derived from the install's key: the stored hashes reveal
        # nothing about the key that encrypts the secrets.
        self._key = hmac.new(key, PURPOSE, hashlib.sha256).digest()

    def key_of(self, address: str | None) -> str | None:
        if not address:
            return None
        digest = hmac.new(self._key, address.strip().lower().encode(), hashlib.sha256)
        return digest.hexdigest()[:SOURCE_KEY_LENGTH]
