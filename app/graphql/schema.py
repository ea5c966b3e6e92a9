"""The GraphQL schema: feature query types merged, protective extensions on."""

import strawberry
from strawberry.extensions import (
    AddValidationRules,
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
from app.graphql.events import EventMutation
from app.graphql.execution import PlainDataExecutionContext
from app.graphql.recommendations import RecommendationQuery
from app.graphql.search import SearchQuery
from app.settings import Settings


@strawberry.type
class Query(CatalogQuery, RecommendationQuery, SearchQuery):
    pass


@strawberry.type
class Mutation(EventMutation):
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    # The limits' validation rules are made once: the validation cache is keyed by the rule
    # classes, and a limiter built per request makes new ones (every request a miss).
    limits = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=PlainDataExecutionContext,
        # Factories: a fresh extension per request (the parse/validation caches are shared).
        extensions=[
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: AddValidationRules(limits),
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            ErrorCodes,
            lambda: MaskErrors(should_mask_error=should_mask),
        ],
    )
