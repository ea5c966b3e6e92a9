"""Parse catalog files (CSV or JSON lines) into product changes.

A file is checked whole before anything is written: one bad row rejects the import
with every problem listed, and the stored catalog stays as it was."""

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from app.catalog.changes import ProductChange
from app.errors import InvalidInput

MAX_REPORTED_ERRORS = 20


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _float(row: dict[str, Any], key: str) -> float | None:
    value = _text(row, key)
    return None if value is None else float(value)


def _int(row: dict[str, Any], key: str) -> int | None:
    value = _text(row, key)
    return None if value is None else int(float(value))


def _bool(row: dict[str, Any], key: str, default: bool | None) -> bool | None:
    value = row.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "y", "t"):
        return True
    if lowered in ("0", "false", "no", "n", "f"):
        return False
    raise ValueError(f"{key}: not a boolean: {value!r}")


def _list(row: dict[str, Any], key: str) -> tuple[str, ...]:
    value = row.get(key)
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(t.strip() for t in str(value).split(",") if t.strip())


def _datetime(row: dict[str, Any], key: str) -> datetime | None:
    value = _text(row, key)
    return None if value is None else datetime.fromisoformat(value)


def row_to_change(row: dict[str, Any]) -> ProductChange:
    """One import row → one change; raises ``ValueError`` with the field at fault."""
    platform_id = _text(row, "id")
    title = _text(row, "title")
    if platform_id is None:
        raise ValueError("id: missing")
    if title is None:
        raise ValueError("title: missing")
    price = _float(row, "price")
    collections = _list(row, "collections")
    return ProductChange(
        platform_id=platform_id,
        title=title,
        handle=_text(row, "handle"),
        body_text=_text(row, "body") or _text(row, "body_text") or "",
        vendor=_text(row, "vendor"),
        product_type=_text(row, "product_type"),
        tags=_list(row, "tags"),
        status=_text(row, "status") or "active",
        published=bool(_bool(row, "published", True)),
        price_min=price,
        price_max=_float(row, "price_max") or price,
        currency=(_text(row, "currency") or "").upper() or None,
        image_url=_text(row, "image_url"),
        url=_text(row, "url"),
        available=_bool(row, "available", None),
        inventory_quantity=_int(row, "inventory_quantity"),
        updated_at=_datetime(row, "updated_at"),
        collections=collections or None,
    )


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return io.TextIOWrapper(open(path, "rb"), encoding="utf-8-sig")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    name = path.name.removesuffix(".gz")
    with _open_text(path) as handle:
        if name.endswith(".csv"):
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, row
        elif name.endswith((".jsonl", ".ndjson", ".json")):
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, _json_object(number, line)
        else:
            raise InvalidInput(f"{path}: expected a .csv or .jsonl file")


def _json_object(number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"__error__": f"invalid JSON: {exc.msg}"}
    return value if isinstance(value, dict) else {"__error__": "not a JSON object"}


def read_catalog_file(path: Path) -> list[ProductChange]:
    """Parse and check the whole file; raise ``InvalidInput`` listing bad rows."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    changes: list[ProductChange] = []
    errors: list[str] = []
    for number, row in _rows(path):
        try:
            if "__error__" in row:
                raise ValueError(row["__error__"])
            changes.append(row_to_change(row))
        except ValueError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        shown = "; ".join(errors[:MAX_REPORTED_ERRORS])
        more = f" (and {len(errors) - MAX_REPORTED_ERRORS} more)" if len(errors) > 20 else ""
        raise InvalidInput(f"{path}: {len(errors)} invalid rows, nothing imported: {shown}{more}")
    return changes
