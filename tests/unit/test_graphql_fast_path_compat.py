"""The installed graphql-core and strawberry have what the fast GraphQL path overrides and
calls; the check that says so catches a change; the schema falls back to the plain path."""

import logging
from importlib.metadata import version

import pytest
import strawberry
from graphql import GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLString
from graphql.type import scalars
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import get_object_definition
from strawberry.types.field import StrawberryField

from app.graphql import fast
from app.graphql.events import EventInput
from app.graphql.fast.compat import Needed, problem, problems
from app.graphql.fast.marks import PLAIN_INPUT_TYPES
from app.graphql.schema import build_schema
from app.settings import Settings

ADVICE = ("Adapt app/graphql/fast (and the pins in pyproject.toml) to them, or install the "
          "pinned versions; until then a server with the fast path on runs the plain path.")


def _installed() -> str:
    return (f"graphql-core {version('graphql-core')}, "
            f"strawberry-graphql {version('strawberry-graphql')}")


def test_the_installed_libraries_have_what_the_fast_path_uses() -> None:
    missing = problems()
    assert not missing, (
        f"The GraphQL fast path uses what the installed {_installed()} lack:\n- "
        + "\n- ".join(missing) + f"\n{ADVICE}")


def test_strawberry_marks_its_attribute_reads_as_the_fast_path_expects() -> None:
    @strawberry.type
    class Query:
        name: str

    field = strawberry.Schema(query=Query)._schema.query_type.fields["name"]  # type: ignore[union-attr]
    assert getattr(field.resolve, "_is_default", False), (
        f"{_installed()}: a field without a resolver no longer has a resolver marked "
        f"_is_default; the fast path would build no plain field. {ADVICE}")
    assert isinstance(field.extensions.get("strawberry-definition"), StrawberryField), (
        f"{_installed()}: a field's extensions no longer carry its StrawberryField under "
        f"'strawberry-definition'. {ADVICE}")


def test_built_in_scalars_serialize_by_the_functions_the_builders_test() -> None:
    for scalar, name in ((GraphQLString, "string"), (GraphQLID, "id"),
                         (GraphQLBoolean, "boolean"), (GraphQLFloat, "float"), (GraphQLInt, "int")):
        assert scalar.serialize is getattr(scalars, f"serialize_{name}"), (
            f"{_installed()}: {scalar.name} no longer serializes by serialize_{name}; the "
            f"fast path's generated builders would never pass its values through. {ADVICE}")


def test_the_check_names_what_changed() -> None:
    assert problem(Needed("graphql.execution.values:VariableValues", ("sources", "coerced"))) is None
    assert problem(Needed("graphql.execution.values:NoSuchThing")) == (
        "graphql.execution.values:NoSuchThing is missing")
    assert problem(Needed("graphql.execution.values:VariableValues", ("coerced", "sources"))) == (
        "graphql.execution.values:VariableValues takes (sources, coerced); the fast path "
        "passes (coerced, sources, ...) in this order")
    assert problem(Needed("graphql:GraphQLInputObjectType", named=("is_one_of", "gone"))) == (
        "graphql:GraphQLInputObjectType has no parameter gone")


@pytest.fixture
def restores_the_input_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a schema sets the conversion of the marked inputs for the process."""
    for cls in PLAIN_INPUT_TYPES:
        definition = get_object_definition(cls, strict=True)
        monkeypatch.setattr(definition, "from_input", definition.from_input)


def _settings(fast_path: bool) -> Settings:
    return Settings(graphql_fast_path=fast_path, _env_file=None)  # type: ignore[call-arg]


@pytest.mark.usefixtures("restores_the_input_conversion")
def test_the_setting_switches_the_path() -> None:
    from app.graphql.fast.execution import PlainDataExecutionContext
    from app.graphql.fast.inputs import build_input

    assert build_schema(_settings(True)).execution_context_class is PlainDataExecutionContext
    assert get_object_definition(EventInput, strict=True).from_input is build_input
    plain = build_schema(_settings(False))
    assert plain.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert get_object_definition(EventInput, strict=True).from_input is None


@pytest.mark.usefixtures("restores_the_input_conversion")
def test_a_library_that_lacks_something_gets_the_plain_path_and_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(fast, "problems", lambda: ("graphql.execution.values:X is missing",))
    with caplog.at_level(logging.WARNING, logger="app.graphql.fast"):
        schema = build_schema(_settings(True))
    assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert get_object_definition(EventInput, strict=True).from_input is None
    assert "graphql.execution.values:X is missing" in caplog.text
    assert "AFFINITY_GRAPHQL_FAST_PATH=false" in caplog.text
