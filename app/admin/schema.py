"""The admin GraphQL schema: KPIs, experiments, merchandising rules, the shop's settings and
its data health, with the storefront schema's protective extensions (document size, depth,
aliases, tokens) and its error handling (codes on expected errors, the rest masked, nothing
the client sent in the logs)."""

import strawberry
from strawberry import Schema
from strawberry.schema.config import StrawberryConfig

from app.admin.experiments import ExperimentMutation, ExperimentQuery
from app.admin.health import HealthQuery
from app.admin.kpis import KpiQuery
from app.admin.rules import RuleMutation, RuleQuery
from app.admin.settings import SettingsMutation, SettingsQuery
from app.graphql.schema import QuietSchema, protective_extensions
from app.settings import Settings


@strawberry.type
class Query(KpiQuery, ExperimentQuery, RuleQuery, SettingsQuery, HealthQuery):
    pass


@strawberry.type
class Mutation(ExperimentMutation, RuleMutation, SettingsMutation):
    pass


def build_admin_schema(settings: Settings) -> Schema:
    return QuietSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=protective_extensions(settings, cache_size=128),
    )
