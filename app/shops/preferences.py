"""A shop's own settings where a merchant expects control: exploration, diversity caps, how
long a bought product stays hidden, the search's unavailable policy, the holdout and the
shop's time zone.

They live in the ``shops.settings`` JSON column beside keys other features own (which are
kept untouched). A setting left unset (``None``) means the server's default, the
environment variable of the same name. Writes are validated strictly (the field and the
reason, nothing saved); reads are lenient: a stored value the engine cannot use is ignored
with a log line, so that a bad row never fails serving."""

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any, ClassVar, Protocol, TypeVar
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput, NotFound
from app.ids import ShopId
from app.shops.models import Shop

log = logging.getLogger(__name__)

MAX_EXPLORATION_SHARE = 0.5
MAX_PER_TEN = 10
MAX_HIDDEN_DAYS = 365
MAX_HOLDOUT_SHARE = 0.5
SEARCH_UNAVAILABLE_POLICIES = ("sink", "drop")
"""The values of ``AFFINITY_SEARCH_UNAVAILABLE`` (``app.settings``; a test keeps them equal)."""
MAX_TIMEZONE_CHARS = 64
DEFAULT_TIMEZONE = "UTC"
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Files of the zone database that name no place (the host's own zone, a rules template)."""


@dataclass(frozen=True)
class ShopPreferences:
    """A shop's settings; ``None``: the server's default (today's environment variables)."""

    exploration_share: float | None = None
    """Share of slots for new or under-exposed products, 0 to 0.5."""
    max_per_vendor: int | None = None
    """At most this many items of one vendor per 10 shown, 1 to 10."""
    max_per_product_type: int | None = None
    """At most this many items of one product type per 10 shown, 1 to 10."""
    exclude_recent_purchases_days: int | None = None
    """Days a bought product (not replenishable) stays hidden, 0 (off) to 365."""
    search_unavailable: str | None = None
    """rerankSearch: ``sink`` unavailable products to the end or ``drop`` them."""
    holdout_share: float | None = None
    """Share of the shop's shoppers kept on the non-personalized baseline, 0 to 0.5."""
    timezone: str | None = None
    """IANA time zone name (``Europe/Paris``) of the shop's schedules; unset: UTC."""

    @property
    def zone(self) -> str:
        return self.timezone or DEFAULT_TIMEZONE

    def over(self, defaults: "ShopPreferences") -> "ShopPreferences":
        """This shop's values, and the ``defaults``' where this shop has none."""
        own = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(defaults, **{name: value for name, value in own.items() if value is not None})

    def rule_settings(self, defaults: "R") -> "R":
        """``defaults`` (``app.ranking.rules.RuleSettings``) with this shop's own values."""
        own = {name: getattr(self, name) for name in RULE_FIELDS}
        return replace(defaults, **{name: value for name, value in own.items() if value is not None})


class RuleDefaults(Protocol):
    """What ``rule_settings`` reads of the ranking's rule settings (a dataclass): a protocol
    rather than an import, since ``app.ranking`` reads this package and imports point one
    way."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def exploration_share(self) -> float: ...
    @property
    def max_per_vendor(self) -> int: ...
    @property
    def max_per_product_type(self) -> int: ...
    @property
    def exclude_recent_purchases_days(self) -> int: ...


R = TypeVar("R", bound=RuleDefaults)

RULE_FIELDS = ("exploration_share", "max_per_vendor", "max_per_product_type",
               "exclude_recent_purchases_days")
SETTING_FIELDS = tuple(f.name for f in fields(ShopPreferences))


def _share(field: str, value: object, top: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{field}: expected a number")
    if not 0 <= value <= top:
        raise InvalidInput(f"{field}: must be from 0 to {top}")
    return float(value)


def _count(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: expected a whole number")
    if not low <= value <= high:
        raise InvalidInput(f"{field}: must be from {low} to {high}")
    return value


def _policy(field: str, value: object) -> str:
    if value not in SEARCH_UNAVAILABLE_POLICIES:
        raise InvalidInput(f"{field}: expected one of {', '.join(SEARCH_UNAVAILABLE_POLICIES)}")
    return str(value)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def _timezone(field: str, value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TIMEZONE_CHARS:
        raise InvalidInput(f"{field}: expected an IANA time zone name such as Europe/Paris")
    if value not in _zones():
        raise InvalidInput(f"{field}: not a time zone of the IANA database (e.g. Europe/Paris)")
    return value


CHECKS: dict[str, Callable[[str, object], object]] = {
    "exploration_share": lambda f, v: _share(f, v, MAX_EXPLORATION_SHARE),
    "max_per_vendor": lambda f, v: _count(f, v, 1, MAX_PER_TEN),
    "max_per_product_type": lambda f, v: _count(f, v, 1, MAX_PER_TEN),
    "exclude_recent_purchases_days": lambda f, v: _count(f, v, 0, MAX_HIDDEN_DAYS),
    "search_unavailable": _policy,
    "holdout_share": lambda f, v: _share(f, v, MAX_HOLDOUT_SHARE),
    "timezone": _timezone,
}


def validated_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` checked and normalized: each key a setting, each value in its range or
    ``None`` (back to the server's default). Raises ``InvalidInput`` naming the first bad
    field and why (never echoing the value)."""
    checked: dict[str, Any] = {}
    for field, value in changes.items():
        check = CHECKS.get(field)
        if check is None:
            raise InvalidInput(f"{str(field)[:40]}: not a shop setting; expected one of "
                               f"{', '.join(SETTING_FIELDS)}")
        checked[field] = None if value is None else check(field, value)
    return checked


def preferences_of(stored: Mapping[str, Any] | None) -> ShopPreferences:
    """The settings in a shop's stored ``settings`` JSON; a value the engine cannot use is
    logged and read as unset, other keys are ignored."""
    if not isinstance(stored, Mapping):
        return ShopPreferences()
    found: dict[str, Any] = {}
    for field, check in CHECKS.items():
        value = stored.get(field)
        if value is None:
            continue
        try:
            found[field] = check(field, value)
        except InvalidInput as refused:
            log.warning("shop setting ignored, the server's default applies: %s", refused.message)
    return ShopPreferences(**found)


def merged(stored: Mapping[str, Any] | None, checked: Mapping[str, Any]) -> dict[str, Any]:
    """A new ``settings`` JSON: ``stored`` with ``checked`` applied (``None`` removes the key);
    keys that are not preferences are kept as they are."""
    result = dict(stored) if isinstance(stored, Mapping) else {}
    for field, value in checked.items():
        if value is None:
            result.pop(field, None)
        else:
            result[field] = value
    return result


async def read_preferences(session: AsyncSession, shop_id: ShopId) -> ShopPreferences:
    stored = await session.scalar(select(Shop.settings).where(Shop.id == shop_id))
    return preferences_of(stored)


async def update_preferences(session: AsyncSession, shop_id: ShopId,
                             changes: Mapping[str, Any]) -> ShopPreferences:
    """Validates ``changes`` (all or nothing), merges them into the shop's ``settings`` JSON
    and flushes; returns the shop's settings after the change."""
    checked = validated_changes(changes)
    shop = await session.get(Shop, shop_id, with_for_update=True)
    if shop is None:
        raise NotFound("no such shop")
    # A new dict, so that the JSON column sees the change.
    shop.settings = merged(shop.settings, checked)
    await session.flush()
    return preferences_of(shop.settings)
