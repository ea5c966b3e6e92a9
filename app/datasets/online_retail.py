"""Read the Online Retail dataset into platform-neutral changes for the ingestion code."""

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.catalog.changes import ProductChange
from app.demo.derive import product_type_of
from app.orders.changes import OrderChange, OrderLineChange


@dataclass(frozen=True)
class Basket:
    invoice_no: str
    customer_id: str
    placed_at: datetime
    items: tuple[str, ...]
    split: str


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def read_products(root: Path) -> list[ProductChange]:
    with open(root / "products.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["is_non_product_code"] == "False"]
    return [
        ProductChange(
            platform_id=r["stock_code"],
            title=r["description"].strip().title(),
            product_type=product_type_of(r["description"].strip()),
            price_min=float(r["median_unit_price_gbp"]),
            currency="GBP",
            updated_at=_time(r["last_seen"]),
        )
        for r in rows
    ]


def read_baskets(root: Path) -> list[Basket]:
    with open(root / "baskets.csv", newline="") as handle:
        return [
            Basket(r["invoice_no"], r["customer_id"], _time(r["timestamp"]),
                   tuple(dict.fromkeys(r["items"].split())), r["split_llb"])
            for r in csv.DictReader(handle)
        ]


def _lines(root: Path) -> dict[str, list[tuple[str, int, float]]]:
    lines: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
    with open(root / "interactions.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            lines[r["invoice_no"]].append(
                (r["stock_code"], int(r["quantity"]), float(r["unit_price_gbp"])))
    return lines


def orders_for(root: Path, baskets: list[Basket]) -> Iterator[OrderChange]:
    """The baskets as orders, one line per purchase line of the cleaned data."""
    lines = _lines(root)
    for basket in baskets:
        yield OrderChange(
            platform_id=basket.invoice_no,
            customer_id=basket.customer_id,
            placed_at=basket.placed_at,
            updated_at=basket.placed_at,
            currency="GBP",
            lines=tuple(
                OrderLineChange(f"{basket.invoice_no}-{i}", code, None, quantity, price)
                for i, (code, quantity, price) in enumerate(lines[basket.invoice_no])
            ),
        )
