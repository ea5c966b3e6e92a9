"""The long-lived collaborators built once by a composition root (``app.asgi``, the command
line), which cuts each entry point's typed share of them (``app.entry_points``).

Building them opens the secret box: the key from the settings, else the data folder's key
file. The process's file modes are the composition root's to set
(``app.crypto.file_modes.keep_new_files_private``), before anything is built."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.artefacts.fetch import ArtefactSync
from app.artefacts.privacy import PublishedArtefacts
from app.artefacts.wiring import artefact_sync
from app.attribution.privacy import RollupsStore
from app.catalog.snapshot import CatalogSnapshots, watch_catalog_writes
from app.crypto.secret_box import SecretBox, install_key
from app.customer_data import CustomerDataStore
from app.embeddings.factory import embedder_factory as default_embedder_factory
from app.embeddings.lazy import LazyEmbedder
from app.embeddings.protocol import Embedder
from app.event_stream.wiring import stream_publisher
from app.events.privacy import EventsStore
from app.events.rankings import RankingRecorder
from app.events.sources import SourceHasher
from app.events.tracker import EventTracker
from app.experiments.directory import ExperimentDirectory
from app.index.neighbours import ContentNeighbours
from app.index.registry import IndexRegistry
from app.ingestion.privacy import core_customer_stores
from app.privacy.engine_state import EngineStateStore
from app.profiles.session_state import SessionState, SessionStore
from app.ranking.blend import load_weights
from app.ranking.exploration.strategies import exploration_strategy
from app.ranking.service import RecommendationEngine
from app.ranking.settings import EngineSettings
from app.ranking.store import ModelStore
from app.recommendations.service import Recommender
from app.rules.directory import RuleDirectory
from app.rules.preview import RulePreviewer
from app.search.engine_affinity import EngineAffinity
from app.search.model import load_search_model
from app.search.purchase_affinity import PurchaseHistoryAffinity
from app.search.query_vectors import QueryVectors
from app.search.service import SearchReranker
from app.settings import Settings
from app.shared_state.connection import RedisLink
from app.shared_state.query_vectors import SharedQueryVectors
from app.shared_state.sessions import SharedSessions
from app.storage.database import reading_session_factory
from app.storage.reads import Reads, reads_for
from app.storage.writes import Writes, writes_for


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    registry: IndexRegistry
    catalogs: CatalogSnapshots
    neighbours: ContentNeighbours
    recommender: Recommender
    embedder: LazyEmbedder
    reranker: SearchReranker
    engine_settings: EngineSettings
    session_state: SessionState
    models: ModelStore
    ranker: RecommendationEngine
    tracker: EventTracker
    reads: Reads
    """Where the request path's shopper-history reads run (``app.storage.reads``)."""
    writes: Writes
    """Where the request path's writes run: storefront events, webhook claims, served lists
    (``app.storage.writes``)."""
    secrets: SecretBox
    """Encrypts the secrets stored in the database (webhook secrets, platform tokens)."""
    engine_state: EngineStateStore
    """Erases customers and shops from model artefacts, index files and memory."""
    experiments: ExperimentDirectory
    """Who is in the shop's holdout and in which variant of a running experiment (memory)."""
    rules: RulePreviewer
    """Each shop's merchandising rules and settings (memory), and their preview."""
    artefacts: ArtefactSync
    """Publishes the index and model versions built here, fetches those built elsewhere
    (``settings.artefact_store``; ``local``: nothing to do)."""
    reading_sessions: async_sessionmaker[AsyncSession]
    """Sessions for the request path's read-only units of work (``reading_session_factory``)."""

    def dispose(self) -> None:
        """Close what the services hold besides the engine (threads, extra connections)."""
        self.reads.dispose()
        self.writes.dispose()

    @property
    def models_dir(self) -> Path:
        return self.engine_settings.models_dir or self.settings.data_dir / "models"


def build_services(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    embedder_factory: Callable[[], Embedder] | None = None,
    engine_settings: EngineSettings | None = None,
) -> Services:
    key = install_key(settings)
    tuning = engine_settings or EngineSettings()
    local_sessions = SessionStore(ttl_seconds=tuning.session_ttl_seconds)
    # With Redis, each process's sessions are kept in step with the others' (reads stay local).
    link = RedisLink.from_url(settings.redis_url) if settings.redis_url else None
    session_state: SessionState = (
        SharedSessions(local_sessions, link, tuning.session_ttl_seconds)
        if link is not None else local_sessions)
    models_dir = tuning.models_dir or settings.data_dir / "models"
    models = ModelStore(models_dir)
    registry = IndexRegistry(settings.index_dir, search_k=settings.annoy_search_k)
    reads = reads_for(settings.database_url, settings.sqlite_fast_paths)
    catalogs = CatalogSnapshots(settings.catalog_refresh_seconds, reads)
    watch_catalog_writes(sessions, catalogs.written)
    neighbours = ContentNeighbours(registry, settings.embedding_model, catalogs, reads)
    embedder = LazyEmbedder(embedder_factory or default_embedder_factory(settings))
    weights = load_weights(tuning.weights_file) if tuning.weights_file else load_weights()
    writes = writes_for(settings.database_url, sessions, settings.sqlite_fast_paths)
    served = RankingRecorder(writes)
    experiments = ExperimentDirectory(settings.holdout_share)
    shop_rules = RuleDirectory()
    reranker = SearchReranker(
        SharedQueryVectors(embedder, link, settings.embedding_model)
        if link is not None else QueryVectors(embedder),
        EngineAffinity(models, session_state, weights,
                       PurchaseHistoryAffinity(neighbours, catalogs), reads),
        neighbours,
        catalogs,
        load_search_model(),
        unavailable=settings.search_unavailable,
        served=served,
        variants=experiments,
        shop_rules=shop_rules,
    )
    ranker = RecommendationEngine(models, neighbours, catalogs, session_state, weights,
                                  tuning.rules(), reads=reads, served=served,
                                  variants=experiments, shop_rules=shop_rules,
                                  exploration=exploration_strategy(
                                      tuning.exploration, tuning.exploration_refresh_seconds))
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        registry=registry,
        neighbours=neighbours,
        catalogs=catalogs,
        recommender=Recommender(neighbours, catalogs),
        embedder=embedder,
        reranker=reranker,
        engine_settings=tuning,
        session_state=session_state,
        models=models,
        ranker=ranker,
        tracker=EventTracker(tuning.consent(), [session_state], writes, SourceHasher(key),
                             stream_publisher(settings, link, SourceHasher(key))),
        reads=reads,
        writes=writes,
        secrets=SecretBox(key),
        engine_state=EngineStateStore(models_dir, settings.index_dir, session_state, models,
                                      registry),
        experiments=experiments,
        rules=RulePreviewer(ranker, shop_rules),
        artefacts=artefact_sync(settings, sessions, models_dir, registry.recheck, models.recheck),
        reading_sessions=reading_session_factory(engine),
    )


def customer_stores(services: Services) -> list[CustomerDataStore]:
    """Every place customer data lives: the database's stores, then the files and memory."""
    # The rollups' store reads the visitor links that the events' store deletes: first.
    return [*core_customer_stores(), RollupsStore(), EventsStore(), services.engine_state,
            # After the files: publishes the rewrite the engine's files store made.
            PublishedArtefacts(services.artefacts, services.models_dir, services.models.forget)]
