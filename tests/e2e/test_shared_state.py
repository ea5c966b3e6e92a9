"""End to end: two real servers on one database share live sessions through real Redis.

A view sent to server A with analytics consent withheld is stored nowhere: only the live
session carries it, so server B can know of it only through Redis."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_demo_server import Server, _run
from tests.integration.shared_state.redis_process import RedisProcess

TRACK = """mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }"""
HOME = """query($visitor: ID) { recommendations(placement: HOME, visitorId: $visitor, first: 10) {
  items { product { id } reasons { message } } } }"""
VIEWED = "21844"  # the demo's Red Retrospot Mug
SESSION_ONLY = {"analytics": False, "personalization": True}


class Pair:
    def __init__(self, tmp: Path, redis: RedisProcess) -> None:
        self.redis = redis
        redis_url = redis.url
        self.a = Server(tmp)
        self.b = Server(tmp)
        for server in (self.a, self.b):
            server.env["AFFINITY_REDIS_URL"] = redis_url
        self.b.env["AFFINITY_WORKER_ENABLED"] = "false"
        self.b.env["AFFINITY_PORT"] = str(self.b.port)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    redis = RedisProcess(tmp_path_factory.mktemp("redis"))
    redis.start()
    pair = Pair(tmp_path_factory.mktemp("shared"), redis)
    try:
        demo = _run(pair.a.env, "demo")
        assert demo.returncode == 0, demo.stderr
        key = json.loads(demo.stdout.strip().splitlines()[-1])["storefront_key"]
        pair.a.key = pair.b.key = key
        pair.a.start()
        pair.b.start()
        yield pair
    finally:
        pair.a.stop()
        pair.b.stop()
        redis.kill()


def _home(server: Server, visitor: str) -> dict[str, Any]:
    body = server.query(HOME, visitor=visitor)
    assert "errors" not in body, body
    return body["data"]["recommendations"]  # type: ignore[no-any-return]


def _shaped_by_the_view(result: dict[str, Any]) -> bool:
    return "red retrospot mug" in str(result).lower() and "viewed" in str(result).lower()


def test_views_sent_to_server_a_change_the_home_list_on_server_b_within_a_second(
        pair: Pair) -> None:
    before = _home(pair.b, "shopper-1")
    assert not _shaped_by_the_view(before)
    tracked = pair.a.query(TRACK, events=[{
        "type": "PRODUCT_VIEWED", "visitorId": "shopper-1", "productId": VIEWED,
        "eventId": "shared-view-1", "consent": SESSION_ONLY}])
    assert tracked["data"]["trackEvents"]["accepted"] == 1
    sent = time.monotonic()
    while not _shaped_by_the_view(after := _home(pair.b, "shopper-1")):
        assert time.monotonic() - sent < 1.0, after
        time.sleep(0.02)
    assert _home(pair.b, "shopper-1")["items"] != before["items"]
    assert not _shaped_by_the_view(_home(pair.b, "shopper-2"))


def _view(server: Server, visitor: str, event_id: str) -> None:
    tracked = server.query(TRACK, events=[{
        "type": "PRODUCT_VIEWED", "visitorId": visitor, "productId": VIEWED,
        "eventId": event_id, "consent": SESSION_ONLY}])
    assert tracked["data"]["trackEvents"]["accepted"] == 1


def test_redis_stopped_both_servers_answer_without_a_5xx_then_share_again(pair: Pair) -> None:
    pair.redis.kill()
    try:
        statuses: list[int] = []
        slowest = 0.0
        until = time.monotonic() + 3.0
        n = 0
        while time.monotonic() < until:
            for server in (pair.a, pair.b):
                n += 1
                started = time.monotonic()
                for body in ({"query": TRACK, "variables": {"events": [{
                        "type": "PRODUCT_VIEWED", "visitorId": f"down-{n}", "productId": VIEWED,
                        "eventId": f"down-{n}", "consent": SESSION_ONLY}]}},
                             {"query": HOME, "variables": {"visitor": f"down-{n}"}}):
                    response = httpx.post(f"{server.url}/graphql", json=body, timeout=10,
                                          headers={"X-Affinity-Storefront-Key": server.key})
                    statuses.append(response.status_code)
                    assert "errors" not in response.json()
                slowest = max(slowest, time.monotonic() - started)
        assert len(statuses) > 20 and set(statuses) == {200}
        assert slowest < 1.0  # no request waits on the missing Redis
        # The server that took the view still knows the visitor.
        assert _shaped_by_the_view(_home(pair.a, f"down-{n - 1}"))
    finally:
        pair.redis.start()
    deadline = time.monotonic() + 15
    attempt = 0
    while True:  # subscriptions come back after the breaker's back-off
        attempt += 1
        visitor = f"back-{attempt}"
        _view(pair.a, visitor, f"back-{attempt}")
        sent = time.monotonic()
        while time.monotonic() - sent < 1.0 and not _shaped_by_the_view(_home(pair.b, visitor)):
            time.sleep(0.02)
        if _shaped_by_the_view(_home(pair.b, visitor)):
            return
        assert time.monotonic() < deadline, "sessions were not shared again after Redis returned"
