"""Acceptance of the one-click install: a real ``affinity serve`` and a stand-in of
Shopify (OAuth and Admin GraphQL) on 127.0.0.1. The test plays the merchant: it opens the
install link, follows the authorize redirect's state back to the callback with a code and
Shopify's HMAC; the webhooks are registered, the shop's storefront key is in the app's
metafield and the Web Pixel is on; then a products/create signed with the app's secret
arrives and the product is served.

Then the console inside the Shopify admin, in Chromium: a page of the shop's admin frames
the console, App Bridge (a stand-in serving the token a real one would) hands htmx the
session token, and the pages load; framed by another site, the console does not load."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from app.shops.models import Shop
from app.sync.credentials import KEY as CREDENTIALS_KEY
from tests.conftest import skip_or_fail
from tests.e2e.processes import Affinity, stop
from tests.integration.webhooks.shopify_standin import StandIn, serve_standin
from tests.integration.webhooks.support import body_of, payload, shopify_headers
from webhooks.shopify_app.subscriptions import SUBSCRIBED_TOPICS, topic_enum

pytestmark = pytest.mark.e2e

SHOP = "one-click.myshopify.com"
API_KEY, API_SECRET = "e2e-api-key", "e2e-api-secret"
PRODUCT_ID = "632910392"
PRODUCT = """query($id: ID!) { product(id: $id) { id title } }"""
WAIT_SECONDS = 60.0


def _install(affinity: Affinity, standin: StandIn) -> httpx.Response:
    start = httpx.get(f"{affinity.url}/shopify/install", params={"shop": SHOP}, timeout=10)
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    assert httpx.get(authorize, timeout=10).status_code == 200  # the merchant sees the prompt
    query = parse_qs(urlsplit(authorize).query)
    assert query["redirect_uri"] == [f"{affinity.url}/shopify/callback"]
    # The merchant approves: Shopify redirects to the app with a code and its HMAC.
    return httpx.get(f"{affinity.url}/shopify/callback?"
                     + standin.callback_query(SHOP, query["state"][0]), timeout=30)


def _served_title(affinity: Affinity, key: str) -> str | None:
    response = httpx.post(f"{affinity.url}/graphql", timeout=10,
                          json={"query": PRODUCT, "variables": {"id": PRODUCT_ID}},
                          headers={"X-Affinity-Storefront-Key": key})
    assert response.status_code == 200, response.text
    product = response.json()["data"]["product"]
    return None if product is None else str(product["title"])


async def _stored_shop(affinity: Affinity) -> Shop:
    async with affinity.session() as session:
        return (await session.execute(select(Shop).where(Shop.domain == SHOP))).scalar_one()


def test_install_then_a_signed_product_is_served(tmp_path: Path, fresh_database_url: str) -> None:
    standin = StandIn(api_key=API_KEY, api_secret=API_SECRET)
    with serve_standin(standin) as shopify_url:
        affinity = Affinity(tmp_path, fresh_database_url,
                            shopify_api_key=API_KEY, shopify_api_secret=API_SECRET,
                            shopify_shop_url=shopify_url + "/{shop}",
                            webhook_poll_seconds=0.2)
        affinity.env["AFFINITY_PUBLIC_URL"] = affinity.url
        affinity.start()
        try:
            done = _install(affinity, standin)
            assert done.status_code == 200, done.text
            assert f"Affinity is installed on {SHOP}" in done.text
            callback = f"{affinity.url}/webhooks/shopify"
            assert standin.subscribed() == {topic_enum(t): callback for t in SUBSCRIBED_TOPICS}
            shop = asyncio.run(_stored_shop(affinity))
            assert standin.token not in json.dumps(shop.settings)
            assert CREDENTIALS_KEY in shop.settings
            # The theme's app embed reads the key from the app's metafield; the pixel is on.
            installation = standin.installation
            assert installation.metafield("affinity", "storefront_key") == shop.storefront_key
            assert installation.pixel is not None and installation.pixel_creates == 1
            assert installation.pixel["settings"] == {"collectUrl": ""}
            assert f"<code>{shop.storefront_key}</code>" in done.text

            body = body_of(json.loads(payload("shopify", "products_create.json")))
            headers = shopify_headers(SHOP, "products/create", body, secret=API_SECRET)
            delivered = httpx.post(callback, content=body, headers=headers, timeout=10)
            assert delivered.status_code == 200, delivered.text
            forged = shopify_headers(SHOP, "products/create", body, secret="not-the-app-secret")
            assert httpx.post(callback, content=body, headers=forged,
                              timeout=10).status_code == 401

            deadline = time.monotonic() + WAIT_SECONDS
            title = _served_title(affinity, shop.storefront_key)
            while title is None and time.monotonic() < deadline:
                time.sleep(0.2)
                title = _served_title(affinity, shop.storefront_key)
            assert title == "IPod Nano - 8GB"
        finally:
            if affinity.process is not None:
                stop(affinity.process)


FRONTEND = Path(__file__).resolve().parents[2] / "frontend-snippets"
CHROMIUM = os.environ.get("AFFINITY_CHROMIUM", "/usr/bin/chromium")
EMBEDDED_IN_CHROMIUM = """
import { chromium } from 'playwright-core';
const cfg = JSON.parse(process.env.AFFINITY_EMBED_TEST);
// The real app is public; here it listens on 127.0.0.1, which Chromium's local-network
// checks would refuse to a public page's frame: they are off, nothing else is.
const browser = await chromium.launch({ executablePath: cfg.chromium, args: ['--headless',
  '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessForNavigations,' +
  'PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'] });
