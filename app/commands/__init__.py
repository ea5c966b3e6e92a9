"""``affinity``: the command line, one module per area. Commands are thin: parse, open a
transaction, call one service; they print JSON lines on stdout and logs on stderr.

An expected failure (an ``AppError``) prints ``error [CODE]: message`` and exits 2."""

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable

from app.commands import (
    catalog,
    demo,
    engine,
    events,
    kpis,
    migrate,
    privacy,
    secrets,
    serve,
    shops,
    simulate,
    webhooks,
    worker,
)
from app.commands.common import Commands, Handler
from app.crypto.file_modes import keep_new_files_private
from app.errors import AppError
from app.settings import Settings

# In the order ``affinity --help`` lists them.
REGISTRATIONS: tuple[Callable[[Commands], None], ...] = (
    serve.register, migrate.register, shops.register, catalog.register, demo.register,
    worker.register, events.register, webhooks.register, secrets.register, privacy.register,
    engine.register, kpis.register, simulate.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="affinity", description="Affinity personalization engine")
    commands = parser.add_subparsers(dest="command", required=True)
    for register in REGISTRATIONS:
        register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    keep_new_files_private()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "serve":  # uvicorn runs its own event loop
        return serve.cmd_serve(args, settings)
    try:
        handler: Handler = args.handler
        return asyncio.run(handler(args, settings))
    except AppError as exc:
        sys.stderr.write(f"error [{exc.code.value}]: {exc.message}\n")
        return 2
