"""``affinity worker``: embeds changed products and rebuilds their index, retrains the
shops' models on their schedule, and folds events and orders into the KPI rollups
(checking the experiments' guardrails), and, with the events stream on, stores the
storefront events servers appended to it, in the background of the servers (or once,
``--once``). Any number may run: each shop's build and training is led by one of them."""

import argparse
import asyncio
from functools import partial

from app.commands.common import Commands, Database, emit
from app.embeddings.factory import build_embedder
from app.entry_points import catalog_work
from app.event_stream.wiring import stream_writer
from app.measurement import MeasurementWorker
from app.settings import Settings
from app.shared_state.announcements import VersionKind, announce
from app.shared_state.sessions import SharedSessions
from app.shared_state.trend import SharedTrend


def register(commands: Commands) -> None:
    worker = commands.add_parser("worker", help="run the embedding/index/training worker")
    worker.add_argument("--once", action="store_true")
    worker.set_defaults(handler=cmd_worker)


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.ranking.scheduler import ModelTrainer
    from app.worker import CatalogWorker

    async with Database(settings) as db:
        services = db.services()
        # With Redis: new versions announced, and the orders read here move every server's trend.
        link = (services.session_state.link
                if isinstance(services.session_state, SharedSessions) else None)
        trend = SharedTrend(link, services.models.get, feeds_itself=True) if link else None
        if trend is not None:
            services.models.on_load = trend.attach
        worker = CatalogWorker(
            catalog_work(services), lambda: build_embedder(settings),
            announce=partial(announce, link, VersionKind.INDEX) if link else None)
        trainer = ModelTrainer(
            services.sessions, services.models, services.models_dir,
            services.engine_settings.retrain_hours,
            announce=partial(announce, link, VersionKind.MODEL) if link else None,
            publish=services.artefacts.publish_model)
        measurement = MeasurementWorker(db.sessions, settings)
        # With the events stream on, this worker is one of its writers too.
        events = stream_writer(settings, db.sessions) if settings.event_stream else None
        if args.once:
            written = 0
            if events is not None:
                await events.ensure_group()
                written = await events.drain()
            await services.artefacts.check()  # versions built on other machines first
            embedded = await worker.run_once()
            trained = await trainer.run_once()
            folded = await measurement.run_once()
            if trend is not None:
                await trend.publish()
            emit({"embedded": embedded, "trained": trained, "rollups_folded": folded.total,
                  **({"event_entries_written": written} if events is not None else {})})
        else:
            stop = asyncio.Event()
            await asyncio.gather(worker.run_forever(stop), trainer.run_forever(stop),
                                 measurement.run_forever(stop),
                                 services.artefacts.run_forever(stop),
                                 *([trend.run(stop)] if trend is not None else []),
                                 *([events.run_forever(stop)] if events is not None else []))
        if events is not None:
            await events.close()
        if link is not None:
            await link.close()
    return 0
