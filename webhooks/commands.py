"""Commands of the webhook side: ``sync``, ``inbox``, ``privacy``, the shop's platform
credentials and ``secrets encrypt``. Registered on the ``affinity`` parser by ``app.cli``."""

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress, TaskID

from app.container import Services, build_services, customer_stores
from app.db import create_engine, create_session_factory, transaction
from app.errors import InvalidInput
from app.ids import ShopId
from app.ingestion.service import inbox_counts, retry_failed
from app.privacy.service import list_exports
from app.settings import Settings
from app.shops import service as shops
from app.sync.credentials import (
    PlatformCredentials,
    credentials_of,
    seal_stored_secrets,
    set_credentials,
)
from webhooks.backfill.runner import RESOURCES, ShopifySync
from webhooks.backfill.shopify_admin import ShopifyAdminClient
from webhooks.ingestion import Ingestion
from webhooks.shops import context_of

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()


@asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    engine = create_engine(settings.database_url)
    try:
        yield build_services(settings, engine, create_session_factory(engine))
    finally:
        await engine.dispose()


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
    async with _services(settings) as services:
        async with transaction(services.sessions) as session:
            shop = await shops.get_by_domain(session, args.shop)
            if shop.platform != "shopify":
                raise InvalidInput(f"sync pulls from Shopify; {shop.domain} is {shop.platform}")
            context = context_of(shop, services.secrets)
            credentials = credentials_of(shop, services.secrets)
        if credentials is None:
            raise InvalidInput(f"{shop.domain} has no Admin API token: "
                               "affinity shop set-credentials DOMAIN --access-token-stdin")
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0)) as http:
            client = ShopifyAdminClient(http, context.domain, credentials.access_token,
                                        credentials.api_version or settings.shopify_api_version,
                                        credentials.api_url)
            with Progress(console=Console(stderr=True), transient=False) as bars:
                report = await ShopifySync(services.sessions, client, context,
                                           RichProgress(bars)).run(args.only or RESOURCES)
    _emit({"shop": context.domain, "pulled": report.pulled, "resumed": report.resumed,
           "deleted": report.deleted, "throttled_seconds": round(report.waited_seconds, 1)})
    return 0


async def cmd_inbox_process(args: argparse.Namespace, settings: Settings) -> int:
    async with _services(settings) as services:
        ingestion = Ingestion(services, customer_stores=customer_stores(services))
        try:
            if args.forever:
                await ingestion.processor.run_forever(asyncio.Event())
            applied = await ingestion.processor.drain()
        finally:
            await ingestion.aclose()
        async with transaction(services.sessions) as session:
            counts = await inbox_counts(session)
    _emit({"applied": applied, **counts})
    return 0


async def _shop_id(services: Services, domain: str | None) -> ShopId | None:
    if domain is None:
        return None
    async with transaction(services.sessions) as session:
        return ShopId((await shops.get_by_domain(session, domain)).id)


async def cmd_inbox_status(args: argparse.Namespace, settings: Settings) -> int:
    async with _services(settings) as services:
        shop_id = await _shop_id(services, args.shop)
        async with transaction(services.sessions) as session:
            _emit(await inbox_counts(session, shop_id))
    return 0


async def cmd_inbox_retry(args: argparse.Namespace, settings: Settings) -> int:
    async with _services(settings) as services:
        shop_id = await _shop_id(services, args.shop)
        async with transaction(services.sessions) as session:
            _emit({"requeued": await retry_failed(session, shop_id)})
    return 0


async def cmd_set_credentials(args: argparse.Namespace, settings: Settings) -> int:
    token = sys.stdin.readline().strip() if args.access_token_stdin else args.access_token
    if not token:
        raise InvalidInput("give the token with --access-token or on stdin (--access-token-stdin)")
    credentials = PlatformCredentials(access_token=token, api_version=args.api_version,
                                      store_hash=args.store_hash, api_url=args.api_url)
    async with _services(settings) as services, transaction(services.sessions) as session:
        shop = await shops.get_by_domain(session, args.domain)
        await set_credentials(session, shop, credentials, services.secrets)
    _emit({"shop": args.domain, "credentials": "stored", "store_hash": args.store_hash,
           "api_version": args.api_version, "api_url": args.api_url})
    return 0


async def cmd_add_webhook_secret(args: argparse.Namespace, settings: Settings) -> int:
    async with _services(settings) as services, transaction(services.sessions) as session:
        shop = await shops.get_by_domain(session, args.domain)
        await shops.add_webhook_secret(session, shop, args.secret, services.secrets)
        kept = len(shop.webhook_secrets)
    _emit({"shop": args.domain, "webhook_secrets": kept})
    return 0


async def cmd_secrets_encrypt(_: argparse.Namespace, settings: Settings) -> int:
    async with _services(settings) as services, transaction(services.sessions) as session:
        sealed = await seal_stored_secrets(session, services.secrets)
    _emit({"shops_encrypted": sealed})
    return 0


async def cmd_privacy_exports(args: argparse.Namespace, settings: Settings) -> int:
    async with _services(settings) as services:
        shop_id = await _shop_id(services, args.shop)
        assert shop_id is not None
        async with transaction(services.sessions) as session:
            for export in await list_exports(session, shop_id):
                _emit({"request_id": export.request_id, "created_at": export.created_at,
                       **export.payload})
    return 0


def add_commands(commands: Any, shop: Any) -> None:
    """Add the commands to ``affinity`` (``commands``) and to ``affinity shop`` (``shop``)."""
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

    creds = shop.add_parser("set-credentials", help="store the shop's platform API token")
    creds.add_argument("domain")
    token = creds.add_mutually_exclusive_group(required=True)
    token.add_argument("--access-token")
    token.add_argument("--access-token-stdin", action="store_true",
                       help="read the token from standard input (keeps it out of shell history)")
    creds.add_argument("--api-version", help="Shopify Admin API version, e.g. 2025-07")
    creds.add_argument("--store-hash", help="BigCommerce store hash (stores/{hash})")
    creds.add_argument("--api-url", help="API base URL (a proxy or a local stand-in)")
    creds.set_defaults(handler=cmd_set_credentials)
    secret = shop.add_parser("add-webhook-secret",
                             help="accept a new webhook secret next to the current one")
    secret.add_argument("domain")
    secret.add_argument("secret")
    secret.set_defaults(handler=cmd_add_webhook_secret)

    secrets = commands.add_parser("secrets", help="secrets stored in the database").add_subparsers(
        dest="action", required=True)
    encrypt = secrets.add_parser(
        "encrypt", help="encrypt secrets stored in plain text and check that the key opens "
                        "every stored one (a server does this as it starts)")
    encrypt.set_defaults(handler=cmd_secrets_encrypt)

    privacy = commands.add_parser("privacy", help="customer data requests").add_subparsers(
        dest="action", required=True)
    exports = privacy.add_parser("exports", help="print the customer data exports of a shop")
    exports.add_argument("--shop", required=True)
    exports.set_defaults(handler=cmd_privacy_exports)
