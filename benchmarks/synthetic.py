"""A deterministic synthetic catalog and visitor population for benchmarks at scale.

Products look like a general online shop's: a product type from a department, a title made
of a style word, a material or colour and a noun of that type, a two-to-four sentence
description, a vendor, tags and a price in the type's range. The same seed always gives
the same rows, so figures from two runs are comparable.

    python -m benchmarks.synthetic catalog --products 100000 --out var/bench/catalog-100k.jsonl
    affinity catalog import --shop bench.example var/bench/catalog-100k.jsonl
"""

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20240601
CURRENCY = "USD"


@dataclass(frozen=True)
class ProductType:
    name: str
    department: str
    nouns: tuple[str, ...]
    materials: tuple[str, ...]
    uses: tuple[str, ...]
    price: tuple[float, float]


TYPES = (
    ProductType("T-Shirt", "Apparel", ("Crew-Neck T-Shirt", "V-Neck Tee", "Pocket Tee",
                "Long-Sleeve Tee", "Graphic T-Shirt", "Henley"),
                ("organic cotton", "slub cotton", "linen blend", "merino", "bamboo jersey"),
                ("everyday wear", "layering", "weekends", "travel"), (14, 48)),
    ProductType("Sweater", "Apparel", ("Crew Sweater", "Cardigan", "Turtleneck", "Quarter-Zip",
                "Cable-Knit Jumper"), ("merino wool", "cashmere", "lambswool", "cotton knit",
                "alpaca blend"), ("cold mornings", "the office", "layering", "winter evenings"),
                (45, 220)),
    ProductType("Jeans", "Apparel", ("Slim Jeans", "Straight Jeans", "Relaxed Jeans",
                "Bootcut Jeans", "Carpenter Jeans"), ("selvedge denim", "stretch denim",
                "organic denim", "raw denim"), ("everyday wear", "work", "weekends"), (49, 180)),
    ProductType("Dress", "Apparel", ("Wrap Dress", "Midi Dress", "Shirt Dress", "Slip Dress",
                "Maxi Dress", "Sundress"), ("linen", "silk", "viscose", "cotton poplin",
                "crepe"), ("summer days", "weddings", "the office", "evenings out"), (39, 260)),
    ProductType("Jacket", "Apparel", ("Rain Jacket", "Puffer Jacket", "Denim Jacket",
                "Field Jacket", "Fleece Jacket", "Bomber Jacket"), ("recycled nylon",
                "waxed cotton", "wool blend", "down", "polar fleece"),
                ("rainy commutes", "hiking", "city walks", "cold weather"), (69, 390)),
    ProductType("Sneakers", "Footwear", ("Low-Top Sneakers", "High-Top Sneakers",
                "Running Shoes", "Trail Runners", "Court Sneakers"), ("leather", "suede",
                "recycled mesh", "canvas", "knit"), ("running", "daily wear", "the gym",
                "trail running"), (55, 210)),
    ProductType("Boots", "Footwear", ("Chelsea Boots", "Hiking Boots", "Ankle Boots",
                "Work Boots", "Rain Boots"), ("full-grain leather", "suede", "natural rubber",
                "nubuck"), ("hiking", "winter", "the city", "muddy fields"), (80, 320)),
    ProductType("Backpack", "Bags", ("Daypack", "Laptop Backpack", "Roll-Top Backpack",
                "Hiking Pack", "Mini Backpack"), ("recycled polyester", "waxed canvas",
                "ripstop nylon", "leather"), ("commuting", "travel", "hiking", "school"),
                (35, 240)),
    ProductType("Wallet", "Accessories", ("Bifold Wallet", "Card Holder", "Zip Wallet",
                "Coin Purse", "Travel Wallet"), ("full-grain leather", "vegan leather",
                "recycled canvas", "cork"), ("everyday carry", "travel", "gifting"), (18, 120)),
    ProductType("Watch", "Accessories", ("Field Watch", "Dive Watch", "Dress Watch",
                "Chronograph", "Smartwatch Band"), ("stainless steel", "titanium", "leather strap",
                "silicone"), ("daily wear", "swimming", "formal occasions", "sport"), (60, 650)),
    ProductType("Necklace", "Jewelry", ("Pendant Necklace", "Chain Necklace", "Choker",
                "Locket", "Layered Necklace"), ("sterling silver", "gold vermeil", "brass",
                "freshwater pearl"), ("gifting", "everyday wear", "special occasions"),
                (25, 280)),
    ProductType("Earrings", "Jewelry", ("Hoop Earrings", "Stud Earrings", "Drop Earrings",
                "Huggie Earrings", "Ear Climbers"), ("sterling silver", "gold vermeil",
                "titanium", "enamel"), ("sensitive ears", "gifting", "everyday wear"), (19, 190)),
    ProductType("Mug", "Kitchen", ("Coffee Mug", "Espresso Cup", "Travel Mug", "Latte Cup",
                "Tea Cup and Saucer"), ("stoneware", "porcelain", "double-walled glass",
                "enamel", "bamboo fibre"), ("morning coffee", "tea time", "gifting", "the office"),
                (9, 45)),
    ProductType("Cookware", "Kitchen", ("Skillet", "Dutch Oven", "Saucepan", "Wok",
                "Griddle Pan", "Stockpot"), ("cast iron", "stainless steel", "carbon steel",
                "hard-anodised aluminium", "enamelled cast iron"),
                ("searing", "slow cooking", "stir-frying", "induction hobs"), (29, 340)),
    ProductType("Knife", "Kitchen", ("Chef's Knife", "Paring Knife", "Bread Knife",
                "Santoku Knife", "Utility Knife"), ("Damascus steel", "German steel",
                "Japanese VG-10 steel", "ceramic"), ("meal prep", "slicing bread",
                "vegetables", "professional kitchens"), (19, 260)),
    ProductType("Tea", "Pantry", ("Green Tea", "Earl Grey", "Chamomile Infusion",
                "Breakfast Tea", "Oolong", "Rooibos"), ("loose leaf", "pyramid bags",
                "organic", "single estate"), ("afternoons", "winding down", "gifting",
                "mornings"), (6, 38)),
    ProductType("Coffee", "Pantry", ("Espresso Roast", "Filter Coffee", "Decaf Blend",
                "Cold Brew Pack", "Single-Origin Beans"), ("whole bean", "ground",
                "organic", "fair trade"), ("espresso machines", "pour-over", "french press",
                "cold brew"), (9, 42)),
    ProductType("Candle", "Home", ("Scented Candle", "Pillar Candle", "Travel Tin Candle",
                "Taper Candles", "Three-Wick Candle"), ("soy wax", "beeswax", "coconut wax",
                "rapeseed wax"), ("relaxing evenings", "gifting", "the bathroom",
                "dinner parties"), (12, 75)),
    ProductType("Cushion", "Home", ("Throw Pillow", "Floor Cushion", "Bolster",
                "Lumbar Pillow", "Seat Pad"), ("linen", "velvet", "wool", "cotton canvas",
                "boucle"), ("the sofa", "the bedroom", "reading nooks", "outdoor seating"),
                (19, 110)),
    ProductType("Lamp", "Home", ("Desk Lamp", "Floor Lamp", "Table Lamp", "Pendant Light",
                "Clip Lamp"), ("brass", "ceramic", "rattan", "powder-coated steel", "oak"),
                ("reading", "the home office", "bedside tables", "living rooms"), (35, 420)),
    ProductType("Plant Pot", "Garden", ("Planter", "Hanging Planter", "Self-Watering Pot",
                "Terracotta Pot", "Window Box"), ("terracotta", "glazed ceramic", "concrete",
                "recycled plastic"), ("houseplants", "herbs", "balconies", "succulents"),
                (8, 90)),
    ProductType("Garden Tool", "Garden", ("Trowel", "Pruning Shears", "Hand Fork", "Rake",
                "Watering Can", "Kneeler"), ("stainless steel", "ash wood", "galvanised steel",
                "carbon steel"), ("planting", "pruning roses", "allotments", "weeding"),
                (12, 85)),
    ProductType("Headphones", "Electronics", ("Wireless Earbuds", "Over-Ear Headphones",
                "On-Ear Headphones", "Sport Earphones", "Noise-Cancelling Headphones"),
                ("aluminium", "matte plastic", "memory foam", "silicone"),
                ("commuting", "workouts", "long flights", "calls"), (29, 380)),
    ProductType("Speaker", "Electronics", ("Bluetooth Speaker", "Smart Speaker",
                "Bookshelf Speakers", "Soundbar", "Party Speaker"), ("fabric-wrapped",
                "walnut veneer", "rugged rubber", "aluminium"), ("the beach", "living rooms",
                "parties", "the kitchen"), (39, 499)),
    ProductType("Phone Case", "Electronics", ("Phone Case", "Wallet Case", "Clear Case",
                "Rugged Case", "MagSafe Case"), ("silicone", "leather", "recycled plastic",
                "aramid fibre"), ("drop protection", "everyday carry", "wireless charging"),
                (12, 65)),
    ProductType("Yoga Mat", "Sports", ("Yoga Mat", "Travel Mat", "Yoga Block",
                "Yoga Strap", "Meditation Cushion"), ("natural rubber", "cork", "TPE",
                "organic cotton"), ("hot yoga", "pilates", "meditation", "travel"), (15, 140)),
    ProductType("Water Bottle", "Sports", ("Insulated Bottle", "Sport Bottle",
                "Filter Bottle", "Kids' Bottle", "Hydration Flask"), ("stainless steel",
                "Tritan", "glass", "aluminium"), ("the gym", "hiking", "school", "cycling"),
                (12, 55)),
    ProductType("Board Game", "Toys", ("Strategy Game", "Party Game", "Card Game",
                "Cooperative Game", "Family Board Game"), ("wooden pieces", "illustrated cards",
                "recycled board", "metal coins"), ("game nights", "families", "two players",
                "parties"), (15, 90)),
    ProductType("Puzzle", "Toys", ("Jigsaw Puzzle", "Wooden Puzzle", "3D Puzzle",
                "Floor Puzzle", "Brain Teaser"), ("recycled cardboard", "birch plywood",
                "foam", "wood"), ("rainy days", "families", "toddlers", "adults"), (9, 60)),
    ProductType("Face Serum", "Beauty", ("Vitamin C Serum", "Hyaluronic Serum",
                "Retinol Serum", "Niacinamide Serum", "Facial Oil"), ("plant-based",
                "fragrance-free", "vegan", "dermatologist-tested"), ("dry skin", "night routines",
                "sensitive skin", "dull skin"), (14, 95)),
    ProductType("Soap", "Beauty", ("Bar Soap", "Liquid Hand Soap", "Shampoo Bar",
                "Body Wash", "Exfoliating Soap"), ("olive oil", "goat milk", "shea butter",
                "charcoal"), ("sensitive skin", "the shower", "gifting", "daily use"), (5, 32)),
    ProductType("Notebook", "Stationery", ("Dotted Notebook", "Lined Journal",
                "Sketchbook", "Planner", "Pocket Notebook"), ("recycled paper", "linen cover",
                "vegan leather cover", "lay-flat binding"), ("bullet journaling", "sketching",
                "meetings", "travel"), (7, 48)),
    ProductType("Dog Bed", "Pets", ("Dog Bed", "Cat Bed", "Pet Blanket", "Orthopaedic Bed",
                "Travel Pet Mat"), ("memory foam", "faux fur", "recycled polyester",
                "waxed cotton"), ("large dogs", "senior pets", "cats", "car trips"), (25, 180)),
)

