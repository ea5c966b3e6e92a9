"""Bounds on what the admin API accepts; every refusal is ``InvalidInput`` with a reason
that does not repeat the value."""

from datetime import date

from app.errors import InvalidInput
from app.recommendations.types import Placement

MAX_RANGE_DAYS = 366
MAX_ID_DIGITS = 18
MAX_NAME_LENGTH = 64
MAX_REASON_LENGTH = 500
MAX_VARIANTS = 10
MAX_CONFIG_LENGTH = 4096
PLACEMENTS = frozenset(p.value for p in Placement)


def checked_range(start: date, end: date) -> tuple[date, date]:
    """``start`` to ``end``, both included: in order and at most ``MAX_RANGE_DAYS`` days."""
    if end < start:
        raise InvalidInput("`to` is before `from`")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"the date range is longer than {MAX_RANGE_DAYS} days")
    return start, end


def checked_placement(placement: str | None) -> str | None:
    """A placement name (``HOME``, ``PRODUCT``, ...), or ``None`` for every placement."""
    if placement is None:
        return None
    if placement.upper() not in PLACEMENTS:
        raise InvalidInput(f"unknown placement; expected one of {', '.join(sorted(PLACEMENTS))}")
    return placement.upper()


def experiment_id(value: str) -> int:
    """The number of an experiment's ``ID``."""
    text = str(value)
    if not text.isdecimal() or len(text) > MAX_ID_DIGITS:
        raise InvalidInput("not an experiment id")
    return int(text)


def checked_text(value: str, field: str, limit: int = MAX_NAME_LENGTH) -> str:
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters")
    return value


def checked_count(count: int, field: str, limit: int = MAX_VARIANTS) -> None:
    if count > limit:
        raise InvalidInput(f"at most {limit} {field}")
