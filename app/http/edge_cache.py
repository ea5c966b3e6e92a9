"""What makes a non-personalized answer cacheable at the edge: the request for a persisted
query read from the URL (a CDN caches by URL), and the answer's caching headers, a strong
``ETag`` of its body and ``304 Not Modified`` when the client already holds it.

The storefront key travels in the URL (``key=``) so that a cross-origin ``GET`` is a
simple request (no preflight) and each shop's answers have their own URLs; a key sent as a
header is honoured too, and ``Vary`` names those headers and ``Origin`` (the CORS header of
an answer depends on it). Every other answer of ``/graphql`` is ``private, no-store``."""

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qs

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import Message, Scope, Send

from app.graphql.persisted import (
    PersistedQueries,
    PersistedQuery,
    PersistedQueryError,
    UnknownPersistedQuery,
)

MAX_QUERY_STRING_BYTES = 4096
MAX_EXTENSIONS_BYTES = 512
PARAMETERS = frozenset({"id", "extensions", "variables", "key"})
PERSISTED_MARKERS = (b"id=", b"extensions=")
NO_STORE = "private, no-store"
VARY = "Origin, X-Affinity-Storefront-Key, X-Affinity-Server-Key"
DEFAULT_MAX_AGE_SECONDS = 60
DEFAULT_STALE_SECONDS = 300


class QueryStringTooLong(PersistedQueryError):
    code = "URI_TOO_LONG"


@dataclass(frozen=True)
class CachePolicy:
    """How long shared caches may keep an answer, and serve it stale while they fetch a
    new one in the background."""

    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS
    stale_while_revalidate_seconds: int = DEFAULT_STALE_SECONDS

    def header(self) -> str:
        return (f"public, max-age={self.max_age_seconds}, "
                f"stale-while-revalidate={self.stale_while_revalidate_seconds}")


@dataclass(frozen=True)
class PersistedRequest:
    query: PersistedQuery
    variables: dict[str, object]
    key: str | None
    """The storefront key from the URL, if it has one."""


def asks_for_persisted(scope: Scope) -> bool:
    """Whether a ``GET`` names a persisted query (otherwise it is answered as before)."""
    query_string: bytes = scope.get("query_string", b"")
    return any(query_string.startswith(m) or b"&" + m in query_string
               for m in PERSISTED_MARKERS)


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise PersistedQueryError(f"The parameter {name} may be given once.")
    return values[0]


def _hash_of(extensions: str) -> str:
    if len(extensions.encode()) > MAX_EXTENSIONS_BYTES:
        raise PersistedQueryError(f"The extensions are over {MAX_EXTENSIONS_BYTES} bytes.")
    try:
        decoded = orjson.loads(extensions)
    except orjson.JSONDecodeError:
        raise PersistedQueryError("The extensions are not valid JSON.") from None
    persisted = decoded.get("persistedQuery") if isinstance(decoded, dict) else None
    found = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(found, str):
        raise PersistedQueryError(
            'The extensions must be {"persistedQuery": {"version": 1, "sha256Hash": ...}}.')
    return found


def _query_of(params: dict[str, list[str]], queries: PersistedQueries) -> PersistedQuery:
    query_id = _single(params, "id")
    extensions = _single(params, "extensions")
    hashed = None if extensions is None else _hash_of(extensions)
    if query_id is not None and hashed is not None:
        by_id, by_hash = queries.find(query_id), queries.find(hashed)
        if by_id is not by_hash:
            raise PersistedQueryError("The id and the extensions name different queries.")
        return by_id
    chosen = query_id if query_id is not None else hashed
    if chosen is None:
        raise UnknownPersistedQuery("No persisted query has this id.")
    return queries.find(chosen)


def persisted_request(query_string: bytes, queries: PersistedQueries) -> PersistedRequest:
    """The persisted query a URL asks for, with its checked variables; a
    ``PersistedQueryError`` (its code says which) otherwise."""
    if len(query_string) > MAX_QUERY_STRING_BYTES:
        raise QueryStringTooLong(f"The query string is over {MAX_QUERY_STRING_BYTES} bytes.")
    try:
        params = parse_qs(query_string.decode("ascii"), keep_blank_values=True,
                          strict_parsing=True, errors="strict",
                          max_num_fields=len(PARAMETERS))
    except (UnicodeDecodeError, ValueError):
        raise PersistedQueryError("The query string is malformed.") from None
    if not set(params) <= PARAMETERS:
        raise PersistedQueryError(
            f"A persisted query takes only these parameters: {', '.join(sorted(PARAMETERS))}.")
    query = _query_of(params, queries)
    return PersistedRequest(query, query.checked_variables(_single(params, "variables")),
                            _single(params, "key"))


def status_of(error: PersistedQueryError) -> int:
    if isinstance(error, UnknownPersistedQuery):
        return 404
    if isinstance(error, QueryStringTooLong):
        return 414
    return 400


def entity_tag(body: bytes) -> str:
    """A strong validator: the same bytes, the same tag."""
    digest = hashlib.sha256(body).digest()[:18]
    return '"' + base64.urlsafe_b64encode(digest).decode() + '"'


def held_by_client(if_none_match: str | None, tag: str) -> bool:
    """``If-None-Match`` by the weak comparison RFC 9110 prescribes for it."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == tag
               for candidate in if_none_match.split(","))


def cacheable_answer(body: bytes, request_headers: Headers, policy: CachePolicy) -> Response:
    """The answer with its caching headers, or 304 without a body when the client holds it."""
    tag = entity_tag(body)
    headers = {"ETag": tag, "Cache-Control": policy.header(), "Vary": VARY}
    if held_by_client(request_headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def uncacheable(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response


def without_storing(send: Send) -> Send:
    """``send`` with ``Cache-Control: private, no-store`` on an answer that sets none."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).setdefault("cache-control", NO_STORE)
        await send(message)

    return send_private
