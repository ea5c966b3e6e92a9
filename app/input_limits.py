"""What a shopper's input may hold: one set of limits for events, recommendations and
search, checked before anything is ranked or written.

SQLite stores a string of any length where PostgreSQL refuses one longer than its column,
and the served lists of every shop share grouped inserts: an id that only the database
refused failed the requests of other shops written with it, on PostgreSQL, and was kept
for months on SQLite (15 aliases of a 2 MB id wrote 30 MB of served lists). Checked here,
a request is refused on its own, the same way on both. The messages name the field and
the limit, never the value."""

from collections.abc import Sequence

from app.errors import InvalidInput

MAX_ID_LENGTH = 128
"""Visitor, customer and event ids: what the storefront makes up."""
MAX_REFERENCE_LENGTH = 64
"""Product, variant and recommendation ids: what the shop and the server hand out."""
MAX_QUERY_LENGTH = 512
"""A search query (the column that keeps the searches shoppers submit)."""
MAX_CONTEXT_PRODUCTS = 50
"""The products a recommendation is asked around (a product page, a cart, an order)."""
MAX_SEARCH_RESULTS = 500
"""The storefront's results that one search reordering takes."""


def check_id(field: str, value: str | None, limit: int = MAX_ID_LENGTH) -> None:
    """``value`` (``None`` for left out) fits ``limit`` characters."""
    if value is not None and len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters")


def check_ids(field: str, values: Sequence[str], most: int,
              limit: int = MAX_REFERENCE_LENGTH) -> None:
    """At most ``most`` ids, each of 1 to ``limit`` characters."""
    if len(values) > most:
        raise InvalidInput(f"{field} takes at most {most} ids")
    lengths = list(map(len, values))  # on the serving path: a tenth of a generator's time
    if lengths and (min(lengths) < 1 or max(lengths) > limit):
        raise InvalidInput(f"each of {field} must be 1 to {limit} characters")


def check_range(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}")


def check_query(query: str) -> None:
    if not query.strip() or len(query) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"query must be 1 to {MAX_QUERY_LENGTH} characters")
