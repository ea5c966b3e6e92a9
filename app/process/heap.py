"""Keep the garbage collector off the request path's back.

A server holds a large, long-lived heap (the embedding model's modules, model artefacts,
the schema, SQLAlchemy's mappers). CPython's full collections walk all of it, again and
again, while requests wait. In a server process (``affinity serve`` calls
``tune_for_serving``), ``settle`` runs once such state is loaded: it collects what is
garbage and moves everything still alive into the permanent generation, which collections
skip; objects created afterwards are collected as usual.

What a server keeps after that (the shared views of up to 20,000 catalog rows, query
vectors, shoppers' scores) is still walked by every full collection: about 77,000 objects
once every serving path has been used, 35–74 ms in-process and 89 ms in a busy server.
CPython starts one whenever enough objects have survived into the oldest generation, which
the caches' turnover ensures every few seconds under load. In a server, full collections
run on a schedule instead (``collect_on_schedule``, every ``FULL_COLLECTION_SECONDS``):
request state in reference cycles is freed by the young collections long before it could
reach the oldest generation, so little waits for the next full one.

Elsewhere (tests, jobs, the CLI) the collector keeps its defaults, and ``settle`` and
``collect_on_schedule`` do nothing."""

import asyncio
import gc
import threading
from contextlib import suppress

_lock = threading.Lock()
_serving = False
# Young collections every 2,000 net allocations instead of 700. A request leaves a couple
# of hundred objects in reference cycles (GraphQL execution state) that only a collection
# frees; a much larger young generation (50,000 was tried) made each collection tear down
# tens of thousands of them at once: 100 ms pauses every second or two at 200 requests/s.
# No full collection by count (it would take a million middle-generation collections).
SERVER_THRESHOLDS = (2000, 20, 1_000_000)
FULL_COLLECTION_SECONDS = 300.0


def settle() -> None:
    if not _serving:
        return
    with _lock:
        gc.collect()
        gc.freeze()


def tune_for_serving() -> None:
    global _serving
    _serving = True
    gc.set_threshold(*SERVER_THRESHOLDS)
    settle()


async def collect_on_schedule(stop: asyncio.Event,
                              seconds: float = FULL_COLLECTION_SECONDS) -> None:
    """A full collection every ``seconds`` until ``stop`` is set (in a server only)."""
    if not _serving:
        return
    while not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        if not stop.is_set():
            with _lock:
                gc.collect()
