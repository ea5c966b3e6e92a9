"""The console inside the Shopify admin: App Bridge session tokens open the shop's pages,
which load App Bridge and may be framed by that shop's admin only; every other console
page keeps refusing to be framed."""

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.shopify_app.support import (
    API_KEY,
    API_SECRET,
    Install,
    install_app,
    new_domain,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
APP_BRIDGE = '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>'


def _part(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def session_token(shop: str, secret: str = API_SECRET, **changes: Any) -> str:
    """A token as App Bridge makes one."""
    now = time.time()
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": API_KEY,
              "sub": "1", "exp": now + 60, "nbf": now - 1, "iat": now - 1, "jti": "1", "sid": "s"}
    signed = f"{_part({'alg': 'HS256', 'typ': 'JWT'})}.{_part({**claims, **changes})}"
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[Install]:
    async with install_app(database_url, tmp_path) as install:
        yield install


@pytest.fixture
async def shop(app: Install) -> str:
    domain = new_domain()
    assert (await app.install(domain)).status_code == 200
    return domain


def framed_by(policy: str) -> str:
    found = re.search(r"frame-ancestors ([^;]+)", policy)
    assert found is not None, policy
    return found.group(1).strip()


async def test_a_session_token_opens_the_shops_console_framed_by_its_admin_only(
        app: Install, shop: str) -> None:
    response = await app.client.get("/admin/overview", headers=bearer(session_token(shop)))
    assert response.status_code == 200
    assert shop in response.text
    policy = response.headers["content-security-policy"]
    assert framed_by(policy) == f"https://{shop} https://admin.shopify.com"
    assert "x-frame-options" not in response.headers
    assert APP_BRIDGE in response.text
    assert f'<meta name="shopify-api-key" content="{API_KEY}">' in response.text
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in response.text
    assert "shopify.idToken()" in response.text and "htmx:configRequest" in response.text
    assert 'action="/admin/logout"' not in response.text  # no cookie session to end


async def test_the_admins_first_load_carries_the_token_in_the_query(app: Install, shop: str) -> None:
    response = await app.client.get("/admin/overview", params={
        "embedded": "1", "shop": shop, "host": "YWRtaW4", "id_token": session_token(shop)})
    assert response.status_code == 200 and APP_BRIDGE in response.text
    assert framed_by(response.headers["content-security-policy"]).startswith(f"https://{shop} ")


async def test_without_a_token_yet_the_page_loads_app_bridge_to_fetch_one(
        app: Install, shop: str) -> None:
    response = await app.client.get("/admin/experiments",
                                    params={"embedded": "1", "shop": shop, "host": "YWRtaW4"})
    assert response.status_code == 200
    assert APP_BRIDGE in response.text
    assert 'hx-get="/admin/experiments"' in response.text and 'hx-trigger="load"' in response.text
    assert "Experiments</h1>" not in response.text  # nothing of the shop without a token
    assert framed_by(response.headers["content-security-policy"]).startswith(f"https://{shop} ")


@pytest.mark.parametrize("change", [
    {"aud": "another-app"}, {"exp": time.time() - 120}, {"secret": "not-the-app-secret"},
    {"dest": "https://other.myshopify.com", "iss": "https://other.myshopify.com/admin"},
])
async def test_a_token_of_another_app_shop_or_time_opens_nothing(
        app: Install, shop: str, change: dict[str, Any]) -> None:
    claims = {k: v for k, v in change.items() if k != "secret"}
    token = session_token(shop, change.get("secret", API_SECRET), **claims)
    response = await app.client.get("/admin/overview", headers=bearer(token))
    assert response.status_code == 401
    assert shop not in response.text and APP_BRIDGE not in response.text
    assert framed_by(response.headers["content-security-policy"]) == "'none'"
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_post_with_a_session_token_needs_no_csrf_token(app: Install, shop: str) -> None:
    response = await app.client.post("/admin/placements", content=b"",
                                     headers={**FORM, **bearer(session_token(shop))})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/placements?saved=1"
    forged = await app.client.post("/admin/placements", content=b"",
                                   headers={**FORM, **bearer(session_token(shop, "guessed"))})
    assert forged.status_code == 401


async def test_other_console_pages_still_refuse_to_be_framed(app: Install, shop: str) -> None:
    login = await app.client.get("/admin/login")
    assert login.status_code == 200
    assert framed_by(login.headers["content-security-policy"]) == "'none'"
    assert login.headers["x-frame-options"] == "DENY"
    assert APP_BRIDGE not in login.text
    signed_out = await app.client.get("/admin/overview", params={"embedded": "1",
                                                                 "shop": "evil.example.com"})
    assert signed_out.status_code == 303  # not a shop: the ordinary log-in
    unicode = await app.client.get("/admin/overview", params={"embedded": "1",
                                                              "shop": "шоп.myshopify.com"})
    assert unicode.status_code == 303
    install = await app.client.get("/shopify/install", params={"shop": "x"})
    assert install.headers["x-frame-options"] == "DENY"
