"""Keep the garbage collector off the request path's back.

A server holds a large, long-lived heap (the embedding model's modules, model artefacts,
the schema, SQLAlchemy's mappers). CPython's full collections walk all of it, again and
again, while requests wait. In a server process (``affinity serve`` calls
``tune_for_serving``), ``settle`` runs once such state is loaded: it collects what is
garbage and moves everything still alive into the permanent generation, which collections
skip; objects created afterwards are collected as usual. Elsewhere (tests, jobs, the CLI)
the collector keeps its defaults and ``settle`` does nothing."""

import gc
import threading

_lock = threading.Lock()
_serving = False
# Young collections every 2,000 net allocations instead of 700. A request leaves a couple
# of hundred objects in reference cycles (GraphQL execution state) that only a collection
# frees; a much larger young generation (50,000 was tried) made each collection tear down
# tens of thousands of them at once: 100 ms pauses every second or two at 200 requests/s.
SERVER_THRESHOLDS = (2000, 20, 100)


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
