"""The simulator speaks to the server over HTTP only, so nothing ties its GraphQL documents
to the schemas at import time: they are validated against both schemas here."""

import pytest
from graphql import GraphQLSchema, parse, validate

from app.admin.schema import build_admin_schema
from app.graphql.schema import build_schema
from app.settings import Settings
from app.simulator import admin, storefront

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


def _schema(admin_api: bool) -> GraphQLSchema:
    built = build_admin_schema(SETTINGS) if admin_api else build_schema(SETTINGS)
    return built._schema


@pytest.mark.parametrize("document", [admin.CREATE, admin.START, admin.STOP, admin.RESULTS])
def test_the_admin_documents_are_valid(document: str) -> None:
    assert validate(_schema(admin_api=True), parse(document)) == []


@pytest.mark.parametrize("document", [storefront.RECOMMEND, storefront.TRACK])
def test_the_storefront_documents_are_valid(document: str) -> None:
    assert validate(_schema(admin_api=False), parse(document)) == []
