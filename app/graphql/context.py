"""What every resolver receives: the calling shop, what the caller can prove about
customers, and the storefront's services (only those: the resolvers reach nothing else)."""

from dataclasses import dataclass, field

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.snapshot import CatalogSnapshots
from app.events.tracker import EventTracker
from app.graphql.limits import EventAllowance
from app.metrics.registry import Metrics
from app.ranking.service import RecommendationEngine
from app.recommendations.service import Recommender
from app.search.service import SearchReranker
from app.shops.customer_proof import PUBLIC, CustomerProof


@dataclass(frozen=True)
class ShopView:
    """The authenticated shop, detached from any database session."""

    id: int
    domain: str
    currency: str
    platform: str


@dataclass(frozen=True)
class Storefront:
    """The services behind the storefront's queries and mutations (and ``/collect``)."""

    sessions: async_sessionmaker[AsyncSession]
    catalogs: CatalogSnapshots
    recommender: Recommender
    ranker: RecommendationEngine
    reranker: SearchReranker
    tracker: EventTracker
    metrics: Metrics | None = None
    """Counts the events stored and refused (``GET /metrics``)."""
    reading_sessions: async_sessionmaker[AsyncSession] | None = None
    """Sessions for the read-only carousels and searches (``reading_session_factory``;
    none: ``sessions``)."""

    @property
    def readers(self) -> async_sessionmaker[AsyncSession]:
        return self.reading_sessions or self.sessions


@dataclass
class Context:
    shop: ShopView
    services: Storefront
    proof: CustomerProof = PUBLIC
    """Whether this caller may name a customer (``app.shops.customer_proof``)."""
    client_address: str | None = None
    """The caller's network address (``None``: unknown, or the shop's own server)."""
    events: EventAllowance = field(default_factory=EventAllowance)
    """The events this HTTP request may still store (``app.graphql.limits``)."""
    started: float | None = None
    """``time.perf_counter()`` when the request arrived: served lists record their latency
    from it (``None``: from the resolver's call)."""


Info = strawberry.Info[Context, None]
