"""The admin GraphQL schema: KPIs and experiments, with the storefront schema's protective
extensions (document size, depth, aliases, tokens) and its error handling (codes on
expected errors, the rest masked, nothing the client sent in the logs)."""

import strawberry
from strawberry import Schema
from strawberry.schema.config import StrawberryConfig

from app.admin.experiments import ExperimentMutation, ExperimentQuery
from app.admin.kpis import KpiQuery
from app.graphql.schema import QuietSchema, protective_extensions
from app.settings import Settings


@strawberry.type
class Query(KpiQuery, ExperimentQuery):
    pass


@strawberry.type
class Mutation(ExperimentMutation):
    pass


def build_admin_schema(settings: Settings) -> Schema:
    return QuietSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=protective_extensions(settings, cache_size=128),
    )
