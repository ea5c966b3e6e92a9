"""A served shop at benchmark scale: a SQLite database with the synthetic catalog, orders,
product vectors and a built Annoy index, kept under ``var/bench/`` and reused by later runs.

Rows are written with bulk inserts (the importer applies products one by one, with a
savepoint each: right for webhooks and files of thousands, minutes for 100k rows).

Vectors: the first ``BASE_PRODUCTS`` synthetic products are embedded for real with the
int8 backend (cached); product ``i`` beyond them gets the vector of product
``i % BASE_PRODUCTS`` plus Gaussian noise (cosine ≈ 0.9 to it), a catalog of near-variants
with the clustered structure of real text embeddings. Recall is measured on real
embeddings in ``benchmarks.index``; these vectors serve the latency benchmarks."""

import asyncio
import json
import shutil
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import make_url

import app.models  # noqa: F401  (every table, for the foreign keys)
from app.catalog.models import Product
from app.catalog.text import content_hash, product_text
from app.embeddings.models import ProductEmbedding
from app.embeddings.service import to_bytes
from app.events.models import Ranking
from app.orders.models import Order, OrderLine
from app.settings import DEFAULT_MODEL
from app.storage.database import create_engine, create_session_factory, transaction
from benchmarks import synthetic
from benchmarks.common import WORK, affinity, bench_env

VERSION = 11
DOMAIN = "bench.example"
SECRET = "bench-webhook-secret"
BASE_PRODUCTS = 5_000
NOISE_COSINE = 0.9
ORDERS = 20_000
CHUNK = 5_000
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class World:
    folder: Path
    database_url: str
    data_dir: Path
    domain: str
    storefront_key: str
    server_key: str
    webhook_secret: str
    products: int
    shop_id: int
    index_build_seconds: float

    def env(self, **extra: str) -> dict[str, str]:
        return bench_env(self.database_url, self.data_dir, **extra)


def texts(count: int, start: int = 0) -> list[str]:
    """The embedded text of synthetic products ``start .. start + count``."""
    names = synthetic.vendors()
    rows = (synthetic.product(i, vendor_names=names) for i in range(start, start + count))
    return [product_text(str(r["title"]), str(r["product_type"]), str(r["body"])) for r in rows]


def base_vectors(count: int = BASE_PRODUCTS) -> Vectors:
    """Real int8 embeddings of the first ``count`` synthetic products (cached)."""
    path = WORK / "vectors" / f"synthetic-{count}-{synthetic.SEED}-int8.npy"
    if path.exists():
        cached: Vectors = np.load(path)
        return cached
    from app.embeddings.onnx_backend import OnnxEmbedder

    embedder = OnnxEmbedder(DEFAULT_MODEL, 64, WORK / "models", quantized=True)
    vectors = embedder.embed(texts(count))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def scaled_vectors(count: int, base: Vectors, seed: int = synthetic.SEED) -> Vectors:
    """``count`` vectors: the base ones, then noisy copies of them (see the module doc)."""
    rng = np.random.default_rng(seed)
    dimension = base.shape[1]
    # |noise|² ≈ d σ², so cos(base, base + noise) ≈ 1 / sqrt(1 + d σ²).
    sigma = np.sqrt((1 / NOISE_COSINE**2 - 1) / dimension)
    out = base[np.arange(count) % len(base)].copy()
    extra = slice(len(base), count)
    out[extra] += rng.normal(0.0, sigma, size=out[extra].shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def _product_row(shop_id: int, row: dict[str, object], now: datetime) -> dict[str, object]:
    title, kind, body = str(row["title"]), str(row["product_type"]), str(row["body"])
    return {
        "shop_id": shop_id, "platform_id": row["id"], "handle": f"p-{row['id']}",
        "title": title, "body_text": body, "vendor": row["vendor"], "product_type": kind,
        "tags": row["tags"], "status": "active", "published": True,
        "price_min": row["price"], "price_max": row["price"], "currency": row["currency"],
        "image_url": None, "url": None, "inventory_quantity": None,
        "available": row["available"], "deleted": False,
        "content_hash": content_hash(product_text(title, kind, body)),
        "platform_updated_at": datetime.fromisoformat(str(row["updated_at"])),
        "created_at": now, "updated_at": now,
    }


async def _fill(url: str, shop_id: int, count: int, vectors: Vectors) -> None:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC) - timedelta(hours=1)
    try:
        rows = [_product_row(shop_id, r, now) for r in synthetic.catalog(count)]
        async with transaction(sessions) as session:
            for start in range(0, count, CHUNK):
                await session.execute(insert(Product), rows[start : start + CHUNK])
            keys = dict((await session.execute(
                select(Product.platform_id, Product.id).where(Product.shop_id == shop_id))).all())
        async with transaction(sessions) as session:
            for start in range(0, count, CHUNK):
                await session.execute(insert(ProductEmbedding), [
                    {"product_key": keys[str(r["platform_id"])], "model_name": DEFAULT_MODEL,
                     "shop_id": shop_id, "content_hash": r["content_hash"], "dimension": 384,
                     "vector": to_bytes(vectors[i]), "updated_at": now}
                    for i, r in enumerate(rows[start : start + CHUNK], start=start)
                ])
        async with transaction(sessions) as session:
            await _orders(session, shop_id, count, now)
        if engine.dialect.name == "postgresql":
            # What autovacuum does a minute after a bulk load: planner statistics.
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def _orders(session: object, shop_id: int, count: int, now: datetime) -> None:
    """Orders from synthetic visitors, so that popularity has something to count."""
    orders, lines = [], []
    for n, (visitor, history) in enumerate(synthetic.visitors(ORDERS, count)):
        orders.append({"shop_id": shop_id, "platform_id": f"o{n}", "customer_id": visitor,
                       "placed_at": now - timedelta(minutes=n), "cancelled": False,
                       "currency": synthetic.CURRENCY, "created_at": now})
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    for start in range(0, len(orders), CHUNK):
        await session.execute(insert(Order), orders[start : start + CHUNK])
    ids = dict((await session.execute(
        select(Order.platform_id, Order.id).where(Order.shop_id == shop_id))).all())
    for n, (_, history) in enumerate(synthetic.visitors(ORDERS, count)):
        for i, index in enumerate(dict.fromkeys(history[:3])):
            lines.append({"shop_id": shop_id, "order_key": ids[f"o{n}"], "platform_id": f"l{n}-{i}",
                          "product_id": str(1_000_000 + index), "quantity": 1,
                          "refunded_quantity": 0, "price": 10.0})
    for start in range(0, len(lines), CHUNK):
        await session.execute(insert(OrderLine), lines[start : start + CHUNK])


