"""Reading platform JSON with messages that name the field at fault.

``Fields`` wraps one JSON object and a path; every getter either returns a clean
Python value or raises ``InvalidPayload`` such as ``line_items[2].quantity: not an
integer (got a string)``. Messages name the field and the kind of value, never the value
itself: they are answered to the sender and logged.

Values are bounded here, before the delivery is acknowledged, to what both databases
store: integers fit a 32-bit column, numbers are finite, ids fit 64 characters. A value
that passed this door and then failed in the database would be retried and parked."""

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from app.ingestion.protocol import InvalidPayload

INT32 = (-(2**31), 2**31 - 1)
"""The range of the integer columns (quantities, stock) on PostgreSQL."""
MAX_ID_CHARS = 64
"""The width of the id columns."""


def kind_of(value: object) -> str:
    """How a message names a value without repeating it."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayload(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidPayload("the body is not a JSON object")
    return value


def parse_datetime(value: str) -> datetime:
    """ISO 8601 (``Z`` or an offset; no zone means UTC) or RFC 2822."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = parsedate_to_datetime(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Fields:
    def __init__(self, data: dict[str, Any], path: str = "") -> None:
        self._data = data
        self._path = path

    @classmethod
    def of(cls, body: bytes) -> "Fields":
        return cls(parse_json_object(body))

    def _name(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def _fail(self, key: str, problem: str) -> InvalidPayload:
        return InvalidPayload(f"{self._name(key)}: {problem}")

    def _wrong(self, key: str, expected: str, value: object) -> InvalidPayload:
        return self._fail(key, f"{expected} (got {kind_of(value)})")

    def raw(self, key: str) -> Any:
        return self._data.get(key)

    def has(self, key: str) -> bool:
        return self._data.get(key) is not None

    def keys(self) -> set[str]:
        return set(self._data)

    def present(self, key: str) -> bool:
        """Is the key there at all (even with a null value)?"""
        return key in self._data

    def id(self, key: str = "id") -> str:
        """A required id (number or non-empty string), as a string."""
        value = self.opt_id(key)
        if value is None:
            raise self._fail(key, "required field is missing")
        return value

    def opt_id(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is None or value == "" or value == 0:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self._wrong(key, "not an id", value)
        text = str(value).strip()
        if len(text) > MAX_ID_CHARS:
            raise self._fail(key, f"an id longer than {MAX_ID_CHARS} characters")
        return text or None

    def text(self, key: str) -> str:
        value = self.opt_text(key)
        if value is None:
            raise self._fail(key, "required field is missing")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self._wrong(key, "not a string", value)
        return str(value).strip() or None

    def opt_int(self, key: str, within: tuple[int, int] | None = INT32) -> int | None:
        """An integer (or a string of one) in ``within`` (a 32-bit column unless told)."""
        value = self._data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self._wrong(key, "not an integer", value)
        try:
            number = int(value) if isinstance(value, int) else float(value)
        except (TypeError, ValueError):
            raise self._wrong(key, "not an integer", value) from None
        if isinstance(number, float):
            if not number.is_integer():
                raise self._wrong(key, "not an integer", value)
            number = int(number)
        if within is not None and not within[0] <= number <= within[1]:
            raise self._fail(key, f"out of range ({within[0]} to {within[1]})")
        return number

    def int(self, key: str) -> int:
        value = self.opt_int(key)
        if value is None:
            raise self._fail(key, "required field is missing")
        return value

    def opt_number(self, key: str) -> float | None:
        """Numbers and the decimal strings platforms send for money."""
        value = self._data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self._wrong(key, "not a number", value)
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise self._wrong(key, "not a number", value) from None
        if not math.isfinite(number):
            raise self._fail(key, "not a finite number")
        return number

    def opt_bool(self, key: str) -> bool | None:
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._wrong(key, "not a boolean", value)
        return value

    def opt_datetime(self, key: str) -> datetime | None:
        value = self._data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self._wrong(key, "not a date-time", value)
        try:
            return parse_datetime(value)
        except (TypeError, ValueError, OverflowError):
            raise self._fail(key, "not a date-time") from None

    def datetime(self, key: str) -> datetime:
        value = self.opt_datetime(key)
        if value is None:
            raise self._fail(key, "required field is missing")
        return value

    def opt_object(self, key: str) -> "Fields | None":
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(key, "not an object", value)
        return Fields(value, self._name(key))

    def objects(self, key: str) -> Iterator["Fields"]:
        """The objects of an optional list (a missing or null list is empty)."""
        value = self._data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            raise self._fail(key, "not a list")
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise InvalidPayload(f"{self._name(key)}[{index}]: not an object")
            yield Fields(item, f"{self._name(key)}[{index}]")

    def ids(self, key: str) -> tuple[str, ...]:
        value = self._data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or any(isinstance(v, (bool, dict, list)) for v in value):
            raise self._fail(key, "not a list of ids")
        ids = tuple(str(v) for v in value if v is not None and str(v).strip())
        if any(len(v) > MAX_ID_CHARS for v in ids):
            raise self._fail(key, f"an id longer than {MAX_ID_CHARS} characters")
        return ids
