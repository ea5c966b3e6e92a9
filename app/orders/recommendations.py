"""The recommendation ids a storefront writes into a cart so that its order carries them
back: ``_affinity_rec`` on a line (the list the item was clicked in) and ``_affinity_recs``
on the cart (every list clicked, comma-separated, most recent last).

Shoppers can edit cart attributes, so what arrives is bounded and checked here; anything
malformed is dropped, never failing the order that carries it."""

import re
from collections.abc import Iterable

LINE_PROPERTY = "_affinity_rec"
CART_ATTRIBUTE = "_affinity_recs"
MAX_CART_IDS = 20
MAX_ID_CHARS = 64
MAX_ATTRIBUTE_CHARS = MAX_CART_IDS * (MAX_ID_CHARS + 1)
_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")


def recommendation_id(value: object) -> str | None:
    """One id as sent, or ``None`` when it is not an id a served list could have."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if _ID.fullmatch(text) else None


def recommendation_ids(value: object) -> tuple[str, ...]:
    """The ids of a comma-separated attribute: the last ``MAX_CART_IDS`` valid ones, each
    once (its latest place kept), most recent last."""
    if not isinstance(value, str) or len(value) > MAX_ATTRIBUTE_CHARS:
        return ()
    found = [i for i in (recommendation_id(part) for part in value.split(",")) if i]
    latest = list(dict.fromkeys(reversed(found)))
    return tuple(reversed(latest[:MAX_CART_IDS]))


def named_value(pairs: object, name: str) -> object:
    """The value of ``name`` in a list of ``{name, value}`` (or ``{key, value}``) objects,
    or in an object of names."""
    if isinstance(pairs, dict):
        return pairs.get(name)
    if not isinstance(pairs, list):
        return None
    for pair in _objects(pairs):
        if pair.get("name", pair.get("key")) == name:
            return pair.get("value")
    return None


def _objects(items: Iterable[object]) -> Iterable[dict[str, object]]:
    return (item for item in items if isinstance(item, dict))
