"""HMAC checks shared by the adapters, always in constant time."""

import base64
import hashlib
import hmac
from collections.abc import Sequence


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def matches_any(signature: str | None, body: bytes, secrets: Sequence[str]) -> bool:
    """Does the base64 HMAC-SHA256 of ``body`` under any current secret equal ``signature``?

    Every secret is tried (no early exit), so timing tells nothing about which matched."""
    if not signature or not secrets:
        return False
    given = signature.strip().encode()
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(hmac_sha256_base64(secret, body).encode(), given)
    return matched


def token_matches_any(token: str | None, secrets: Sequence[str]) -> bool:
    """A shared secret sent as-is (for platforms that do not sign), in constant time."""
    if not token or not secrets:
        return False
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(secret.encode(), token.strip().encode())
    return matched
