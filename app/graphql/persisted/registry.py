"""Persisted queries: documents known to the server, run by their id (the SHA-256 of the
text, as in Apollo's persisted-query extension, or a short name), with variables checked
before anything runs.

Variables come from a URL, so they are bounded here: their JSON by size, each list by
length, and their names by the document's own list. A name that would personalize the
answer (a visitor, a customer, a cart) is refused by its own error: personalized answers
never go through a cacheable request."""

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import orjson

MAX_VARIABLES_BYTES = 1024
MAX_LIST_ITEMS = 20
PERSONALIZING = frozenset({
    "visitorid", "customerid", "customertoken", "cart", "cartid", "cartproductids",
    "session", "sessionid", "consent", "email", "orderid",
})
"""Variable names (compared without case) that name a shopper or what only they have."""


class PersistedQueryError(Exception):
    """A request for a persisted query refused before it runs; ``code`` is stable, the
    message never repeats the input."""

    code = "INVALID_PERSISTED_QUERY"


class UnknownPersistedQuery(PersistedQueryError):
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersonalizedVariables(PersistedQueryError):
    code = "PERSONALIZED_VARIABLES"


class InvalidVariables(PersistedQueryError):
    code = "INVALID_VARIABLES"


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True)
class PersistedQuery:
    name: str
    document: str
    variables: frozenset[str]
    """The only variable names it takes."""
    placements: frozenset[str] = field(default_factory=frozenset)
    """The placements a ``placement`` variable may name (empty: it takes none)."""

    @property
    def sha256(self) -> str:
        return sha256_of(self.document)

    def checked_variables(self, raw: str | None) -> dict[str, object]:
        """The variables of ``raw`` (JSON text, ``None``: none) this query accepts;
        ``PersonalizedVariables`` or ``InvalidVariables`` otherwise."""
        if raw is None or raw == "":
            return {}
        if len(raw.encode()) > MAX_VARIABLES_BYTES:
            raise InvalidVariables(f"The variables are over {MAX_VARIABLES_BYTES} bytes.")
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise InvalidVariables("The variables are not valid JSON.") from None
        if not isinstance(decoded, dict):
            raise InvalidVariables("The variables must be a JSON object.")
        self._check_names(decoded)
        self._check_values(decoded)
        return decoded

    def _check_names(self, variables: Mapping[str, object]) -> None:
        if any(name.lower() in PERSONALIZING for name in variables):
            raise PersonalizedVariables(
                "Personalized answers are served by POST only: a cacheable request takes "
                "no visitor, customer or cart.")
        if not set(variables) <= self.variables:
            raise InvalidVariables(
                f"The query {self.name} takes only: {', '.join(sorted(self.variables))}.")

    def _check_values(self, variables: Mapping[str, object]) -> None:
        for value in variables.values():
            if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
                raise InvalidVariables(f"A list variable may hold at most {MAX_LIST_ITEMS} items.")
        placement = variables.get("placement")
        if "placement" in variables and placement not in self.placements:
            raise PersonalizedVariables(
                "Only these placements are served by GET: "
                f"{', '.join(sorted(self.placements))}.")


class PersistedQueries:
    """The registry: each query under its SHA-256 and its name."""

    def __init__(self, queries: Iterable[PersistedQuery]) -> None:
        self._by_id: dict[str, PersistedQuery] = {}
        for query in queries:
            self._by_id[query.sha256] = query
            self._by_id[query.name] = query

    def find(self, query_id: str) -> PersistedQuery:
        found = self._by_id.get(query_id)
        if found is None:
            raise UnknownPersistedQuery("No persisted query has this id.")
        return found

    def __iter__(self) -> Iterator[PersistedQuery]:
        return iter(dict.fromkeys(self._by_id.values()))
