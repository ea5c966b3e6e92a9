"""Freshness: from a signed ``products/update`` webhook to the changed product being served
by ``similarProducts``, against one all-in-one server (inbox processor and embedding
worker inside it, as shipped) over a copy of the 100k-product world.

Each trial rewrites a product of another type with the text of an anchor product, so that
once it is embedded it becomes the anchor's nearest neighbour; the clock runs from sending
the webhook until ``similarProducts(anchor)`` lists it."""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import shutil
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from benchmarks import synthetic
from benchmarks.common import WORK, Result, Target, write_result
from benchmarks.server import serve
from benchmarks.world import BASE_PRODUCTS, World, build_world, copy_world

TRIALS = 12
POLL_SECONDS = 0.05
GIVE_UP_SECONDS = 30.0
SIMILAR = "query($id: ID!) { similarProducts(productId: $id, first: 5) { items { product { id } } } }"


def signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def update_payload(target: dict[str, Any], anchor: dict[str, Any]) -> bytes:
    """``target`` with the anchor's text and a newer ``updated_at``."""
    pid = int(str(target["id"]))
    now = datetime.now(UTC).isoformat()
    return json.dumps({
        "id": pid, "title": anchor["title"], "body_html": anchor["body"],
        "vendor": target["vendor"], "product_type": anchor["product_type"],
        "handle": f"p-{pid}", "status": "active", "published_at": "2024-01-01T00:00:00Z",
        "updated_at": now, "tags": ", ".join(target["tags"]),
        "variants": [{"id": pid * 10, "product_id": pid, "title": "Default", "price": "19.00",
                      "inventory_item_id": pid * 10, "inventory_quantity": 5,
                      "inventory_management": "shopify"}],
    }).encode()


async def _served(client: httpx.AsyncClient, key: str, anchor: str, target: str) -> bool:
    response = await client.post("/graphql", headers={"X-Affinity-Storefront-Key": key},
                                 json={"query": SIMILAR, "variables": {"id": anchor}})
    items = response.json().get("data", {}).get("similarProducts", {}).get("items", [])
    return any(i["product"]["id"] == target for i in items)


async def trial(client: httpx.AsyncClient, world: World, anchor: dict[str, Any],
                target: dict[str, Any]) -> float | None:
    body = update_payload(target, anchor)
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": "products/update",
               "X-Shopify-Hmac-Sha256": signed(world.webhook_secret, body),
               "X-Shopify-Shop-Domain": world.domain, "X-Shopify-Webhook-Id": uuid.uuid4().hex,
               "X-Shopify-API-Version": "2025-07"}
    started = time.perf_counter()
    response = await client.post("/webhooks/shopify", content=body, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"webhook answered {response.status_code}: {response.text[:300]}")
    while time.perf_counter() - started < GIVE_UP_SECONDS:
        if await _served(client, world.storefront_key, str(anchor["id"]), str(target["id"])):
            return time.perf_counter() - started
        await asyncio.sleep(POLL_SECONDS)
    return None


def pairs(world: World, count: int, seed: int = 11) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(anchor, target) pairs of available products of different types; anchors among the
    products whose stored vector is their own text's (see ``benchmarks.world``)."""
    rng = random.Random(seed)
    anchors = [synthetic.product(i) for i in rng.sample(range(BASE_PRODUCTS), 2 * count)]
    others = [synthetic.product(i) for i in rng.sample(range(BASE_PRODUCTS, world.products),
                                                       4 * count)]
    anchors = [r for r in anchors if r["available"]][:count]
    out: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for anchor in anchors:
        target = next(r for r in others if r["available"] and all(r is not t for _, t in out)
                      and r["product_type"] != anchor["product_type"])
        out.append((anchor, target))
    return out


async def measure(base: str, world: World, trials: int) -> dict[str, Any]:
    chosen = pairs(world, trials + 1)
    seconds: list[float] = []
    missed = 0
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
        warm = await trial(client, world, *chosen[0])  # loads the model in the worker
        for anchor, target in chosen[1:]:
            found = await trial(client, world, anchor, target)
            if found is None:
                missed += 1
            else:
                seconds.append(found)
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else None
    return {"trials": trials, "missed": missed, "first_with_model_load_s": warm,
            "seconds": [round(s, 3) for s in seconds],
            "p50_s": round(statistics.median(seconds), 3) if seconds else None,
            "p95_s": round(p95, 3) if p95 is not None else None}



def run(trials: int, backend: str) -> Result:
    world = copy_world(build_world(100_000), WORK / "scratch-freshness")
    try:
        env = world.env(AFFINITY_EMBEDDING_BACKEND=backend)
        with serve(env, worker=True, log_name="freshness") as server:
            figures = asyncio.run(measure(server.base, world, trials))
    finally:
        shutil.rmtree(world.folder, ignore_errors=True)
    figures.update({"embedding_backend": backend, "products": world.products})
    p95 = figures["p95_s"]
    result = Result("freshness", figures)
    result.targets = [Target(
        "freshness, products/update webhook to similarProducts, p95", p95, "s", "<= 5",
        p95 is not None and p95 <= 5 and figures["missed"] == 0,
        f"{trials} updates, one at a time; embedding backend {backend}")]
    result.summary = f"p50 {figures['p50_s']} s, p95 {p95} s, missed {figures['missed']}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=TRIALS)
    parser.add_argument("--backend", default="torch", choices=("torch", "onnx", "onnx-int8"))
    args = parser.parse_args()
    started = time.monotonic()
    write_result(run(args.trials, args.backend), started)


if __name__ == "__main__":
    main()
