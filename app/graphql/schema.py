"""The GraphQL schema: feature query types merged, protective extensions on, the fast path
as the setting says."""

from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry import Schema
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.graphql.catalog import CatalogQuery
from app.graphql.errors import ErrorCodes, log_error, should_mask
from app.graphql.events import EventMutation
from app.graphql.fast import use_fast_path
from app.graphql.limits import DocumentSize, DocumentSizeLimit, alias_rule, depth_rule
from app.graphql.recommendations import RecommendationQuery
from app.graphql.search import SearchQuery
from app.metrics.graphql import OperationTimings
from app.metrics.registry import Metrics
from app.settings import Settings


@strawberry.type
class Query(CatalogQuery, RecommendationQuery, SearchQuery):
    pass


@strawberry.type
class Mutation(EventMutation):
    pass


class QuietSchema(Schema):
    """Logs errors by ``log_error``: strawberry's own logging writes the whole query and
    its variables with every error."""

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            log_error(error)


def protective_extensions(settings: Settings, cache_size: int) -> list[Any]:
    """The extensions that bound a request's cost and keep its errors to their codes, in
    their order: tokens, the parse cache, the document's size, the validation cache, depth
    and aliases, error codes, masking. Factories: a fresh extension per request (the caches
    are shared)."""
    # The limits' validation rules are made once: the validation cache is keyed by the rule
    # classes, and rules made per request would make every request a miss.
    limits: list[type[ASTValidationRule]] = [depth_rule(settings.graphql_max_depth),
                                             alias_rule(settings.graphql_max_aliases)]
    document_size = DocumentSizeLimit.factory(
        DocumentSize(max_nodes=settings.graphql_max_nodes, max_fields=settings.graphql_max_fields))
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: ParserCache(maxsize=cache_size),
        document_size,  # after the parser cache's hook: it sees the parsed document
        lambda: ValidationCache(maxsize=cache_size),
        lambda: AddValidationRules(limits),
        ErrorCodes,
        lambda: MaskErrors(should_mask_error=should_mask),
    ]


def build_schema(settings: Settings, metrics: Metrics | None = None) -> Schema:
    """``metrics``: where each operation's time is observed (none: not timed)."""
    return QuietSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=use_fast_path(settings.graphql_fast_path),
        extensions=[
            # First: its timing wraps every other extension's work.
            *([OperationTimings.factory(metrics)] if metrics is not None else []),
            *protective_extensions(settings, cache_size=512),
        ],
    )
