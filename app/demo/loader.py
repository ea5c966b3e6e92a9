"""Load the shipped demo catalog and order history into a shop (idempotently)."""

import gzip
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from app.catalog.changes import ProductChange
from app.catalog.importer import read_catalog_file
from app.demo.derive import DATA_DIR
from app.orders.changes import OrderChange, OrderLineChange

DEMO_DOMAIN = "demo.myshopify.com"
DEMO_CURRENCY = "GBP"


def demo_catalog(data_dir: Path = DATA_DIR) -> list[ProductChange]:
    return read_catalog_file(data_dir / "catalog.jsonl.gz")


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def order_from_record(record: dict[str, Any]) -> OrderChange:
    placed_at = datetime.fromisoformat(record["placed_at"])
    return OrderChange(
        platform_id=str(record["id"]),
        customer_id=record.get("customer_id") or None,
        placed_at=placed_at,
        currency=record.get("currency"),
        updated_at=placed_at,
        lines=tuple(
            OrderLineChange(
                platform_id=str(line["id"]),
                product_id=line.get("product_id"),
                variant_id=line.get("variant_id"),
                quantity=int(line.get("quantity", 1)),
                price=line.get("price"),
            )
            for line in record["lines"]
        ),
    )


def demo_orders(data_dir: Path = DATA_DIR) -> list[OrderChange]:
    return [order_from_record(r) for r in _records(data_dir / "orders.jsonl.gz")]
