"""The persisted queries the server ships: valid against the schema, free of personalizing
arguments and of per-request ids, found by hash and by name, their variables bounded."""

import hashlib
import json

import pytest
from graphql import parse, validate
from graphql.language import ArgumentNode, FieldNode, OperationDefinitionNode, visit
from graphql.language.visitor import Visitor

from app.graphql.persisted import (
    InvalidVariables,
    PersistedQueries,
    PersistedQuery,
    PersonalizedVariables,
    UnknownPersistedQuery,
    shipped_queries,
)
from app.graphql.persisted.documents import (
    ANONYMOUS_RECOMMENDATIONS,
    SHIPPED,
    SIMILAR_PRODUCTS,
)
from app.graphql.persisted.registry import MAX_VARIABLES_BYTES
from app.graphql.schema import build_schema
from app.settings import Settings


class Names(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.fields: set[str] = set()
        self.arguments: set[str] = set()

    def enter_field(self, node: FieldNode, *_: object) -> None:
        self.fields.add(node.name.value)

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        self.arguments.add(node.name.value)


def names_in(document: str) -> Names:
    names = Names()
    visit(parse(document), names)
    return names


@pytest.mark.parametrize("query", SHIPPED, ids=lambda q: q.name)
def test_every_shipped_document_is_valid_against_the_schema(query: PersistedQuery) -> None:
    schema = build_schema(Settings(_env_file=None))  # type: ignore[call-arg]
    assert validate(schema._schema, parse(query.document)) == []


@pytest.mark.parametrize("query", SHIPPED, ids=lambda q: q.name)
def test_no_shipped_document_personalizes_or_names_a_served_list(
        query: PersistedQuery) -> None:
    names = names_in(query.document)
    assert not names.arguments & {"visitorId", "customerId", "customerToken", "consent"}
    assert "recommendationId" not in names.fields
    operation = parse(query.document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    declared = {v.variable.name.value for v in operation.variable_definitions or ()}
    assert declared == query.variables


def test_queries_are_found_by_sha256_and_by_name() -> None:
    queries = shipped_queries()
    digest = hashlib.sha256(SIMILAR_PRODUCTS.document.encode()).hexdigest()
    assert queries.find(digest) is SIMILAR_PRODUCTS
    assert queries.find("similarProducts") is SIMILAR_PRODUCTS
    assert queries.find(ANONYMOUS_RECOMMENDATIONS.sha256) is ANONYMOUS_RECOMMENDATIONS
    assert list(queries) == list(SHIPPED)
    with pytest.raises(UnknownPersistedQuery):
        queries.find(digest[:-1] + "0" if digest[-1] != "0" else digest[:-1] + "1")
    with pytest.raises(UnknownPersistedQuery):
        PersistedQueries([]).find("similarProducts")


def test_declared_variables_pass_through() -> None:
    assert SIMILAR_PRODUCTS.checked_variables('{"productId": "7", "first": 4}') == {
        "productId": "7", "first": 4}
    assert SIMILAR_PRODUCTS.checked_variables(None) == {}
    assert ANONYMOUS_RECOMMENDATIONS.checked_variables(
        '{"placement": "PRODUCT", "productIds": ["1", "2"]}')["placement"] == "PRODUCT"


@pytest.mark.parametrize("raw", [
    '{"visitorId": "v"}', '{"VISITORID": "v"}', '{"customerId": "c"}',
    '{"customerToken": "t"}', '{"cart": []}', '{"sessionId": "s"}',
])
def test_personalizing_names_are_refused_as_such(raw: str) -> None:
    with pytest.raises(PersonalizedVariables):
        SIMILAR_PRODUCTS.checked_variables(raw)


@pytest.mark.parametrize("placement", ["CART", "EMAIL", "POST_PURCHASE", "SEARCH", None, 3])
def test_only_anonymous_placements(placement: object) -> None:
    with pytest.raises(PersonalizedVariables):
        ANONYMOUS_RECOMMENDATIONS.checked_variables(json.dumps({"placement": placement}))


@pytest.mark.parametrize("raw", [
    "not json", "[]", '"x"', '{"productId": "1", "other": 2}',
    json.dumps({"placement": "HOME", "productIds": [str(i) for i in range(21)]}),
    json.dumps({"productId": "x" * MAX_VARIABLES_BYTES}),
])
def test_bad_variables_are_refused_without_echoing_them(raw: str) -> None:
    query = ANONYMOUS_RECOMMENDATIONS if "placement" in raw else SIMILAR_PRODUCTS
    with pytest.raises(InvalidVariables) as refused:
        query.checked_variables(raw)
    assert "xxxx" not in str(refused.value) and "other" not in str(refused.value)
