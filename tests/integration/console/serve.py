"""``python -m tests.integration.console.serve --port N``: the server as ``affinity serve``
builds it (console, admin API, storefront), on the port the browser test chose."""

import argparse

import uvicorn

from app.asgi import create_app
from app.settings import Settings

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings().model_copy(update={"host": args.host, "port": args.port})
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
