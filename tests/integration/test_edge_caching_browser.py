"""Chromium on a storefront page calls the server over real HTTP for a persisted query: the
key in the URL makes it a simple cross-origin request (no preflight), the browser keeps the
answer for its max-age, and revalidates it with If-None-Match, getting a 304."""

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.graphql.persisted.documents import SIMILAR_PRODUCTS
from tests.conftest import skip_or_fail
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.support import Harness, harness

FRONTEND = Path(__file__).resolve().parents[2] / "frontend-snippets"
CHROMIUM = os.environ.get("AFFINITY_CHROMIUM", "/usr/bin/chromium")
CATALOG = [product(pid, title) for pid, title in MUGS_AND_MORE[:6]]
FETCHES_IN_CHROMIUM = """
import { chromium } from 'playwright-core';
const cfg = JSON.parse(process.env.AFFINITY_EDGE_TEST);
// The server listens on 127.0.0.1, which Chromium's local-network checks would refuse to a
// public page: they are off, nothing else is.
const browser = await chromium.launch({ executablePath: cfg.chromium, args: ['--headless',
  '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessForNavigations,' +
  'PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'] });
const result = {};
try {
  // No routes: Playwright turns the browser's HTTP cache off for a context that has any.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(cfg.origin + '/');
  result.fetches = await page.evaluate(async (url) => {
    const answers = [];
    for (const cache of ['default', 'default', 'no-cache']) {
      const response = await fetch(url, { cache });
      answers.push({ status: response.status, body: await response.json() });
    }
    return answers;
  }, cfg.url);
} catch (error) {
  result.failure = String(error).slice(0, 500);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
"""


@dataclass
class Seen:
    method: str
    query: str
    if_none_match: str | None
    status: int = 0
    etag: str | None = None


@dataclass
class Recorder:
    """The requests that reach the server, and how each was answered."""

    app: ASGIApp
    seen: list[Seen] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = Seen(scope["method"], scope["query_string"].decode(),
                    Headers(scope=scope).get("if-none-match"))
        self.seen.append(seen)

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.status = message["status"]
                seen.etag = Headers(raw=message["headers"]).get("etag")
            await send(message)

        await self.app(scope, receive, noting)


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(database_url, tmp_path, HashingEmbedder()) as h:
        yield h


async def _serve(app: ASGIApp) -> tuple[uvicorn.Server, "asyncio.Task[None]", str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off",
                                           log_level="warning", ws="none"))
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


async def _in_chromium(config: dict[str, Any]) -> dict[str, Any]:
    node = await asyncio.create_subprocess_exec(
        "node", "--input-type=module", "-e", FETCHES_IN_CHROMIUM, cwd=FRONTEND,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "AFFINITY_EDGE_TEST": json.dumps(config)})
    out, err = await asyncio.wait_for(node.communicate(), timeout=120)
    assert node.returncode == 0, err.decode()[-3000:]
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def storefront() -> Starlette:
    """A storefront page on an origin of its own."""
    page = HTMLResponse("<!doctype html><title>shop</title>")
    return Starlette(routes=[Route("/", lambda _: page)])


async def test_chromium_caches_and_revalidates_a_persisted_answer(api: Harness) -> None:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"no Chromium at {CHROMIUM}")
    shop_server, shop_task, shop_url = await _serve(storefront())
    origin = shop_url.replace("127.0.0.1", "localhost")
    _, key = await api.add_shop(CATALOG, storefront_origins=[origin])
    recorder = Recorder(api.app)
    server, task, base = await _serve(recorder)
    try:
        query = urlencode({"id": SIMILAR_PRODUCTS.sha256, "key": key,
                           "variables": json.dumps({"productId": "1", "first": 3})})
        result = await _in_chromium({"chromium": CHROMIUM, "origin": origin,
                                     "url": f"{base}/graphql?{query}"})
    finally:
        server.should_exit = shop_server.should_exit = True
        await task
        await shop_task
    assert "failure" not in result, result
    fetched = result["fetches"]
    assert [f["status"] for f in fetched] == [200, 200, 200]
    assert fetched[0]["body"]["data"]["similarProducts"]["items"]
    assert fetched[0]["body"] == fetched[1]["body"] == fetched[2]["body"]
    # The first fetch reached the server; the second came from the browser's cache; the
    # third revalidated with the first answer's ETag and got a 304. No preflight.
    assert [(s.method, s.status) for s in recorder.seen] == [("GET", 200), ("GET", 304)]
    assert recorder.seen[0].if_none_match is None
    assert recorder.seen[1].if_none_match == recorder.seen[0].etag is not None
