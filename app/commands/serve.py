"""``affinity serve``: the GraphQL server, tuned for serving, in the foreground.

``--workers N`` (N > 1) runs N serving processes on one port (uvicorn's supervisor; the
kernel spreads connections among them). Each one maps the same index and model files, so
the memory of an index is shared between them. The background roles (embedding, index
builds, training, KPI rollups, the webhook inbox) are then off in every serving process:
they run once, in ``affinity worker`` and ``affinity inbox process --forever`` started next
to the servers (as ``make cluster`` and docker-compose.yml do)."""

import argparse
import logging
import os

from starlette.applications import Starlette

from app.commands.common import Commands
from app.settings import Settings

log = logging.getLogger("affinity")
# Passed to the serving processes through their environment, read by ``serving_app``.
BACKGROUND_OFF = {"AFFINITY_WORKER_ENABLED": "false",
                  "AFFINITY_WEBHOOK_PROCESSOR_ENABLED": "false"}


def register(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=_process_count, default=1,
                       help="serving processes on the one port (default 1: all-in-one, "
                            "the background roles included)")


def _process_count(value: str) -> int:
    count = int(value)
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError("between 1 and 64 processes")
    return count


def serving_app() -> Starlette:
    """The app of one serving process, its settings read from the environment (uvicorn's
    factory for ``--workers``: each process imports and builds its own)."""
    from app.asgi import create_app

    _tune()
    return create_app(Settings())


def _tune() -> None:
    from app.process.cpu import limit_for_serving
    from app.process.heap import tune_for_serving

    tune_for_serving()
    limit_for_serving()


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Blocks until the server stops; uvicorn runs its own event loop."""
    import uvicorn

    host, port = args.host or settings.host, args.port or settings.port
    log.info("serving on http://%s:%s%s", host, port,
             " (GraphiQL at /graphql)" if settings.demo_mode else "")
    # Open requests get a few seconds on SIGTERM, then are cut: shutdown never waits long
    # on a client that keeps a connection busy.
    if args.workers > 1:
        os.environ.update({"AFFINITY_HOST": host, "AFFINITY_PORT": str(port), **BACKGROUND_OFF})
        log.info("%d serving processes; the background roles run in `affinity worker` and "
                 "`affinity inbox process --forever`", args.workers)
        uvicorn.run("app.commands.serve:serving_app", factory=True, workers=args.workers,
                    host=host, port=port, log_level="warning", server_header=False,
                    timeout_graceful_shutdown=settings.shutdown_timeout_seconds)
        return 0
    from app.asgi import create_app

    app_settings = settings.model_copy(update={"host": host, "port": port})
    _tune()
    uvicorn.run(create_app(app_settings), host=host, port=port, log_level="warning",
                server_header=False, timeout_graceful_shutdown=settings.shutdown_timeout_seconds)
    return 0
