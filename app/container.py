"""The long-lived collaborators built once by a composition root and handed down."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.embeddings.lazy import LazyEmbedder
from app.embeddings.protocol import Embedder
from app.index.neighbours import ContentNeighbours
from app.index.registry import IndexRegistry
from app.recommendations.popularity import PopularityCache
from app.recommendations.service import Recommender
from app.search.purchase_affinity import PurchaseHistoryAffinity
from app.search.query_vectors import QueryVectors
from app.search.service import SearchReranker
from app.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    registry: IndexRegistry
    neighbours: ContentNeighbours
    popularity: PopularityCache
    recommender: Recommender
    embedder: LazyEmbedder
    reranker: SearchReranker


def _default_embedder(settings: Settings) -> Callable[[], Embedder]:
    def load() -> Embedder:
        from app.embeddings.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)

    return load


def build_services(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    embedder_factory: Callable[[], Embedder] | None = None,
) -> Services:
    registry = IndexRegistry(settings.index_dir, search_k=settings.annoy_search_k)
    neighbours = ContentNeighbours(registry, settings.embedding_model)
    popularity = PopularityCache()
    embedder = LazyEmbedder(embedder_factory or _default_embedder(settings))
    reranker = SearchReranker(
        QueryVectors(embedder),
        PurchaseHistoryAffinity(settings.embedding_model),
        settings.embedding_model,
        unavailable=settings.search_unavailable,
    )
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        registry=registry,
        neighbours=neighbours,
        popularity=popularity,
        recommender=Recommender(neighbours, popularity),
        embedder=embedder,
        reranker=reranker,
    )
