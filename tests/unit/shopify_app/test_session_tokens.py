"""App Bridge session tokens: HS256 JWTs signed with the app's secret, for this app
(``aud``), a shop's admin (``dest``, ``iss``), and now (``exp``, ``nbf``)."""

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from app.console.sessions import InvalidSessionToken, verify_session_token

KEY, SECRET = "app-key", "app-secret"
NOW = 1_800_000_000.0
SHOP = "mugs.myshopify.com"


def part(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": KEY, "sub": "42",
        "exp": NOW + 60, "nbf": NOW - 1, "iat": NOW - 1, "jti": "f8912129", "sid": "aaea1"}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def token(body: dict[str, Any] | None = None, secret: str = SECRET,
          header: dict[str, Any] | None = None) -> str:
    signed = f"{part(header or {'alg': 'HS256', 'typ': 'JWT'})}.{part(body or claims())}"
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def test_a_token_app_bridge_signed_names_its_shop_and_user() -> None:
    found = verify_session_token(token(), KEY, SECRET, NOW)
    assert (found.shop, found.user) == (SHOP, "42")


def test_small_clock_differences_are_tolerated() -> None:
    verify_session_token(token(claims(exp=NOW - 5, nbf=NOW + 5)), KEY, SECRET, NOW)


@pytest.mark.parametrize("reason, bad", [
    ("aud", token(claims(aud="another-app"))),
    ("aud", token(claims(aud=[KEY]))),
    ("aud", token(claims(aud=None))),
    ("dest", token(claims(dest="https://evil.example.com", iss="https://evil.example.com/admin"))),
    ("dest", token(claims(dest=f"http://{SHOP}", iss=f"http://{SHOP}/admin"))),
    ("iss", token(claims(iss="https://other.myshopify.com/admin"))),
    ("exp", token(claims(exp=NOW - 60))),
    ("exp", token(claims(exp=None))),
    ("nbf", token(claims(nbf=NOW + 60))),
    ("signature", token(secret="another-secret")),
    ("signature", token()[:-3] + "abc"),
    ("alg", token(header={"alg": "none", "typ": "JWT"})),
    ("alg", token(header={"alg": "HS512", "typ": "JWT"})),
    ("alg", token(header={"alg": "HS256", "jku": "https://evil.example.com/keys"})),
    ("JWT", f"{part({'alg': 'none'})}.{part(claims())}"),
    ("JWT", "x" * 5000),
    ("JWT", ""),
])
def test_a_token_not_issued_for_this_app_shop_and_time_is_refused(reason: str, bad: str) -> None:
    with pytest.raises(InvalidSessionToken, match=reason):
        verify_session_token(bad, KEY, SECRET, NOW)


def test_an_unsigned_token_is_refused_even_with_an_empty_signature() -> None:
    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims())}."
    with pytest.raises(InvalidSessionToken):
        verify_session_token(unsigned, KEY, SECRET, NOW)


def test_without_the_app_secret_no_token_passes() -> None:
    with pytest.raises(InvalidSessionToken):
        verify_session_token(token(secret=""), KEY, "", NOW)
