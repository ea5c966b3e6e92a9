"""The short path for plain data gives the same data and errors as graphql-core."""

from typing import Any

import pytest
import strawberry
from strawberry.extensions import ParserCache

from app.graphql.fast import shared_view
from app.graphql.fast.execution import PlainDataExecutionContext
from tests.graphql_enums import Colour


@strawberry.type
class Tag:
    code: str
    weight: float | None


@strawberry.type
class Item:
    id: strawberry.ID
    title: str
    price: float | None
    count: int
    colour: Colour
    tags: list[Tag]
    labels: list[str]

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.title.upper() * times

    @strawberry.field
    async def later(self) -> str:
        return f"later {self.id}"


def _item(n: int, **overrides: Any) -> Item:
    values: dict[str, Any] = {
        "id": strawberry.ID(f"p{n}"), "title": f"Item {n}", "price": None if n % 3 else n * 1.5,
        "count": n, "colour": Colour.RED if n % 2 else Colour.BLUE,
        "tags": [Tag(code=f"t{n}", weight=None), Tag(code="all", weight=0.5)],
        "labels": ["a", "b"],
    }
    values.update(overrides)
    return Item(**values)


@strawberry.type
class Page:
    items: list[Item]
    total: int
    note: str | None


ODD_VALUES = [
    lambda: _item(1, price=True, count=7.0, title=3),  # converted: 1, 7, "3"
    lambda: _item(2, price=float("nan")),  # Float refuses NaN
    lambda: _item(3, price=float("inf")),  # and infinity
    lambda: _item(4, count=-2**31, price=2),  # the edge of Int; an int as a Float
    lambda: _item(5, count=2**31),  # just past it
    lambda: _item(6, id=12, title=Colour.RED),  # an int as an ID; an enum member as a String
]


@strawberry.type
class Shelf:
    items: list[Item | None]  # nested in a plain field: built by the generated builder


@strawberry.type
class Query:
    @strawberry.field
    def page(self) -> Page:
        return Page(items=[_item(1), _item(2)], total=2, note=None)

    @strawberry.field
    def page_with_null_title(self) -> Page | None:
        return Page(items=[_item(1), _item(2, title=None)], total=2, note="x")

    @strawberry.field
    def page_with_null_label(self) -> Page:
        return Page(items=[_item(1, labels=["a", None])], total=1, note=None)

    @strawberry.field
    def page_with_bad_total(self) -> Page:
        return Page(items=[], total="many", note=None)  # type: ignore[arg-type]

    @strawberry.field
    async def items(self, first: int = 3) -> list[Item]:
        return [_item(n) for n in range(1, first + 1)]

    @strawberry.field
    def broken_title(self) -> list[Item]:
        return [_item(1), _item(2, title=None)]  # a null in a non-null field

    @strawberry.field
    def broken_count(self) -> list[Item | None]:
        return [_item(1), _item(2, count="many")]  # a value Int refuses

    @strawberry.field
    def huge_count(self) -> Item:
        return _item(1, count=2**40)  # outside GraphQL's Int

    @strawberry.field
    def page_with_awaitable_total(self) -> Page:
        async def total() -> int:
            return 2

        return Page(items=[_item(1)], total=total(), note=None)  # type: ignore[arg-type]

    @strawberry.field
    def page_of_a_tuple(self) -> Page:
        return Page(items=(_item(1), _item(2)), total=2, note=None)  # type: ignore[arg-type]

    @strawberry.field
    def odd_value(self, case: int) -> "Shelf":
        """One value that a built-in scalar converts or refuses rather than passes through."""
        return Shelf(items=[ODD_VALUES[case]()])


PLAIN = strawberry.Schema(query=Query)
FAST = strawberry.Schema(query=Query, execution_context_class=PlainDataExecutionContext)

