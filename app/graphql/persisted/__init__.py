"""Persisted queries: the non-personalized documents the server ships, runnable by id over
``GET /graphql`` so that a CDN can cache their answers (``docs/edge-caching.md``)."""

from app.graphql.persisted.documents import SHIPPED
from app.graphql.persisted.registry import (
    InvalidVariables,
    PersistedQueries,
    PersistedQuery,
    PersistedQueryError,
    PersonalizedVariables,
    UnknownPersistedQuery,
)

__all__ = ["InvalidVariables", "PersistedQueries", "PersistedQuery", "PersistedQueryError",
           "PersonalizedVariables", "UnknownPersistedQuery", "shipped_queries"]


def shipped_queries() -> PersistedQueries:
    """The registry of the documents this server ships."""
    return PersistedQueries(SHIPPED)
