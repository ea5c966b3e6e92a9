"""The server's composition root: ``create_app(settings)`` wires everything."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from pydantic import SecretStr
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, RedirectResponse
from starlette.routing import BaseRoute, Route

from app.admin.auth import AdminAuth
from app.admin.routes import admin_routes
from app.admin.settings import health_sources
from app.artefacts.protocol import ArtefactKind
from app.console.guard import shop_of_session_token
from app.console.routes import console_routes
from app.container import Services, build_services, customer_stores
from app.crypto.file_modes import keep_new_files_private, private_folder
from app.demo.lookups import demo_image_labels, demo_key_lookup
from app.demo_storefront.routes import STATIC_DIR, demo_routes
from app.embeddings.protocol import Embedder
from app.entry_points import (
    answer_sources,
    catalog_work,
    ingestion_dependencies,
    operator_view,
    scrape_sources,
    storefront,
)
from app.event_stream.wiring import stream_writer
from app.graphql.schema import build_schema
from app.http.collect import collect_endpoint
from app.http.cors import StorefrontCors
from app.http.edge_cache import CachePolicy
from app.http.graphql_endpoint import StorefrontGraphQL
from app.http.health import health_endpoint
from app.http.public_answers import PublicAnswers
from app.http.rate_limit import RateLimits
from app.http.readiness import readiness_endpoint
from app.http.security import SecurityHeaders, trusted_hosts
from app.http.security import own_origins as own_origins_of
from app.http.shopify_proxy import shopify_proxy_routes
from app.http.storefront_auth import StorefrontAuth
from app.ids import ShopId
from app.measurement import MeasurementWorker
from app.metrics.registry import Metrics
from app.metrics.routes import metrics_routes
from app.metrics.webhooks import instrument_webhook_routes
from app.process.heap import collect_on_schedule, settle
from app.ranking.scheduler import ModelTrainer
from app.settings import Settings
from app.shared_state.announcements import VersionKind, announce
from app.shared_state.answers import SharedAnswers
from app.shared_state.sessions import SharedSessions
from app.shared_state.wiring import share_state
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import create_engine, create_session_factory, transaction
from app.sync.credentials import seal_stored_secrets
from app.worker import CatalogWorker
from webhooks.ingestion import Ingestion
from webhooks.routes import webhook_routes
from webhooks.shopify_app.config import ShopifyAppConfig
from webhooks.shopify_app.installer import ShopifyInstaller
from webhooks.shopify_app.routes import shopify_app_routes

log = logging.getLogger(__name__)
EmbedderFactory = Callable[[], Embedder]


async def _storefront_origins(services: Services) -> set[str]:
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            select(Shop.storefront_origins).where(Shop.status == SHOP_ACTIVE)
        )
        return {o.rstrip("/") for (origins,) in rows for o in origins or []}


async def _load_catalogs(services: Services) -> None:
    """Every active shop's catalog into memory and its index mapped, so that no shopper
    waits for them (``/health/ready`` says when it is done)."""
    try:
        async with transaction(services.sessions) as session:
            shop_ids = list((await session.execute(
                select(Shop.id).where(Shop.status == SHOP_ACTIVE))).scalars())
            for shop_id in shop_ids:
                await services.catalogs.catalog(session, ShopId(shop_id))
                services.registry.current(shop_id, services.settings.embedding_model)
        settle()  # long-lived from now on: out of the collector's way
    except Exception:
        log.exception("loading the catalogs failed; they load on first use instead")


async def _seal_secrets(services: Services) -> None:
    """Secrets stored before encryption existed are encrypted now; a key that does not open
    the stored ones stops the start (``SecretKeyError``) instead of failing every delivery."""
    async with transaction(services.sessions) as session:
        sealed = await seal_stored_secrets(session, services.secrets)
    if sealed:
        log.info("secrets of %d shops encrypted at rest", sealed)


def _demo_routes(services: Services) -> list[BaseRoute]:
    return [Route("/", lambda _: RedirectResponse("/demo"), methods=["GET"]),
            *demo_routes(demo_key_lookup(services.sessions),
                         image_label_for=demo_image_labels(services.sessions))]


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def create_app(
    settings: Settings,
    embedder_factory: EmbedderFactory | None = None,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    logging.basicConfig(level=settings.log_level)
    keep_new_files_private()  # the database, key file, indexes and models: 0600 in 0700
    private_folder(settings.data_dir)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size,
                           max_overflow=0)
    services = build_services(
        settings, engine, create_session_factory(engine),
        embedder_factory,
    )
    own_origins = own_origins_of(settings.host, settings.port, settings.public_url)
    auth = StorefrontAuth(services.sessions, services.secrets, own_origins)
    limits = RateLimits(settings)  # one per process: /graphql and /collect count together
    shared = (share_state(services.session_state, limits, {
        # A shared artefact store fetches the announced version first (``app.artefacts``).
        VersionKind.INDEX: services.artefacts.announced(ArtefactKind.INDEX),
        VersionKind.MODEL: services.artefacts.announced(ArtefactKind.MODEL),
    }, services.models.get, feeds_itself=settings.worker_enabled)
        if isinstance(services.session_state, SharedSessions) else None)  # AFFINITY_REDIS_URL
    if shared is not None:
        services.models.on_load = shared.trend.attach
    metrics = Metrics()  # the app's own registry (PROMETHEUS_MULTIPROC_DIR: shared files)
    shop_facing = storefront(services, metrics)
    # With Redis, each non-personalized answer is computed once for every server process.
    answers = (PublicAnswers(SharedAnswers(shared.link, settings.edge_cache_max_age_seconds),
                             answer_sources(services)) if shared is not None else None)
    graphql = StorefrontGraphQL(build_schema(settings, metrics), shop_facing, settings, auth,
                                settings.demo_mode, limits, cache_policy=CachePolicy(
                                    settings.edge_cache_max_age_seconds,
                                    settings.edge_cache_stale_seconds), answers=answers)
    worker = CatalogWorker(
        catalog_work(services), services.embedder.get, index_threads=1,
        announce=partial(announce, shared.link, VersionKind.INDEX) if shared else None)
    trainer = ModelTrainer(
        services.sessions, services.models, services.models_dir,
        services.engine_settings.retrain_hours,
        announce=partial(announce, shared.link, VersionKind.MODEL) if shared else None,
        publish=services.artefacts.publish_model)
    # One failed-log-in limit for the API and the console; App Bridge session tokens open
    # both when the Shopify app is configured.
    admin_auth = AdminAuth(services.sessions, session_tokens=partial(
        shop_of_session_token, services.sessions, settings))
    measurement = MeasurementWorker(services.sessions, settings, services.experiments,
                                    services.writes)
    # With the events stream on, a server running the worker stores the stream's events too.
    events_writer = (stream_writer(settings, services.sessions)
                     if settings.event_stream and settings.worker_enabled else None)
    ingestion = Ingestion(ingestion_dependencies(services),
                          customer_stores=customer_stores(services))
    shopify_app = ShopifyAppConfig.from_settings(settings)
    installer = (ShopifyInstaller(shopify_app, services.sessions, services.secrets)
                 if shopify_app is not None else None)  # the one-click install: off unless set

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            await _seal_secrets(services)
        except BaseException:  # the server does not start: release what it holds
            await engine.dispose()
            services.dispose()
            raise
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop)) if settings.worker_enabled else None
        training = asyncio.create_task(trainer.run_forever(stop)) if settings.worker_enabled else None
        rollups = (asyncio.create_task(measurement.run_forever(stop))
                   if settings.worker_enabled else None)
        writing = (asyncio.create_task(events_writer.run_forever(stop))
                   if events_writer is not None else None)
        inbox = (asyncio.create_task(ingestion.processor.run_forever(stop))
                 if settings.webhook_processor_enabled else None)
        catalogs = asyncio.create_task(_load_catalogs(services))
        collector = asyncio.create_task(collect_on_schedule(stop))
        sharing = asyncio.create_task(shared.run(stop)) if shared is not None else None
        fetching = asyncio.create_task(services.artefacts.run_forever(stop))
        settle()
        try:
            yield
        finally:
            stop.set()
            await catalogs
            await collector
            await fetching
            if sharing is not None and shared is not None:
                await sharing
                await shared.close()
            if task is not None:
                await task
            if training is not None:
                await training
            if rollups is not None:
                await rollups
            if writing is not None and events_writer is not None:
                await writing
                await events_writer.close()
            if inbox is not None:
                await inbox
            await ingestion.aclose()
            if installer is not None:
                await installer.aclose()  # cancels and awaits the backfills it started
            await engine.dispose()
            services.dispose()

    async def origins() -> set[str]:
        return await _storefront_origins(services)

    collect = collect_endpoint(shop_facing.tracker, settings, auth, limits, metrics)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health_endpoint(operator_view(services)), methods=["GET"]),
        Route("/health/ready", readiness_endpoint(operator_view(services)), methods=["GET"]),
        Route("/collect", collect, methods=["POST"]),
        *shopify_proxy_routes(auth, _secret(settings.shopify_api_secret), graphql, collect),
        # The carousel for real storefronts: one <script type="module"> tag; CORS per shop.
        Route("/affinity-carousel.js", lambda _: FileResponse(
            STATIC_DIR / "affinity-carousel.js", media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300"}), methods=["GET", "HEAD"]),
        *instrument_webhook_routes(webhook_routes(ingestion), metrics),
        *shopify_app_routes(installer),
        *admin_routes(services.sessions, settings, admin_auth, rules=services.rules,
                      engine_settings=services.engine_settings),
        *console_routes(services.sessions, settings, admin_auth,
                        rule_defaults=services.engine_settings.rules(),
                        health_sources=health_sources(settings, services.models_dir,
                                                      services.engine_settings.retrain_hours),
                        rule_preview=services.rules),
        *metrics_routes(metrics, scrape_sources(services), settings),
        # The demo hands out the demo shop's storefront key: never on a production server.
        *(_demo_routes(services) if settings.demo_mode else []),
        *(extra_routes or []),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=trusted_hosts(
                settings.allowed_hosts, settings.host, settings.public_url)),
            Middleware(StorefrontCors, load_origins=origins, own_origins=own_origins),
        ],
    )
    app.state.services = services
    app.state.metrics = metrics
    app.state.answers = answers
    app.state.worker = worker
    app.state.ingestion = ingestion
    return app
