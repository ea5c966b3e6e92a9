"""The OAuth ``state``: which shop the install was started for, a random nonce, and when
it expires, signed with HMAC-SHA256 under a key derived from the app's secret.

A state is refused when its signature is wrong, when it has expired, when it names
another shop than the callback, and (``webhooks.shopify_app.nonces``) when it was used."""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.errors import InvalidInput

STATE_LIFETIME = timedelta(minutes=10)
MAX_STATE_CHARS = 512
KEY_LABEL = b"affinity shopify oauth state v1"


class InvalidState(InvalidInput):
    pass


@dataclass(frozen=True)
class InstallState:
    shop: str
    nonce: str
    expires_at: datetime


def state_key(app_secret: str) -> bytes:
    """A key for states only, so that no other signature made with the secret is a state."""
    return hmac.new(app_secret.encode(), KEY_LABEL, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StateSigner:
    def __init__(self, key: bytes, lifetime: timedelta = STATE_LIFETIME) -> None:
        self._key = key
        self._lifetime = lifetime

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, shop: str, now: datetime) -> str:
        expires = int((now + self._lifetime).timestamp())
        body = _b64(json.dumps({"s": shop, "n": secrets.token_urlsafe(16), "e": expires},
                               separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, state: str | None, shop: str, now: datetime) -> InstallState:
        """The state's content when it is ours, unexpired and for ``shop``."""
        if not state or len(state) > MAX_STATE_CHARS or state.count(".") != 1:
            raise InvalidState("state: missing or malformed; start the install again")
        body, signature = state.split(".")
        if not hmac.compare_digest(self._sign(body).encode(), signature.encode()):
            raise InvalidState("state: not signed by this server; start the install again")
        try:
            content = json.loads(_unb64(body))
            found = InstallState(str(content["s"]), str(content["n"]),
                                 datetime.fromtimestamp(int(content["e"]), now.tzinfo))
        except (ValueError, KeyError, TypeError, OverflowError, OSError, binascii.Error) as error:
            raise InvalidState("state: malformed; start the install again") from error
        if found.expires_at <= now:
            raise InvalidState("state: expired; start the install again")
        if not hmac.compare_digest(found.shop.encode(), shop.encode()):
            raise InvalidState("state: issued for another shop; start the install again")
        return found
