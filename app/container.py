"""The long-lived collaborators built once by a composition root and handed down."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.index.neighbours import ContentNeighbours
from app.index.registry import IndexRegistry
from app.recommendations.popularity import PopularityCache
from app.recommendations.service import Recommender
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


def build_services(
    settings: Settings, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> Services:
    registry = IndexRegistry(settings.index_dir, search_k=settings.annoy_search_k)
    neighbours = ContentNeighbours(registry, settings.embedding_model)
    popularity = PopularityCache()
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        registry=registry,
        neighbours=neighbours,
        popularity=popularity,
        recommender=Recommender(neighbours, popularity),
    )
