"""Derive the demo shop's data files from the Online Retail dataset.

The shipped files under ``app/demo/data/`` were made with
``affinity demo-data --source ../shared/datasets/online-retail``; this module is how to
make them again (deterministically)."""

import csv
import gzip
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
PRODUCT_COUNT = 1000
ORDER_COUNT = 6000

PRODUCT_TYPES: list[tuple[str, tuple[str, ...]]] = [
    ("Christmas", ("CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "BAUBLE")),
    ("Mugs & Cups", ("MUG", "CUP", "BEAKER")),
    ("Candles & Lights", ("CANDLE", "T-LIGHT", "TEA LIGHT", "LANTERN", "LIGHT", "NIGHT LIGHT")),
    ("Bags", ("BAG", "TOTE", "SHOPPER", "PURSE")),
    ("Kitchen", ("CAKE", "BAKING", "TEA TOWEL", "SPOON", "JAR", "PLATE", "BOWL", "LUNCH BOX",
                 "RECIPE", "APRON", "TRAY", "NAPKIN", "TEAPOT", "CUTLERY", "EGG")),
    ("Party", ("PARTY", "BUNTING", "BALLOON", "NAPKINS", "PAPER CUPS", "PAPER PLATES", "CRACKER")),
    ("Stationery", ("CARD", "WRAP", "NOTEBOOK", "PENCIL", "PEN ", "STICKER", "TAPE", "ENVELOPE",
                    "PAPER", "CALENDAR", "BOOK")),
    ("Toys & Games", ("TOY", "GAME", "DOLL", "PUZZLE", "SKIPPING", "SPACEBOY", "DOMINOES",
                      "PLAYHOUSE", "JIGSAW", "SOLDIER")),
    ("Garden", ("GARDEN", "PLANT", "WATERING", "FLOWER POT", "BIRD", "HEN HOUSE")),
    ("Clocks", ("CLOCK",)),
    ("Signs & Plaques", ("SIGN", "PLAQUE", "METAL")),
    ("Jewellery", ("NECKLACE", "EARRINGS", "BRACELET", "RING", "HAIR")),
    ("Storage", ("BOX", "TIN", "BASKET", "DRAWER", "HOOK", "HANGER", "CABINET")),
    ("Textiles", ("CUSHION", "BLANKET", "HOT WATER BOTTLE", "THROW", "DOORMAT", "RUG")),
    ("Home Decor", ("HEART", "FRAME", "MIRROR", "VASE", "ORNAMENT", "DECORATION", "WREATH",
                    "HANGING", "GARLAND", "CHIME")),
]
TAG_WORDS = ("RED", "PINK", "BLUE", "GREEN", "WHITE", "BLACK", "IVORY", "GOLD", "SILVER",
             "VINTAGE", "RETROSPOT", "POLKADOT", "SPOTTY", "FLORAL", "ROSE", "HEART", "STAR",
             "GLASS", "WOODEN", "ZINC", "ENAMEL", "CERAMIC", "CHILDRENS", "JUMBO", "MINI", "SET")
VENDORS = ("Paperchain & Co", "Hearth House", "Regency Home", "Little Wonders", "Bramble Lane")


def product_type_of(title: str) -> str:
    for name, words in PRODUCT_TYPES:
        if any(w in title for w in words):
            return name
    return "Gifts"


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def _stable(value: str, modulo: int) -> int:
    return int(hashlib.sha256(value.encode()).hexdigest()[:8], 16) % modulo


def product_record(row: dict[str, str]) -> dict[str, Any]:
    title_upper = row["description"].strip()
    code = row["stock_code"]
    product_type = product_type_of(title_upper)
    tags = [w.lower() for w in TAG_WORDS if re.search(rf"\b{w}\b", title_upper)]
    variants = [v.strip() for v in row["description_variants"].split("|") if v.strip()]
    other_names = [v.capitalize() for v in variants if v != title_upper][:2]
    body = f"{title_upper.capitalize()}. {product_type} from our gift range."
    if other_names:
        body += " Also listed as: " + "; ".join(other_names) + "."
    return {
        "id": code,
        "handle": f"{_slug(title_upper)}-{code.lower()}",
        "title": title_upper.title(),
        "body": body,
        "vendor": VENDORS[_stable(code, len(VENDORS))],
        "product_type": product_type,
        "tags": tags,
        "price": round(float(row["median_unit_price_gbp"]), 2),
        "currency": "GBP",
        "image_url": f"/demo/images/{code}.svg",
        "url": f"/demo/products/{code}",
        # A few items are out of stock so that the availability rule is visible.
        "available": _stable(code, 40) != 0,
        "updated_at": row["last_seen"].replace(" ", "T") + "+00:00",
        "collections": [_slug(product_type)],
    }


def derive(source: Path, target: Path = DATA_DIR) -> tuple[int, int]:
    with open(source / "products.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["is_non_product_code"] == "False"]
    rows.sort(key=lambda r: (-int(r["n_customers"]), r["stock_code"]))
    chosen = rows[:PRODUCT_COUNT]
    codes = {r["stock_code"] for r in chosen}
    products = [product_record(r) for r in sorted(chosen, key=lambda r: r["stock_code"])]
    orders = _orders(source, codes)
    target.mkdir(parents=True, exist_ok=True)
    _write_jsonl(target / "catalog.jsonl.gz", products)
    _write_jsonl(target / "orders.jsonl.gz", orders)
    return len(products), len(orders)


def _orders(source: Path, codes: set[str]) -> list[dict[str, Any]]:
    prices: dict[tuple[str, str], tuple[int, float]] = {}
    with open(source / "interactions.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            if r["stock_code"] in codes:
                prices[(r["invoice_no"], r["stock_code"])] = (
                    int(r["quantity"]), float(r["unit_price_gbp"]))
    with open(source / "baskets.csv", newline="") as handle:
        baskets = list(csv.DictReader(handle))
    baskets.sort(key=lambda b: (b["timestamp"], b["invoice_no"]))
    orders: list[dict[str, Any]] = []
    for basket in reversed(baskets):
        items = [c for c in dict.fromkeys(basket["items"].split()) if c in codes]
        if len(items) < 2:
            continue
        lines = [{"id": f"{basket['invoice_no']}-{i}", "product_id": c,
                  "quantity": prices.get((basket["invoice_no"], c), (1, 0.0))[0],
                  "price": prices.get((basket["invoice_no"], c), (1, 0.0))[1]}
                 for i, c in enumerate(items)]
        orders.append({"id": basket["invoice_no"], "customer_id": basket["customer_id"],
                       "placed_at": basket["timestamp"].replace(" ", "T") + "+00:00",
                       "currency": "GBP", "lines": lines})
        if len(orders) == ORDER_COUNT:
            break
    orders.reverse()
    return orders


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        for record in records:
            handle.write((json.dumps(record, sort_keys=True) + "\n").encode())


def type_counts(products: list[dict[str, Any]]) -> Counter[str]:
    return Counter(p["product_type"] for p in products)
