"""Each entry point's typed dependencies, cut from the process's services by a composition
root (``app.asgi``, the command line): an edge receives what it uses, never the whole set."""

from app.container import Services
from app.graphql.context import Storefront
from app.http.health import OperatorView
from app.http.public_answers import AnswerSources
from app.ingestion.dependencies import IngestionDependencies
from app.metrics.registry import Metrics
from app.metrics.state import ScrapeSources
from app.storage.reads import SessionReads
from app.worker import CatalogWork


def storefront(services: Services, metrics: Metrics | None = None) -> Storefront:
    return Storefront(sessions=services.sessions, catalogs=services.catalogs,
                      recommender=services.recommender, ranker=services.ranker,
                      reranker=services.reranker, tracker=services.tracker, metrics=metrics,
                      reading_sessions=services.reading_sessions)


def scrape_sources(services: Services) -> ScrapeSources:
    return ScrapeSources(sessions=services.sessions, index_dir=services.settings.index_dir,
                         embedding_model=services.settings.embedding_model,
                         models_dir=services.models_dir)


def answer_sources(services: Services) -> AnswerSources:
    return AnswerSources(sessions=services.sessions, catalogs=services.catalogs,
                         registry=services.registry, models=services.models,
                         embedding_model=services.settings.embedding_model)


def operator_view(services: Services) -> OperatorView:
    return OperatorView(settings=services.settings, backend=services.engine.dialect.name,
                        fast_paths=not isinstance(services.reads, SessionReads),
                        sessions=services.sessions,
                        registry=services.registry, catalogs=services.catalogs)


def catalog_work(services: Services) -> CatalogWork:
    return CatalogWork(settings=services.settings, sessions=services.sessions,
                       neighbours=services.neighbours, artefacts=services.artefacts)


def ingestion_dependencies(services: Services) -> IngestionDependencies:
    return IngestionDependencies(
        settings=services.settings, sessions=services.sessions, writes=services.writes,
        secrets=services.secrets, single_writer=services.engine.dialect.name == "sqlite",
        registry=services.registry, catalogs=services.catalogs)