STYLES = ("Classic", "Everyday", "Essential", "Heritage", "Nordic", "Coastal", "Urban",
          "Studio", "Vintage", "Modern", "Alpine", "Weekend", "Signature", "Atelier", "Field",
          "Meadow", "Harbour", "Summit", "Canyon", "Orchard")
COLOURS = ("Black", "Charcoal", "Navy", "Sage", "Olive", "Sand", "Rust", "Ivory", "Oat",
           "Forest Green", "Terracotta", "Slate Blue", "Blush", "Mustard", "Stone", "Burgundy")
SIZES = ("Small", "Medium", "Large", "XL", "Set of 2", "Set of 4", "Mini", "Travel Size")
FEATURES = ("made to last for years", "designed in our studio", "finished by hand",
            "easy to clean", "packed in plastic-free packaging", "backed by a two-year guarantee",
            "made in small batches", "tested for everyday use", "built with repairable parts",
            "certified by independent labs")
SYLLABLES = ("ka", "lo", "mi", "ra", "to", "ve", "no", "sa", "li", "be", "dor", "fen", "mar",
             "tal", "wyn", "ros", "hal", "ber", "qui", "zen")
VENDOR_SUFFIXES = ("& Co.", "Goods", "Supply", "Studio", "Works", "House", "Collective", "Lab")


