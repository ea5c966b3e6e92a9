"""``affinity catalog import`` and ``affinity index build``: products in, then their
embeddings and a new index file (with a progress bar on the terminal)."""

import argparse
from pathlib import Path
from typing import Any

from rich.progress import Progress

from app.commands.common import Commands, Database, emit
from app.embeddings.factory import build_embedder
from app.embeddings.service import embed_stale_products, stale_products
from app.ids import ShopId
from app.index.service import build_index, reserve_version
from app.settings import Settings
from app.shops import service as shops
from app.storage.database import transaction


def register(commands: Commands) -> None:
    catalog = commands.add_parser("catalog").add_subparsers(dest="action", required=True)
    imp = catalog.add_parser("import", help="import products from CSV or JSON lines")
    imp.add_argument("--shop", required=True)
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_catalog_import)

    index = commands.add_parser("index").add_subparsers(dest="action", required=True)
    build = index.add_parser("build", help="embed changed products and build a new index")
    build.add_argument("--shop", required=True)
    build.set_defaults(handler=cmd_index_build)


async def cmd_catalog_import(args: argparse.Namespace, settings: Settings) -> int:
    from app.catalog.importer import read_catalog_file
    from app.catalog.service import apply_product_changes

    changes = read_catalog_file(Path(args.file))
    async with Database(settings) as db, transaction(db.sessions) as session:
        shop = await shops.get_by_domain(session, args.shop)
        result = await apply_product_changes(session, ShopId(shop.id), changes)
    emit({"shop": args.shop, "rows": len(changes), "created": result.created,
          "updated": result.updated, "unchanged": result.unchanged,
          "skipped_stale": result.skipped_stale})
    return 0


async def cmd_index_build(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        async with transaction(db.sessions) as session:
            shop = await shops.get_by_domain(session, args.shop)
        outcome = await embed_and_build(db, settings, ShopId(shop.id), force=True)
    emit({"shop": args.shop, **outcome})
    return 0


async def embed_and_build(db: Database, settings: Settings, shop_id: ShopId, force: bool) -> dict[str, Any]:
    """Embed what changed (with a progress bar), then build the index if needed."""
    async with transaction(db.sessions) as session:
        pending = len(await stale_products(session, shop_id, settings.embedding_model))
    embedded = 0
    if pending:
        embedder = build_embedder(settings)
        with Progress(console=None, transient=False) as progress:
            task = progress.add_task("embedding products", total=pending)
            async with transaction(db.sessions) as session:
                result = await embed_stale_products(
                    session, shop_id, embedder, progress=lambda n: progress.advance(task, n))
            embedded = result.embedded
    from app.index.files import index_folder, read_pointer

    folder = index_folder(settings.index_dir, shop_id, settings.embedding_model)
    if not (force or embedded or read_pointer(folder) is None):
        return {"embedded": 0, "index_version": read_pointer(folder).version, "rebuilt": False}  # type: ignore[union-attr]
    # The version taken in a short transaction of its own: a SQLite file's write lock is not
    # held for the length of the build (a running server keeps writing meanwhile).
    async with transaction(db.sessions) as session:
        version = await reserve_version(session, shop_id, settings.embedding_model,
                                        settings.index_dir)
    async with transaction(db.sessions) as session:
        built = await build_index(session, shop_id, settings.embedding_model,
                                  settings.index_dir, settings.annoy_trees,
                                  settings.annoy_search_k, reserved=version)
    return {"embedded": embedded, "index_version": built.version, "items": built.item_count,
            "rebuilt": True}
