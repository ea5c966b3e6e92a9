"""The admin GraphQL schema: KPIs and experiments, with the storefront schema's protective
extensions (document size, depth, aliases, tokens) and its error handling (codes on
expected errors, the rest masked, nothing the client sent in the logs)."""

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

from app.admin.experiments import ExperimentMutation, ExperimentQuery
from app.admin.kpis import KpiQuery
from app.graphql.errors import ErrorCodes, log_error, should_mask
from app.graphql.limits import DocumentSize, DocumentSizeLimit, alias_rule, depth_rule
from app.settings import Settings


@strawberry.type
class Query(KpiQuery, ExperimentQuery):
    pass


@strawberry.type
class Mutation(ExperimentMutation):
    pass


class AdminSchema(Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            log_error(error)


def build_admin_schema(settings: Settings) -> Schema:
    limits: list[type[ASTValidationRule]] = [depth_rule(settings.graphql_max_depth),
                                             alias_rule(settings.graphql_max_aliases)]
    document_size = DocumentSizeLimit.factory(
        DocumentSize(max_nodes=settings.graphql_max_nodes, max_fields=settings.graphql_max_fields))
    return AdminSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            lambda: ParserCache(maxsize=128),
            document_size,
            lambda: ValidationCache(maxsize=128),
            lambda: AddValidationRules(limits),
            ErrorCodes,
            lambda: MaskErrors(should_mask_error=should_mask),
        ],
    )