def _vendor(rng: random.Random) -> str:
    name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{name} {rng.choice(VENDOR_SUFFIXES)}"


def vendors(count: int = 400, seed: int = SEED) -> list[str]:
    rng = random.Random(seed ^ 0x5EED)
    return [_vendor(rng) for _ in range(count)]


def _description(rng: random.Random, kind: ProductType, noun: str, material: str) -> str:
    use = rng.choice(kind.uses)
    sentences = [
        f"A {material} {noun.lower()} made for {use}.",
        f"{rng.choice(FEATURES).capitalize()} and {rng.choice(FEATURES)}.",
    ]
    if rng.random() < 0.7:
        sentences.append(f"Pairs well with the rest of our {kind.department.lower()} range, "
                         f"and works just as well for {rng.choice(kind.uses)}.")
    if rng.random() < 0.4:
        sentences.append(f"Care: wipe clean or follow the label; {rng.choice(FEATURES)}.")
    return "<p>" + " ".join(sentences) + "</p>"


def product(index: int, seed: int = SEED, vendor_names: list[str] | None = None) -> dict[str, object]:
    """Row ``index`` of the catalog; any row can be made on its own, in O(1)."""
    rng = random.Random(seed * 1_000_003 + index)
    kind = TYPES[int((rng.paretovariate(1.2) - 1) * 7) % len(TYPES)]
    noun, material = rng.choice(kind.nouns), rng.choice(kind.materials)
    colour = rng.choice(COLOURS)
    title = f"{rng.choice(STYLES)} {material.title()} {noun}"
    if rng.random() < 0.6:
        title += f" - {colour}"
    if rng.random() < 0.2:
        title += f", {rng.choice(SIZES)}"
    low, high = kind.price
    price = round(low + (high - low) * rng.random() ** 2, 0) - 0.01
    names = vendor_names or vendors(seed=seed)
    updated = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=index)
    return {
        "id": str(1_000_000 + index),
        "title": title,
        "body": _description(rng, kind, noun, material),
        "vendor": names[int(rng.paretovariate(1.0) * 10) % len(names)],
        "product_type": kind.name,
        "tags": sorted({kind.department.lower(), material, colour.lower(), rng.choice(kind.uses)}),
        "price": max(price, 0.99),
        "currency": CURRENCY,
        "available": rng.random() > 0.05,
        "updated_at": updated.isoformat(),
    }


