"""Keep the garbage collector off the request path's back.

A server holds a large, long-lived heap (the embedding model's modules, model artefacts,
the schema, SQLAlchemy's mappers). CPython's full collections walk all of it, again and
again, while requests wait. Once such state is loaded, ``settle`` collects what is garbage
and moves everything still alive into the permanent generation, which collections skip;
objects created afterwards are collected as usual."""

import gc
import threading

_lock = threading.Lock()
# Young collections every 50,000 net allocations instead of 700: a request allocates
# thousands of short-lived objects, nearly all freed by reference counting anyway.
SERVER_THRESHOLDS = (50_000, 20, 100)


def settle() -> None:
    with _lock:
        gc.collect()
        gc.freeze()


def tune_for_serving() -> None:
    gc.set_threshold(*SERVER_THRESHOLDS)
    settle()
