"""``affinity serve``: the GraphQL server, tuned for serving, in the foreground."""

import argparse
import logging

from app.commands.common import Commands
from app.settings import Settings

log = logging.getLogger("affinity")


def register(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Blocks until the server stops; uvicorn runs its own event loop."""
    import uvicorn

    host, port = args.host or settings.host, args.port or settings.port
    overrides = {"host": host, "port": port}
    app_settings = settings.model_copy(update=overrides)
    from app.asgi import create_app
    from app.process.cpu import limit_for_serving
    from app.process.heap import tune_for_serving

    tune_for_serving()
    limit_for_serving()
    log.info("serving on http://%s:%s%s", host, port,
             " (GraphiQL at /graphql)" if settings.demo_mode else "")
    # Open requests get a few seconds on SIGTERM, then are cut: shutdown never waits long
    # on a client that keeps a connection busy.
    uvicorn.run(create_app(app_settings), host=host, port=port, log_level="warning",
                server_header=False, timeout_graceful_shutdown=settings.shutdown_timeout_seconds)
    return 0
