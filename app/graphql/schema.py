"""The GraphQL schema: feature query types merged, protective extensions on."""

import strawberry
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from app.graphql.catalog import CatalogQuery
from app.graphql.errors import ErrorCodes, should_mask
from app.graphql.recommendations import RecommendationQuery
from app.graphql.search import SearchQuery
from app.settings import Settings


@strawberry.type
class Query(CatalogQuery, RecommendationQuery, SearchQuery):
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(auto_camel_case=True),
        # Factories: a fresh extension per request (the parse/validation caches are shared).
        extensions=[
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            ErrorCodes,
            lambda: MaskErrors(should_mask_error=should_mask),
        ],
    )