QUERIES = [
    "{ items { id title price count colour } }",
    "{ items(first: 5) { __typename id t: title p: price tags { code weight __typename } labels } }",
    "{ items { id shout(times: 2) later title } }",
    "query($skip: Boolean!) { items { id title @skip(if: $skip) price @include(if: $skip) } }",
    "{ items { ...Parts tags { ... on Tag { code } } } } fragment Parts on Item { id colour }",
    "{ items { id title id } }",
    "{ brokenTitle { id title } }",
    "{ brokenCount { id count } }",
    "{ hugeCount { id count } }",
    *[f"{{ oddValue(case: {n}) {{ items {{ id title price count }} }} }}" for n in range(6)],
    "{ items { id nope } }",
    "{ page { total note __typename items { id tags { code weight } labels colour } } }",
    "{ page { a: total b: total items { i: id ...on Item { id title } } } }",
    "{ pageWithNullTitle { total items { id title } } }",
    "{ pageWithNullTitle { total items { id } } }",
    "{ pageWithNullLabel { items { id labels } } }",
    "{ pageWithBadTotal { total items { id } } }",
    "{ pageWithAwaitableTotal { total items { id } } }",  # awaited by graphql-core
    "{ pageOfATuple { items { id labels } } }",
    "{ page { total items { id later tags { code } } } }",
    "{ page { items { id ... @defer { title } } } }",
    "{ page { items @stream(initialCount: 1) { id } } }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_same_result_as_graphql_core(query: str) -> None:
    variables = {"skip": True}
    plain = await PLAIN.execute(query, variable_values=variables)
    fast = await FAST.execute(query, variable_values=variables)
    assert fast.data == plain.data
    assert list((fast.data or {}).items()) == list((plain.data or {}).items())  # key order
    assert [e.formatted for e in fast.errors or []] == [e.formatted for e in plain.errors or []]


async def test_errors_are_reported_with_their_path() -> None:
    result = await FAST.execute("{ brokenTitle { id title } }")
    assert result.data is None  # the null bubbles up to the nullable root
    assert result.errors and result.errors[0].path == ["brokenTitle", 1, "title"]
    result = await FAST.execute("{ brokenCount { id count } }")
    assert result.data == {"brokenCount": [{"id": "p1", "count": 1}, None]}
    assert result.errors and result.errors[0].path == ["brokenCount", 1, "count"]


def _recording(method: str) -> tuple[type[PlainDataExecutionContext], list[str]]:
    """An executor that records the parent type's name at each call of ``method`` (one
    whose first argument is the parent type), and the list it records into."""
    calls: list[str] = []
    original = getattr(PlainDataExecutionContext, method)

    def recording(self: PlainDataExecutionContext, parent_type: Any, *args: Any,
                  **kwargs: Any) -> Any:
        calls.append(parent_type.name)
        return original(self, parent_type, *args, **kwargs)

    return type("Recording", (PlainDataExecutionContext,), {method: recording}), calls


async def test_plain_fields_are_built_without_graphql_core() -> None:
    recording, calls = _recording("execute_field")
    schema = strawberry.Schema(query=Query, execution_context_class=recording)
    result = await schema.execute("{ page { total items { id title tags { code } } } }")
    assert result.errors is None and result.data is not None
    assert calls == ["Query"]  # the root resolver only
    calls.clear()
    result = await schema.execute("{ page { total items { id later } } }")
    assert result.data is not None and result.data["page"]["items"][1]["later"] == "later p2"
    assert calls.count("Item") == 2  # a resolver in the items: graphql-core for each


async def test_a_resolvers_list_of_plain_items_is_built_as_a_whole() -> None:
    recording, calls = _recording("execute_fields")
    schema = strawberry.Schema(query=Query, execution_context_class=recording)
    result = await schema.execute("{ items(first: 5) { id title tags { code } } }")
    assert result.errors is None and result.data is not None
    assert [item["id"] for item in result.data["items"]] == ["p1", "p2", "p3", "p4", "p5"]
    assert calls == ["Query"]  # no item went through graphql-core
    calls.clear()
    result = await schema.execute("{ brokenTitle { id title } }")  # a null in a non-null field
    assert result.errors and result.errors[0].path == ["brokenTitle", 1, "title"]
    assert calls.count("Item") == 2  # graphql-core item by item, and it reports the error
    calls.clear()
    result = await schema.execute("{ items(first: 2) { id later } }")
    assert result.data is not None and result.data["items"][1]["later"] == "later p2"
    assert calls.count("Item") == 2  # a resolver in the items: graphql-core for each


async def test_field_order_follows_the_query() -> None:
    result = await FAST.execute("{ items(first: 1) { title later id shout } }")
    assert result.data is not None
    assert list(result.data["items"][0]) == ["title", "later", "id", "shout"]


async def test_plans_are_shared_by_requests_sending_the_same_document() -> None:
    recording, built = _recording("_plain_field")
    schema = strawberry.Schema(query=Query, execution_context_class=recording,
                               extensions=[lambda: ParserCache(maxsize=16)])
    query = "query($n: Int!) { items(first: $n) { id title tags { code } } }"
    first = await schema.execute(query, variable_values={"n": 2})
    assert built and first.data == (await PLAIN.execute(query, variable_values={"n": 2})).data
    built.clear()
    again = await schema.execute(query, variable_values={"n": 3})  # other data, same plan
    assert built == []
    assert again.data == (await PLAIN.execute(query, variable_values={"n": 3})).data


async def test_plans_of_documents_with_directives_follow_each_requests_variables() -> None:
    schema = strawberry.Schema(query=Query, execution_context_class=PlainDataExecutionContext,
                               extensions=[lambda: ParserCache(maxsize=16)])
    query = """query($s: Boolean!) {
      page { total items { id title @skip(if: $s) count @include(if: $s) } } }"""
    for skip in (True, False, True):
        fast = await schema.execute(query, variable_values={"s": skip})
        plain = await PLAIN.execute(query, variable_values={"s": skip})
        assert fast.errors is None and fast.data == plain.data
        item = fast.data["page"]["items"][0]
        assert list(item) == (["id", "count"] if skip else ["id", "title"])


@shared_view
@strawberry.type
class Card:
    """A shared view: its instances are handed to every request and never changed."""

    code: str
    title: str | None
    tags: list[str]


SHELF = [Card(code="a", title="Alpha", tags=["x"]), Card(code="b", title="Beta", tags=[])]
BROKEN = Card(code="z", title=None, tags=[])


@strawberry.type
class Board:  # not shared: built per request, its cards by the generated builder
    name: str
    cards: list[Card]


@strawberry.type
class CardQuery:
    @strawberry.field
    def cards(self) -> list[Card]:
        return SHELF

    @strawberry.field
    def board(self) -> Board:
        return Board(name="b", cards=SHELF)

    @strawberry.field
    def strict_cards(self) -> list["StrictCard"]:
        return [STRICT]

    @strawberry.field
    def items(self) -> list[Item]:
        return [ITEM]


@shared_view
@strawberry.type
class StrictCard:
    code: str
    title: str  # STRICT's None is an error graphql-core reports


STRICT = StrictCard(code="s", title=None)  # type: ignore[arg-type]
ITEM = _item(1)
CARDS = strawberry.Schema(query=CardQuery, execution_context_class=PlainDataExecutionContext,
                          extensions=[lambda: ParserCache(maxsize=16)])
PLAIN_CARDS = strawberry.Schema(query=CardQuery)


async def test_shared_views_are_built_once_per_selection() -> None:
    query = "{ cards { code title tags } }"
    first, again = await CARDS.execute(query), await CARDS.execute(query)
    assert first.data == again.data == (await PLAIN_CARDS.execute(query)).data
    assert first.data and again.data
    for one, other in zip(first.data["cards"], again.data["cards"], strict=True):
        assert one is other  # the same instance and selection: built once
    other_selection = await CARDS.execute("{ cards { title code } }")
    assert other_selection.data == {"cards": [{"title": "Alpha", "code": "a"},
                                              {"title": "Beta", "code": "b"}]}
    assert list(other_selection.data["cards"][0]) == ["title", "code"]
    boards = [await CARDS.execute("{ board { name cards { code tags } } }") for _ in range(2)]
    assert boards[0].data == (await PLAIN_CARDS.execute("{ board { name cards { code tags } } }")).data
    assert boards[0].data and boards[1].data
    assert boards[0].data["board"] is not boards[1].data["board"]
    assert boards[0].data["board"]["cards"][1] is boards[1].data["board"]["cards"][1]
    items = [await CARDS.execute("{ items { id title } }") for _ in range(2)]
    assert items[0].data and items[1].data and items[0].data == items[1].data
    assert items[0].data["items"][0] is not items[1].data["items"][0]  # not a shared view


async def test_a_shared_view_that_graphql_core_must_report_is_not_kept() -> None:
    query = "{ strictCards { code title } }"
    plain = await PLAIN_CARDS.execute(query)
    for _ in range(2):
        result = await CARDS.execute(query)
        assert result.data == plain.data
        assert [e.formatted for e in result.errors or []] == [e.formatted for e in plain.errors or []]
        assert result.errors and result.errors[0].path == ["strictCards", 0, "title"]


def test_a_shared_view_needs_an_instance_dict() -> None:
    class Slotted:
        __slots__ = ("code",)

    with pytest.raises(TypeError, match="__dict__"):
        shared_view(Slotted)
