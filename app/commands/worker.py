"""``affinity worker``: embeds changed products and rebuilds their index, in the background
of the servers (or once, ``--once``)."""

import argparse
import asyncio

from app.commands.common import Commands, Database, emit
from app.embeddings.factory import build_embedder
from app.entry_points import catalog_work
from app.settings import Settings


def register(commands: Commands) -> None:
    worker = commands.add_parser("worker", help="run the embedding/index worker")
    worker.add_argument("--once", action="store_true")
    worker.set_defaults(handler=cmd_worker)


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.worker import CatalogWorker

    async with Database(settings) as db:
        worker = CatalogWorker(catalog_work(db.services()), lambda: build_embedder(settings))
        if args.once:
            emit({"embedded": await worker.run_once()})
        else:
            await worker.run_forever(asyncio.Event())
    return 0
