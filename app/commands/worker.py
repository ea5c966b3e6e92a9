"""``affinity worker``: embeds changed products and rebuilds their index, and folds events
and orders into the KPI rollups (checking the experiments' guardrails), in the background
of the servers (or once, ``--once``)."""

import argparse
import asyncio

from app.commands.common import Commands, Database, emit
from app.embeddings.factory import build_embedder
from app.entry_points import catalog_work
from app.measurement import MeasurementWorker
from app.settings import Settings


def register(commands: Commands) -> None:
    worker = commands.add_parser("worker", help="run the embedding/index worker")
    worker.add_argument("--once", action="store_true")
    worker.set_defaults(handler=cmd_worker)


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.worker import CatalogWorker

    async with Database(settings) as db:
        worker = CatalogWorker(catalog_work(db.services()), lambda: build_embedder(settings))
        measurement = MeasurementWorker(db.sessions, settings)
        if args.once:
            embedded = await worker.run_once()
            folded = await measurement.run_once()
            emit({"embedded": embedded, "rollups_folded": folded.total})
        else:
            stop = asyncio.Event()
            await asyncio.gather(worker.run_forever(stop), measurement.run_forever(stop))
    return 0
