"""The short path for list variables coerces as graphql-core does, and leaves it every
value it would refuse (graphql-core then reports the error)."""

from typing import Any

import pytest
import strawberry
from graphql import Undefined, build_schema
from graphql.utilities import coerce_input_value

from app.graphql.fast.execution import PlainDataExecutionContext
from app.graphql.fast.variables import list_coercer
from tests.graphql_enums import Colour

CORE = build_schema("""
  enum Color { RED GREEN }
  input Inner { n: Int! tags: [String!] = ["x"] }
  input Item { id: ID! color: Color inner: Inner when: String = "now" many: [[Int]] }
  input Tree { child: Tree }
  input One @oneOf { a: Int b: String }
  type Query { f(items: [Item!]!, ids: [ID!], trees: [Tree], ones: [One], one: Item): Int }
""")
ARGS = CORE.query_type.fields["f"].args  # type: ignore[union-attr]

VALUES: list[Any] = [
    [{"id": 1}],  # an int as an ID, the defaults filled in
    [{"id": "a", "color": "RED", "inner": {"n": 2}}, {"id": "b", "inner": {"n": 3, "tags": []}}],
    [{"id": "c", "many": [[1, None], 2, None]}],  # a single value stands for a list of one
    {"id": "d"},  # and so does a single object
    [],
    [{"id": None}],  # a null in a non-null field
    [{"color": "RED"}],  # a required field missing
    [{"id": 1, "extra": True}],  # an unknown field
    [{"id": 1, "color": "BLUE"}],  # not a member of the enum
    [{"id": 1, "inner": {"n": "two"}}],  # a value Int refuses
    [{"id": 1, "inner": {"n": 2**31}}],  # outside GraphQL's Int
    [None],  # a null item in a list of non-null items
    "not a list of objects",
    [{"id": 1, "inner": []}],  # a list where an object belongs
    [{"id": 1.5}],  # a float refused as an ID
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_short_path_coerces_as_graphql_core(value: Any) -> None:
    kind = ARGS["items"].type
    coerce = list_coercer(kind)
    assert coerce is not None
    expected = coerce_input_value(value, kind)
    assert coerce(value) == expected if expected is not Undefined else coerce(value) is Undefined


def test_ids_coerce_as_graphql_core() -> None:
    coerce = list_coercer(ARGS["ids"].type)
    assert coerce is not None
    for value in (["1", 2, "x"], "single", [None], None, [True]):
        expected = coerce_input_value(value, ARGS["ids"].type)
        assert coerce(value) == expected if expected is not Undefined else coerce(value) is Undefined


def test_self_referring_one_of_and_non_list_types_are_left_to_graphql_core() -> None:
    assert list_coercer(ARGS["trees"].type) is None  # values may nest without bound
    assert list_coercer(ARGS["ones"].type) is None
    assert list_coercer(ARGS["one"].type) is None  # not a list: graphql-core's path


@strawberry.input
class Line:
    id: strawberry.ID
    colour: Colour | None = None
    quantity: int = 1
    note: str | None = None


@strawberry.type
class Query:
    @strawberry.field
    def total(self, lines: list[Line], ids: list[strawberry.ID] | None = None,
              n: int | None = None) -> str:
        described = [f"{line.id}:{line.colour}:{line.quantity}:{line.note}" for line in lines]
        return ";".join(described) + f"|{ids}|{n}"


PLAIN = strawberry.Schema(query=Query)
FAST = strawberry.Schema(query=Query, execution_context_class=PlainDataExecutionContext)
QUERY = ("query($lines: [Line!]!, $ids: [ID!], $n: Int) "
         "{ total(lines: $lines, ids: $ids, n: $n) }")

REQUESTS: list[dict[str, Any]] = [
    {"lines": [{"id": 1}, {"id": "b", "colour": "BLUE", "quantity": 3, "note": "gift"}]},
    {"lines": {"id": "single"}, "ids": ["1", 2]},
    {"lines": [], "ids": "one"},
    {"lines": [{"id": 1, "colour": "GREEN"}]},  # not a member of the enum
    {"lines": [{"id": 1, "quantity": "3"}]},  # a string where an Int belongs
    {"lines": [{"quantity": 1}]},  # a required field missing
    {"lines": [{"id": 1, "size": "L"}]},  # an unknown field
    {"lines": [None]},
    {"lines": None},
    {},
    {"lines": [{"id": 1}], "n": "x"},  # another variable invalid
]


@pytest.mark.parametrize("variables", REQUESTS, ids=range(len(REQUESTS)))
async def test_same_result_and_errors_as_graphql_core(variables: dict[str, Any]) -> None:
    plain = await PLAIN.execute(QUERY, variable_values=variables)
    fast = await FAST.execute(QUERY, variable_values=variables)
    assert fast.data == plain.data
    assert [e.formatted for e in fast.errors or []] == [e.formatted for e in plain.errors or []]


async def test_valid_lists_take_the_short_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphql.execution import values

    walked: list[Any] = []
    original = values.coerce_input_value

    def counting(value: Any, type_: Any) -> Any:
        walked.append(value)
        return original(value, type_)

    monkeypatch.setattr(values, "coerce_input_value", counting)
    lines = [{"id": n, "quantity": n} for n in range(50)]
    result = await FAST.execute(QUERY, variable_values={"lines": lines})
    assert result.errors is None and result.data is not None
    assert result.data["total"].startswith("0:None:0:None;1:None:1:None")
    assert walked == [[]]  # graphql-core only saw the empty stand-in


def test_a_plan_is_made_once_per_variable_of_a_parsed_operation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphql import parse

    from app.graphql.fast import variables

    made: list[object] = []
    real = variables.list_coercer

    def counting(type_: Any) -> Any:
        made.append(type_)
        return real(type_)

    monkeypatch.setattr(variables, "list_coercer", counting)
    document = parse("query($ids: [ID!], $items: [Item!]!) { f(ids: $ids, items: $items) }")
    raw = {"ids": [1, "2"], "items": [{"id": 3}]}
    first = variables.coerce_list_variables(CORE, document, None, raw)
    again = variables.coerce_list_variables(CORE, document, None, {"ids": ["4"], "items": []})
    assert first["ids"] == ["1", "2"] and first["items"][0]["id"] == "3"
    assert again == {"ids": ["4"], "items": []}
    # graphql-core makes new wrapper types for every request: the plans are kept by the
    # parsed variable definitions instead, so the second request makes none.
    assert len(made) == 2
    other = parse("query($ids: [ID!], $items: [Item!]!) { f(ids: $ids, items: $items) }")
    variables.coerce_list_variables(CORE, other, None, raw)
    assert len(made) == 4  # another document (not from the parser's cache): its own plans