def catalog(count: int, seed: int = SEED) -> Iterator[dict[str, object]]:
    names = vendors(seed=seed)
    for index in range(count):
        yield product(index, seed, names)


def write_catalog(path: Path, count: int, seed: int = SEED) -> Path:
    """Write ``count`` products as JSON lines (what ``affinity catalog import`` reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in catalog(count, seed))
    temporary.replace(path)
    return path


def visitor_history(visitor: int, products: int, seed: int = SEED,
                    max_events: int = 20) -> list[int]:
    """Product indexes a visitor looked at: a few interests, popular items more often."""
    rng = random.Random(seed * 7_919 + visitor)
    length = min(max_events, 1 + int(rng.paretovariate(1.3)))
    # Popularity is Zipf-like: low indexes are the shop's best sellers.
    return [min(products - 1, int(rng.paretovariate(0.8)) - 1) * 7919 % products
            for _ in range(length)]


def visitors(count: int, products: int, seed: int = SEED) -> Iterator[tuple[str, list[int]]]:
    """``count`` visitors with their histories (1M visitors stream without holding them)."""
    for visitor in range(count):
        yield f"v{visitor:07d}", visitor_history(visitor, products, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    cat = commands.add_parser("catalog", help="write a synthetic catalog as JSON lines")
    cat.add_argument("--products", type=int, default=10_000)
    cat.add_argument("--seed", type=int, default=SEED)
    cat.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write_catalog(args.out, args.products, args.seed)
    print(json.dumps({"written": str(args.out), "products": args.products}))


if __name__ == "__main__":
    main()
