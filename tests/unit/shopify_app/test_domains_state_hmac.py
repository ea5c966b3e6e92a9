"""The install's checks on what a request says: the shop's domain, the signed state, and
Shopify's HMAC of the callback's query."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from webhooks.shopify_app.callback_hmac import is_signed_by_shopify, signed_message
from webhooks.shopify_app.domains import InvalidShopDomain, shop_domain
from webhooks.shopify_app.state import InvalidState, StateSigner, state_key

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SECRET = "app-secret"
SHOP = "mugs.myshopify.com"


@pytest.mark.parametrize("good", ["mugs.myshopify.com", "  MUGS-2.myshopify.com ", "0a.myshopify.com"])
def test_shop_domains_of_shopify_are_accepted_lower_cased(good: str) -> None:
    assert shop_domain(good) == good.strip().lower()


@pytest.mark.parametrize("bad", [
    None, "", "mugs.example.com", "https://mugs.myshopify.com", "mugs.myshopify.com/",
    "-mugs.myshopify.com", "mugs.myshopify.com.evil.com", "evil.com#.myshopify.com",
    "mu gs.myshopify.com", "a.b.myshopify.com", "127.0.0.1", "mugs.myshopify.com:8080",
    "x" * 300 + ".myshopify.com", "mugs\n.myshopify.com",
])
def test_other_domains_are_refused_without_echoing_them(bad: str | None) -> None:
    with pytest.raises(InvalidShopDomain) as refused:
        shop_domain(bad)
    assert (bad or "?") not in refused.value.message


def signer() -> StateSigner:
    return StateSigner(state_key(SECRET), timedelta(minutes=10))


def test_a_state_names_its_shop_and_expiry_and_is_new_each_time() -> None:
    first, second = signer().issue(SHOP, NOW), signer().issue(SHOP, NOW)
    assert first != second
    found = signer().verify(first, SHOP, NOW + timedelta(minutes=9))
    assert found.shop == SHOP and found.expires_at == NOW + timedelta(minutes=10)
    assert found.nonce != signer().verify(second, SHOP, NOW).nonce


def test_an_expired_state_is_refused() -> None:
    state = signer().issue(SHOP, NOW)
    with pytest.raises(InvalidState, match="expired"):
        signer().verify(state, SHOP, NOW + timedelta(minutes=10, seconds=1))


def test_a_state_for_another_shop_is_refused() -> None:
    state = signer().issue(SHOP, NOW)
    with pytest.raises(InvalidState, match="another shop"):
        signer().verify(state, "other.myshopify.com", NOW)


def _tampered(state: str, **changes: object) -> str:
    body, signature = state.split(".")
    content = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    content.update(changes)
    new_body = base64.urlsafe_b64encode(json.dumps(content).encode()).rstrip(b"=").decode()
    return f"{new_body}.{signature}"


@pytest.mark.parametrize("change", [
    lambda s: _tampered(s, e=4_000_000_000),
    lambda s: _tampered(s, s="other.myshopify.com"),
    lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"),
    lambda s: s.split(".")[0],
    lambda s: s + ".x",
    lambda s: "",
    lambda s: "a" * 600 + "." + "b",
])
def test_a_tampered_or_malformed_state_is_refused(change: object) -> None:
    state = signer().issue(SHOP, NOW)
    assert callable(change)
    with pytest.raises(InvalidState):
        signer().verify(change(state), SHOP, NOW)


def test_a_state_signed_under_another_secret_is_refused() -> None:
    state = StateSigner(state_key("another-secret")).issue(SHOP, NOW)
    with pytest.raises(InvalidState, match="not signed"):
        signer().verify(state, SHOP, NOW)


def shopify_hmac(pairs: list[tuple[str, str]], secret: str = SECRET) -> str:
    """Shopify's documented example, computed independently of the module under test."""
    message = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


QUERY = [("code", "0907a61c0c8d55e99db179b68161bc00"), ("shop", SHOP),
         ("state", "0.abc"), ("timestamp", "1337178173"), ("host", "YWRtaW4uc2hvcGlmeS5jb20v")]


def test_shopifys_message_is_the_sorted_query_without_hmac() -> None:
    assert signed_message([*QUERY, ("hmac", "x")]) == (
        "code=0907a61c0c8d55e99db179b68161bc00&host=YWRtaW4uc2hvcGlmeS5jb20v"
        f"&shop={SHOP}&state=0.abc&timestamp=1337178173")


def test_a_callback_signed_with_the_app_secret_passes() -> None:
    assert is_signed_by_shopify([*QUERY, ("hmac", shopify_hmac(QUERY))], SECRET)


@pytest.mark.parametrize("query", [
    [*QUERY, ("hmac", shopify_hmac(QUERY, "wrong"))],
    [*QUERY],
    [*QUERY, ("hmac", "")],
    [*QUERY[:-1], ("host", "changed"), ("hmac", shopify_hmac(QUERY))],
    [*QUERY, ("extra", "1"), ("hmac", shopify_hmac(QUERY))],
    [*QUERY, ("hmac", shopify_hmac(QUERY)), ("hmac", shopify_hmac(QUERY))],
    [*QUERY, *[(f"p{n}", "v") for n in range(40)], ("hmac", "0")],
])
def test_a_callback_with_a_wrong_missing_or_doubled_hmac_fails(query: list[tuple[str, str]]) -> None:
    assert not is_signed_by_shopify(query, SECRET)


def test_no_secret_verifies_nothing() -> None:
    assert not is_signed_by_shopify([*QUERY, ("hmac", shopify_hmac(QUERY, ""))], "")
