"""``affinity``: thin commands that parse, open a transaction and call one service."""

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Self

from rich.progress import Progress

from app import migrate
from app.catalog.snapshot import watch_catalog_writes
from app.crypto.file_modes import keep_new_files_private
from app.crypto.secret_box import secret_box_for
from app.db import create_engine, create_session_factory, transaction
from app.embeddings.factory import build_embedder
from app.embeddings.service import embed_stale_products, stale_products
from app.engine_cli import add_engine_commands
from app.errors import AppError
from app.ids import ShopId
from app.index.service import build_index
from app.settings import Settings
from app.shops import service as shops
from webhooks.commands import add_commands

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]
log = logging.getLogger("affinity")


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


class Database:
    """An engine for the duration of one command."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings.database_url)
        self.sessions = create_session_factory(self.engine)
        watch_catalog_writes(self.sessions)  # long imports restamp before they commit

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.engine.dispose()


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    if args.downgrade:
        await migrate.downgrade(settings.database_url, args.downgrade)
    else:
        await migrate.upgrade(settings.database_url, args.revision)
    emit({"migrated": args.downgrade or args.revision})
    return 0


async def cmd_shop_add(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db, transaction(db.sessions) as session:
        created = await shops.create_shop(
            session, args.domain, args.platform, args.webhook_secret,
            args.origin or None, currency=args.currency,
            box=secret_box_for(settings),
        )
    emit({"shop": created.shop.domain, "storefront_key": created.storefront_key,
          "admin_token": created.admin_token, "server_key": created.server_key,
          "customer_token_secret": created.customer_token_secret})
    return 0


async def cmd_shop_rotate_keys(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db, transaction(db.sessions) as session:
        shop = await shops.get_by_domain(session, args.domain)
        keys = await shops.rotate_keys(session, shop, secret_box_for(settings))
    emit({"shop": shop.domain, "server_key": keys.server_key,
          "customer_token_secret": keys.customer_token_secret})
    return 0


async def cmd_shop_list(_: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db, transaction(db.sessions) as session:
        for shop in await shops.list_shops(session):
            emit({"shop": shop.domain, "platform": shop.platform, "status": shop.status,
                  "storefront_key": shop.storefront_key, "origins": shop.storefront_origins})
    return 0


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
    async with transaction(db.sessions) as session:
        built = await build_index(session, shop_id, settings.embedding_model,
                                  settings.index_dir, settings.annoy_trees,
                                  settings.annoy_search_k)
    return {"embedded": embedded, "index_version": built.version, "items": built.item_count,
            "rebuilt": True}


async def cmd_index_build(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        async with transaction(db.sessions) as session:
            shop = await shops.get_by_domain(session, args.shop)
        outcome = await embed_and_build(db, settings, ShopId(shop.id), force=True)
    emit({"shop": args.shop, **outcome})
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.demo.setup import setup_demo

    await migrate.upgrade(settings.database_url)
    async with Database(settings) as db:
        report = await setup_demo(db.sessions, settings, secret_box_for(settings))
        outcome = await embed_and_build(db, settings, ShopId(report.shop_id), force=False)
    base = f"http://{settings.host}:{settings.port}"
    made = {"server_key": report.server_key} if report.server_key else {}
    emit({"shop": report.domain, "storefront_key": report.storefront_key,
          "products": report.products, "orders_created": report.orders_created, **outcome,
          **made, "customer_id": report.customer_id, "customer_token": report.customer_token,
          "serve": "AFFINITY_DEMO_MODE=true affinity serve",
          "open": f"{base}/demo", "graphiql": graphiql_url(base, report.storefront_key)})
    return 0


EXAMPLE_QUERY = """{
  similarProducts(productId: "21844", first: 6) {
    recommendationId
    items { score product { id title price currency } reasons { message } }
  }
}"""


def graphiql_url(base: str, storefront_key: str) -> str:
    """GraphiQL with the storefront key already in its headers editor."""
    from urllib.parse import urlencode

    headers = json.dumps({"X-Affinity-Storefront-Key": storefront_key})
    return f"{base}/graphql?" + urlencode({"headers": headers, "q": EXAMPLE_QUERY})


async def cmd_demo_data(args: argparse.Namespace, _: Settings) -> int:
    from app.demo.derive import derive

    products, orders = derive(Path(args.source))
    emit({"products": products, "orders": orders})
    return 0


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.container import build_services
    from app.worker import CatalogWorker

    async with Database(settings) as db:
        services = build_services(settings, db.engine, db.sessions)
        worker = CatalogWorker(services, lambda: build_embedder(settings))
        if args.once:
            emit({"embedded": await worker.run_once()})
        else:
            await worker.run_forever(asyncio.Event())
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    host, port = args.host or settings.host, args.port or settings.port
    overrides = {"host": host, "port": port}
    app_settings = settings.model_copy(update=overrides)
    from app.asgi import create_app
    from app.cpu import limit_for_serving
    from app.heap import tune_for_serving

    tune_for_serving()
    limit_for_serving()
    log.info("serving on http://%s:%s%s", host, port,
             " (GraphiQL at /graphql)" if settings.demo_mode else "")
    # Open requests get a few seconds on SIGTERM, then are cut: shutdown never waits long
    # on a client that keeps a connection busy.
    uvicorn.run(create_app(app_settings), host=host, port=port, log_level="warning",
                server_header=False, timeout_graceful_shutdown=settings.shutdown_timeout_seconds)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="affinity", description="Affinity personalization engine")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    mig = commands.add_parser("migrate", help="apply database migrations")
    mig.add_argument("--revision", default="heads")
    mig.add_argument("--downgrade", metavar="REVISION")
    mig.set_defaults(handler=cmd_migrate)

    shop = commands.add_parser("shop", help="manage shops").add_subparsers(dest="action", required=True)
    add = shop.add_parser("add", help="register a shop; prints its credentials once")
    add.add_argument("domain")
    add.add_argument("--platform", default="shopify", choices=shops.PLATFORMS)
    add.add_argument("--webhook-secret")
    add.add_argument("--origin", action="append", help="storefront origin allowed by CORS")
    add.add_argument("--currency", default="USD")
    add.set_defaults(handler=cmd_shop_add)
    shop.add_parser("list", help="list shops with their storefront keys").set_defaults(handler=cmd_shop_list)
    rotate = shop.add_parser(
        "rotate-keys", help="new server key and customer-token secret; prints them once")
    rotate.add_argument("--domain", required=True)
    rotate.set_defaults(handler=cmd_shop_rotate_keys)

    catalog = commands.add_parser("catalog").add_subparsers(dest="action", required=True)
    imp = catalog.add_parser("import", help="import products from CSV or JSON lines")
    imp.add_argument("--shop", required=True)
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_catalog_import)

    index = commands.add_parser("index").add_subparsers(dest="action", required=True)
    build = index.add_parser("build", help="embed changed products and build a new index")
    build.add_argument("--shop", required=True)
    build.set_defaults(handler=cmd_index_build)

    commands.add_parser("demo", help="create the demo shop, embed and index it").set_defaults(handler=cmd_demo)
    data = commands.add_parser("demo-data", help="regenerate the demo data files")
    data.add_argument("--source", required=True)
    data.set_defaults(handler=cmd_demo_data)

    worker = commands.add_parser("worker", help="run the embedding/index worker")
    worker.add_argument("--once", action="store_true")
    worker.set_defaults(handler=cmd_worker)
    add_commands(commands, shop)
    add_engine_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    keep_new_files_private()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        return cmd_serve(args, settings)
    try:
        handler: Handler = args.handler
        return asyncio.run(handler(args, settings))
    except AppError as exc:
        sys.stderr.write(f"error [{exc.code.value}]: {exc.message}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
