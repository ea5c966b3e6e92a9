"""Limits on what one GraphQL document may cost, each checked in time linear in its size.

A document is bounded before anything runs: its token count (graphql-core's parser stops
past the limit); right after parsing, before any validation rule, its node count and its
field count with fragments expanded (``DocumentSize``); then its depth and its aliases
(validation rules). Fragments are measured once each and their measure reused at every
spread: a fragment spread twice by another, itself spread twice, and so on, makes
exponentially many paths through a 1 kB document, and a rule that walks every path (as
strawberry's own depth and alias limiters do) takes minutes where this takes
milliseconds. The field and alias counts are those of the expanded document (a fragment
counts once per spread), so such a fan-out is refused, not merely measured fast. Cycles
of fragments are invalid anyway (graphql-core's ``NoFragmentCycles`` reports them); here
they count as nothing.

``EventAllowance`` bounds the events that one HTTP request may store, across every
``trackEvents`` field of its document (aliases included)."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

from app.events.types import MAX_BATCH
from app.process.lru import Lru

INTROSPECTION_PREFIX = "__"


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


class _FragmentWalk:
    """A measure of selection sets in which each named fragment is measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._known: dict[str, int] = {}
        self._open: set[str] = set()

    def spread(self, node: FragmentSpreadNode) -> int:
        name = node.name.value
        known = self._known.get(name)
        if known is not None:
            return known
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return 0  # unknown or cyclic: other rules report it
        self._open.add(name)
        measured = self._known[name] = self.selections(fragment.selection_set)
        self._open.discard(name)
        return measured

    def selections(self, selection_set: SelectionSetNode) -> int:
        raise NotImplementedError


class _Depth(_FragmentWalk):
    def selections(self, selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                depth = self.field(selection)
            elif isinstance(selection, FragmentSpreadNode):
                depth = self.spread(selection)
            elif isinstance(selection, InlineFragmentNode):
                depth = self.selections(selection.selection_set)
            else:
                depth = 0
            deepest = max(deepest, depth)
        return deepest

    def field(self, node: FieldNode) -> int:
        if node.selection_set is None or node.name.value.startswith(INTROSPECTION_PREFIX):
            return 0
        return 1 + self.selections(node.selection_set)


class _Fields(_FragmentWalk):
    """Fields (or only aliased ones) as they would be executed: a fragment's count once
    per spread of it."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], aliased_only: bool) -> None:
        super().__init__(fragments)
        self._aliased_only = aliased_only

    def selections(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                count += self.spread(selection)
                continue
            if not isinstance(selection, FieldNode | InlineFragmentNode):
                continue
            if isinstance(selection, FieldNode) and (
                    not self._aliased_only or selection.alias is not None):
                count += 1
            if selection.selection_set is not None:
                count += self.selections(selection.selection_set)
        return count


def operation_depths(document: DocumentNode) -> list[tuple[OperationDefinitionNode, int]]:
    """Each operation's depth: fields nested under fields, leaves and introspection not
    counted (``{ a { b } }`` is 1 deep)."""
    walk = _Depth(_fragments(document))
    return [(op, walk.selections(op.selection_set)) for op in _operations(document)]


def alias_count(document: DocumentNode) -> int:
    """Aliases of all operations, each fragment's counted once per spread."""
    walk = _Fields(_fragments(document), aliased_only=True)
    return sum(walk.selections(op.selection_set) for op in _operations(document))


def field_count(document: DocumentNode) -> int:
    """Fields of all operations with their fragments expanded, each fragment's counted once
    per spread: a bound on the fields one object of the answer can cost."""
    walk = _Fields(_fragments(document), aliased_only=False)
    return sum(walk.selections(op.selection_set) for op in _operations(document))


TOO_COMPLEX = {"code": "QUERY_TOO_COMPLEX"}
"""The code of every refusal by size, depth or aliases."""


def depth_rule(max_depth: int) -> type[ValidationRule]:
    """A validation rule refusing operations nested deeper than ``max_depth``."""

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for operation, depth in operation_depths(context.document):
                if depth > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}",
                        [operation], extensions=TOO_COMPLEX))

    return DepthLimit


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing documents with more than ``max_aliases`` aliases."""

    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            count = alias_count(context.document)
            if count > max_aliases:
                context.report_error(GraphQLError(
                    f"{count} aliases found. Allowed: {max_aliases}", extensions=TOO_COMPLEX))

    return AliasLimit


def node_count(document: DocumentNode, stop_after: int) -> int:
    """The document's AST nodes, counted up to just past ``stop_after``."""
    count = 0
    pending: list[Any] = [document]
    while pending and count <= stop_after:
        node = pending.pop()
        if isinstance(node, Node):
            count += 1
            pending.extend(getattr(node, key) for key in node.keys if key != "loc")
        elif isinstance(node, tuple | list):
            pending.extend(node)
    return count


@dataclass(frozen=True)
class DocumentSize:
    max_nodes: int
    max_fields: int

    def error(self, document: DocumentNode) -> str | None:
        """Why the document is too large, or None."""
        if node_count(document, self.max_nodes) > self.max_nodes:
            return f"The document has more than {self.max_nodes} nodes."
        if field_count(document) > self.max_fields:
            return (f"The document selects more than {self.max_fields} fields once its "
                    "fragments are expanded.")
        return None


class DocumentSizeLimit(SchemaExtension):
    """Refuses a parsed document too large (see ``DocumentSize``) before it is validated.

    The answer is kept per document: the parser cache hands the same document to every
    request sending the same query."""

    def __init__(self, size: DocumentSize, known: Lru[int, tuple[DocumentNode, str | None]]
                 ) -> None:
        self._size = size
        self._known = known

    @classmethod
    def factory(cls, size: DocumentSize) -> Callable[[], "DocumentSizeLimit"]:
        known: Lru[int, tuple[DocumentNode, str | None]] = Lru(512)
        return lambda: cls(size, known)

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is not None:
            error = self._error(document)
            if error is not None:
                raise GraphQLError(error, extensions=TOO_COMPLEX)

    def _error(self, document: DocumentNode) -> str | None:
        known = self._known.get(id(document))
        if known is None or known[0] is not document:
            known = (document, self._size.error(document))
            self._known.put(id(document), known)  # holds the document: its id is not reused
        return known[1]


RateCheck = Callable[[Sequence[str]], None]
"""Raises ``app.errors.RateLimited`` when events of these visitors (one id per event) would
pass a rate limit."""


@dataclass
class EventAllowance:
    """The events one HTTP request may still store: ``MAX_BATCH`` across all its
    ``trackEvents`` fields together, within the rate limits of ``rate_check``."""

    remaining: int = MAX_BATCH
    rate_check: RateCheck | None = None

    def take(self, visitor_ids: Sequence[str]) -> None:
        """Counts events (one visitor id each) against the request, whose ``remaining``
        the caller checked; raises ``RateLimited`` if a rate limit refuses them."""
        if self.rate_check is not None:
            self.rate_check(visitor_ids)
        self.remaining -= len(visitor_ids)
