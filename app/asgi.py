"""The server's composition root: ``create_app(settings)`` wires everything."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.routing import BaseRoute, Route

from app.container import Services, build_services
from app.db import create_engine, create_session_factory, transaction
from app.demo.lookups import demo_image_labels, demo_key_lookup
from app.demo_storefront.routes import STATIC_DIR, demo_routes
from app.embeddings.protocol import Embedder
from app.events.privacy import EventsStore
from app.graphql.schema import build_schema
from app.heap import collect_on_schedule, settle
from app.http.collect import collect_endpoint
from app.http.cors import StorefrontCors
from app.http.graphql_endpoint import StorefrontGraphQL
from app.http.storefront_auth import StorefrontAuth
from app.ids import ShopId
from app.privacy.stores import core_customer_stores
from app.ranking.scheduler import ModelTrainer
from app.settings import Settings
from app.shops.models import SHOP_ACTIVE, Shop
from app.worker import CatalogWorker
from webhooks.ingestion import Ingestion
from webhooks.routes import webhook_routes

log = logging.getLogger(__name__)
EmbedderFactory = Callable[[], Embedder]


async def _storefront_origins(services: Services) -> set[str]:
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            select(Shop.storefront_origins).where(Shop.status == SHOP_ACTIVE)
        )
        return {o.rstrip("/") for (origins,) in rows for o in origins or []}


async def _load_catalogs(services: Services) -> None:
    """Every active shop's catalog into memory, so that no shopper waits for it."""
    try:
        async with transaction(services.sessions) as session:
            shop_ids = list((await session.execute(
                select(Shop.id).where(Shop.status == SHOP_ACTIVE))).scalars())
            for shop_id in shop_ids:
                await services.catalogs.catalog(session, ShopId(shop_id))
        settle()  # long-lived from now on: out of the collector's way
    except Exception:
        log.exception("loading the catalogs failed; they load on first use instead")


def _health(services: Services) -> Callable[[Request], object]:
    async def health(_: Request) -> JSONResponse:
        try:
            async with transaction(services.sessions) as session:
                await session.execute(text("SELECT 1"))
                shop_ids = [r[0] for r in await session.execute(
                    select(Shop.id).where(Shop.status == SHOP_ACTIVE))]
                shops = len(shop_ids)
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        model = services.settings.embedding_model
        served = [services.registry.current(s, model) for s in shop_ids]
        indexed = [s for s in served if s is not None]
        return JSONResponse({
            "status": "ok",
            "database": {"ok": True, "backend": services.engine.dialect.name},
            "index": {
                "model": model,
                "shops": shops,
                "shops_indexed": len(indexed),
                "items": sum(s.index.size for s in indexed),
            },
            # Ready to serve every shop once each active shop's catalog is in memory.
            "catalogs": {"shops": shops,
                         "loaded": len(services.catalogs.loaded.intersection(shop_ids))},
        })

    return health


def create_app(
    settings: Settings,
    embedder_factory: EmbedderFactory | None = None,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    logging.basicConfig(level=settings.log_level)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size,
                           max_overflow=0)
    services = build_services(
        settings, engine, create_session_factory(engine),
        embedder_factory,
    )
    auth = StorefrontAuth(services.sessions)
    graphql = StorefrontGraphQL(build_schema(settings), services, auth, settings.graphiql)
    worker = CatalogWorker(services, services.embedder.get, index_threads=1)
    trainer = ModelTrainer(services.sessions, services.models, services.models_dir,
                           services.engine_settings.retrain_hours)
    ingestion = Ingestion(services, customer_stores=[*core_customer_stores(), EventsStore()])

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop)) if settings.worker_enabled else None
        training = asyncio.create_task(trainer.run_forever(stop)) if settings.worker_enabled else None
        inbox = (asyncio.create_task(ingestion.processor.run_forever(stop))
                 if settings.webhook_processor_enabled else None)
        catalogs = asyncio.create_task(_load_catalogs(services))
        collector = asyncio.create_task(collect_on_schedule(stop))
        settle()
        try:
            yield
        finally:
            stop.set()
            await catalogs
            await collector
            if task is not None:
                await task
            if training is not None:
                await training
            if inbox is not None:
                await inbox
            await ingestion.aclose()
            await engine.dispose()
            services.dispose()

    async def origins() -> set[str]:
        return await _storefront_origins(services)

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", _health(services), methods=["GET"]),
        Route("/collect", collect_endpoint(services, auth), methods=["POST"]),
        Route("/", lambda _: RedirectResponse("/demo"), methods=["GET"]),
        # The carousel for real storefronts: one <script type="module"> tag; CORS per shop.
        Route("/affinity-carousel.js", lambda _: FileResponse(
            STATIC_DIR / "affinity-carousel.js", media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300"}), methods=["GET", "HEAD"]),
        *webhook_routes(services, ingestion),
        *demo_routes(demo_key_lookup(services.sessions),
                     image_label_for=demo_image_labels(services.sessions)),
        *(extra_routes or []),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(StorefrontCors, load_origins=origins)],
    )
    app.state.services = services
    app.state.worker = worker
    app.state.ingestion = ingestion
    return app