def _manifest(folder: Path) -> dict[str, object] | None:
    try:
        return dict(json.loads((folder / "world.json").read_text()))
    except (OSError, ValueError):
        return None


def _reuse(folder: Path) -> World | None:
    """The world recorded in ``folder``, migrated to the current schema, if it is intact."""
    found = _manifest(folder)
    if found is None or found.pop("version", None) != VERSION:
        return None
    found["folder"], found["data_dir"] = Path(str(found["folder"])), Path(str(found["data_dir"]))
    world = World(**found)  # type: ignore[arg-type]
    try:
        affinity(["migrate"], world.env())  # the schema may have moved on since it was built
    except RuntimeError:
        return None  # e.g. its PostgreSQL database is gone
    asyncio.run(_forget_served_lists(world.database_url))
    return world


async def _forget_served_lists(url: str) -> None:
    """Every run records each list it is served (about 30k a run): without this, each
    run would write into a larger table than the one before (700 MB within an hour of runs)."""
    engine = create_engine(url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            await session.execute(delete(Ranking))
    finally:
        await engine.dispose()


async def _recreate_postgres(name: str) -> str:
    import asyncpg

    admin = make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def build_world(products: int = 100_000, rebuild: bool = False,
                backend: str = "sqlite") -> World:
    """The cached world of ``products`` products on SQLite or PostgreSQL, built on first
    use (about a minute)."""
    folder = WORK / (f"world-{products}" + ("" if backend == "sqlite" else f"-{backend}"))
    world = None if rebuild else _reuse(folder)
    if world is not None:
        return world
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'affinity.db'}"
    else:
        url = asyncio.run(_recreate_postgres(f"affinity_bench_world_{products}"))
    data_dir = folder / "data"
    env = bench_env(url, data_dir)
    affinity(["migrate"], env)
    shop = affinity(["shop", "add", DOMAIN, "--webhook-secret", SECRET,
                     "--origin", f"https://{DOMAIN}"], env)[0]
    vectors = scaled_vectors(products, base_vectors(min(products, BASE_PRODUCTS)))
    asyncio.run(_fill(url, 1, products, vectors))
    started = time.monotonic()
    affinity(["index", "build", "--shop", DOMAIN], env)
    index_seconds = round(time.monotonic() - started, 2)
    # The collaborative model, as a server that has run a day has it (training is a
    # background job; a server started on a fresh world would serve without it meanwhile).
    affinity(["model", "train", "--shop", DOMAIN], env)
    # Its order history in the KPI rollups, as on a shop that has run a while: a server on
    # a fresh world would fold it first, holding the write lock fold after fold.
    affinity(["kpis", "rebuild"], env)
    world = World(folder, url, data_dir, DOMAIN, str(shop["storefront_key"]),
                  str(shop["server_key"]), SECRET, products,
                  1, index_seconds)
    payload = {**asdict(world), "version": VERSION}
    payload["folder"], payload["data_dir"] = str(folder), str(data_dir)
    (folder / "world.json").write_text(json.dumps(payload, indent=2))
    return world


if __name__ == "__main__":
    print(build_world())


def copy_world(world: World, into: Path) -> World:
    """A scratch copy of ``world`` in ``into``, so that the cached world stays as built."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(world.folder, into)
    return replace(world, folder=into, database_url=f"sqlite+aiosqlite:///{into / 'affinity.db'}",
                   data_dir=into / "data")
