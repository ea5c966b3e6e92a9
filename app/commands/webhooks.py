"""``affinity sync`` (pull a Shopify shop through its Admin API) and ``affinity inbox``
(apply, count and requeue the webhook deliveries stored by the servers)."""

import argparse
import asyncio

import httpx
from rich.console import Console
from rich.progress import Progress, TaskID

from app.commands.common import Commands, Database, emit
from app.container import customer_stores
from app.crypto.secret_box import secret_box_for
from app.entry_points import ingestion_dependencies
from app.errors import InvalidInput
from app.ingestion.context import context_of
from app.ingestion.service import inbox_counts, retry_failed
from app.settings import Settings
from app.shops import service as shops
from app.storage.database import transaction
from app.sync.credentials import credentials_of
from webhooks.backfill.runner import RESOURCES, ShopifySync
from webhooks.backfill.shopify_admin import ShopifyAdminClient
from webhooks.ingestion import Ingestion


def register(commands: Commands) -> None:
    sync = commands.add_parser("sync", help="pull a Shopify shop's catalog and orders "
                                            "(resumable; re-run to reconcile)")
    sync.add_argument("--shop", required=True)
    sync.add_argument("--only", action="append", choices=RESOURCES,
                      help="limit to these resources (repeatable)")
    sync.set_defaults(handler=cmd_sync)

    inbox = commands.add_parser("inbox", help="the webhook inbox").add_subparsers(
        dest="action", required=True)
    process = inbox.add_parser("process", help="apply pending webhook deliveries")
    process.add_argument("--forever", action="store_true", help="keep processing")
    process.set_defaults(handler=cmd_inbox_process)
    status = inbox.add_parser("status", help="count deliveries by status")
    status.add_argument("--shop")
    status.set_defaults(handler=cmd_inbox_status)
    retry = inbox.add_parser("retry", help="requeue deliveries parked as failed")
    retry.add_argument("--shop")
    retry.set_defaults(handler=cmd_inbox_retry)


class RichProgress:
    """One bar per resource, on stderr so that stdout stays JSON."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, resource: str, total: int | None, done: int) -> None:
        self._tasks[resource] = self._progress.add_task(resource, total=total, completed=done)

    def advance(self, resource: str, count: int) -> None:
        self._progress.advance(self._tasks[resource], count)


async def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        box = secret_box_for(settings)
        async with transaction(db.sessions) as session:
            shop = await shops.get_by_domain(session, args.shop)
            if shop.platform != "shopify":
                raise InvalidInput(f"sync pulls from Shopify; {shop.domain} is {shop.platform}")
            context = context_of(shop, box)
            credentials = credentials_of(shop, box)
        if credentials is None:
            raise InvalidInput(f"{shop.domain} has no Admin API token: "
                               "affinity shop set-credentials DOMAIN --access-token-stdin")
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0)) as http:
            client = ShopifyAdminClient(http, context.domain, credentials.access_token,
                                        credentials.api_version or settings.shopify_api_version,
                                        credentials.api_url)
            with Progress(console=Console(stderr=True), transient=False) as bars:
                report = await ShopifySync(db.sessions, client, context,
                                           RichProgress(bars)).run(args.only or RESOURCES)
    emit({"shop": context.domain, "pulled": report.pulled, "resumed": report.resumed,
          "deleted": report.deleted, "throttled_seconds": round(report.waited_seconds, 1)})
    return 0


async def cmd_inbox_process(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        services = db.services()
        ingestion = Ingestion(ingestion_dependencies(services),
                              customer_stores=customer_stores(services))
        try:
            if args.forever:
                await ingestion.processor.run_forever(asyncio.Event())
            applied = await ingestion.processor.drain()
        finally:
            await ingestion.aclose()
        async with transaction(db.sessions) as session:
            counts = await inbox_counts(session)
    emit({"applied": applied, **counts})
    return 0


async def cmd_inbox_status(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        shop_id = await db.shop_id(args.shop)
        async with transaction(db.sessions) as session:
            emit(await inbox_counts(session, shop_id))
    return 0


async def cmd_inbox_retry(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        shop_id = await db.shop_id(args.shop)
        async with transaction(db.sessions) as session:
            emit({"requeued": await retry_failed(session, shop_id)})
    return 0