const result = { requests: [], errors: [] };
try {
  const context = await browser.newContext();
  await context.route('https://cdn.shopify.com/shopifycloud/app-bridge.js', (route) => route.fulfill({
    contentType: 'text/javascript',
    body: `window.shopify = { idToken: () => Promise.resolve(${JSON.stringify(cfg.token)}) };` }));
  const framing = { contentType: 'text/html',
    body: `<iframe id="app" src="${cfg.frame}" width="1000" height="700"></iframe>` };
  await context.route(`https://${cfg.shop}/admin`, (route) => route.fulfill(framing));
  await context.route('https://evil.example.com/', (route) => route.fulfill(framing));
  const page = await context.newPage();
  page.on('request', (r) => { if (r.url().startsWith(cfg.app + '/admin/'))
    result.requests.push([r.url().slice(cfg.app.length), 'authorization' in r.headers()]); });
  page.on('console', (m) => { if (m.type() === 'error') result.errors.push(m.text()); });
  page.on('pageerror', (e) => result.errors.push(String(e)));
  await page.goto(`https://${cfg.shop}/admin`);
  const app = page.frameLocator('#app');
  await app.locator('main h1', { hasText: 'Overview' }).waitFor({ timeout: 30000 });
  result.shop = await app.locator('.who span').textContent();
  await app.locator('nav a[href="/admin/experiments"]').click();
  await app.locator('main h1', { hasText: 'Experiments' }).waitFor({ timeout: 30000 });
  result.second = await app.locator('main h1').textContent();
  const evil = await context.newPage();
  await evil.goto('https://evil.example.com/');
  await evil.waitForTimeout(2000);
  result.evil = [];
  for (const frame of evil.frames().slice(1)) {
    result.evil.push(await frame.evaluate(() => document.body ? document.body.innerText : '')
      .catch(() => ''));
  }
} catch (error) {
  result.failure = String(error).slice(0, 500);
  result.frames = await Promise.all(browser.contexts().flatMap((c) => c.pages())
    .flatMap((p) => p.frames()).map((f) => f.evaluate(() => document.body.innerText)
      .catch(() => '').then((text) => [f.url(), text.slice(0, 1000)])));
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
"""


def _session_token(shop: str) -> str:
    """What App Bridge hands the page: a token signed with the app's secret."""
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    now = time.time()
    signed = part({"alg": "HS256", "typ": "JWT"}) + "." + part({
        "iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": API_KEY, "sub": "7",
        "exp": now + 600, "nbf": now - 1, "iat": now - 1, "jti": "e2e", "sid": "e2e"})
    digest = hmac.new(API_SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return signed + "." + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_the_console_opens_inside_the_shops_admin_in_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"no Chromium at {CHROMIUM}")
    standin = StandIn(api_key=API_KEY, api_secret=API_SECRET)
    with serve_standin(standin) as shopify_url:
        affinity = Affinity(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
                            shopify_api_key=API_KEY, shopify_api_secret=API_SECRET,
                            shopify_shop_url=shopify_url + "/{shop}", worker_enabled="false")
        affinity.env["AFFINITY_PUBLIC_URL"] = affinity.url
        affinity.cli("migrate")
        affinity.start()
        try:
            assert _install(affinity, standin).status_code == 200
            frame = f"{affinity.url}/admin/overview?embedded=1&shop={SHOP}&host=YWRtaW4"
            config = {"chromium": CHROMIUM, "app": affinity.url, "shop": SHOP, "frame": frame,
                      "token": _session_token(SHOP)}
            run = subprocess.run(["node", "--input-type=module", "-e", EMBEDDED_IN_CHROMIUM],
                                 check=False, cwd=FRONTEND, capture_output=True, text=True,
                                 timeout=120,
                                 env={**os.environ, "AFFINITY_EMBED_TEST": json.dumps(config)})
            assert run.returncode == 0, run.stderr[-3000:]
            result = json.loads(run.stdout.strip().splitlines()[-1])
        finally:
            if affinity.process is not None:
                stop(affinity.process)
    assert "failure" not in result, result
    assert result["shop"].strip() == SHOP
    assert result["second"].strip() == "Experiments"
    assert result["errors"] == []  # nothing refused by the content policy
    pages = [(path, authorized) for path, authorized in result["requests"]
             if not path.startswith("/admin/static/")]
    # The admin's first load has no token yet; App Bridge's token then opens each page.
    assert pages == [(frame.removeprefix(affinity.url), False), ("/admin/overview", True),
                     ("/admin/experiments", True)]
    assert result["evil"]  # framed by another site, the console does not load
    assert not any("Overview" in text or "Opening" in text for text in result["evil"])
