"""Customer tokens: a shop's own server vouches for who is logged in, the browser carries it.

A token is ``v1.<exp>.<cid>.<sig>``: ``exp`` the expiry in unix seconds, ``cid`` the
customer id in unpadded base64url, ``sig`` the unpadded base64url HMAC-SHA256 of
``v1.<exp>.<cid>`` under the shop's customer-token secret. The public storefront key alone
cannot name a customer (anyone can read it from the page); a token can, because only the
shop's server knows the secret."""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from datetime import datetime

from app.ids import CustomerId

VERSION = "v1"
MAX_TOKEN_LENGTH = 512
SECRET_PREFIX = "cts_"
EXPIRY = re.compile(r"[0-9]{1,12}")


def new_customer_token_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, signed: str) -> str:
    return _b64(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def sign_customer_token(secret: str, customer_id: str, expires_at: datetime) -> str:
    """The token naming ``customer_id`` until ``expires_at`` (what a shop's server mints)."""
    signed = f"{VERSION}.{int(expires_at.timestamp())}.{_b64(customer_id.encode())}"
    return f"{signed}.{_signature(secret, signed)}"


def verify_customer_token(secret: str, token: str, now: datetime) -> CustomerId | None:
    """The customer the token names, or ``None`` when it is malformed, too long, expired or
    signed with another secret."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not EXPIRY.fullmatch(parts[1]):
        return None
    signed = ".".join(parts[:3])
    if not hmac.compare_digest(_signature(secret, signed).encode(), parts[3].encode()):
        return None
    if int(parts[1]) <= now.timestamp():
        return None
    try:
        customer = _unb64(parts[2]).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return CustomerId(customer) if customer else None
