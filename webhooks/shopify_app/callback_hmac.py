"""Shopify's signature of a redirect to the app (the OAuth callback, an admin link):
the hex HMAC-SHA256, under the app's secret, of the query's other parameters sorted by
name and joined as ``name=value`` with ``&``."""

import hashlib
import hmac
from collections.abc import Sequence

MAX_QUERY_CHARS = 4096
MAX_PARAMETERS = 32


def signed_message(pairs: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{name}={value}" for name, value in
                     sorted((n, v) for n, v in pairs if n not in ("hmac", "signature")))


def query_signature(pairs: Sequence[tuple[str, str]], app_secret: str) -> str:
    return hmac.new(app_secret.encode(), signed_message(pairs).encode(),
                    hashlib.sha256).hexdigest()


def is_signed_by_shopify(pairs: Sequence[tuple[str, str]], app_secret: str) -> bool:
    """Does the query's ``hmac`` match, compared in constant time? A query with more than
    one ``hmac``, too many parameters or none at all is not."""
    given = [value for name, value in pairs if name == "hmac"]
    if len(given) != 1 or len(pairs) > MAX_PARAMETERS or not app_secret:
        return False
    expected = query_signature(pairs, app_secret)
    return hmac.compare_digest(expected.encode(), given[0].strip().lower().encode())
