"""``affinity shop``: register shops, list them, rotate their keys, store their platform
credentials and webhook secrets. Credentials are printed once, when they are made."""

import argparse
import sys

from app.commands.common import Commands, Database, emit
from app.crypto.secret_box import secret_box_for
from app.errors import InvalidInput
from app.settings import Settings
from app.shops import service as shops
from app.storage.database import transaction
from app.sync.credentials import PlatformCredentials, set_credentials


def register(commands: Commands) -> None:
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
    admin = shop.add_parser(
        "rotate-admin-token", help="new admin API token; prints it once, the old one stops working")
    admin.add_argument("domain")
    admin.set_defaults(handler=cmd_shop_rotate_admin_token)

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


async def cmd_shop_list(_: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db, transaction(db.sessions) as session:
        for shop in await shops.list_shops(session):
            emit({"shop": shop.domain, "platform": shop.platform, "status": shop.status,
                  "storefront_key": shop.storefront_key, "origins": shop.storefront_origins})
    return 0


async def cmd_shop_rotate_keys(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db, transaction(db.sessions) as session:
        shop = await shops.get_by_domain(session, args.domain)
        keys = await shops.rotate_keys(session, shop, secret_box_for(settings))
    emit({"shop": shop.domain, "server_key": keys.server_key,
          "customer_token_secret": keys.customer_token_secret})
    return 0


async def cmd_shop_rotate_admin_token(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db, transaction(db.sessions) as session:
        shop = await shops.get_by_domain(session, args.domain)
        token = await shops.rotate_admin_token(session, shop)
    emit({"shop": shop.domain, "admin_token": token})
    return 0


async def cmd_set_credentials(args: argparse.Namespace, settings: Settings) -> int:
    token = sys.stdin.readline().strip() if args.access_token_stdin else args.access_token
    if not token:
        raise InvalidInput("give the token with --access-token or on stdin (--access-token-stdin)")
    credentials = PlatformCredentials(access_token=token, api_version=args.api_version,
                                      store_hash=args.store_hash, api_url=args.api_url)
    async with Database(settings) as db:
        services = db.services()
        async with transaction(db.sessions) as session:
            shop = await shops.get_by_domain(session, args.domain)
            await set_credentials(session, shop, credentials, services.secrets)
    emit({"shop": args.domain, "credentials": "stored", "store_hash": args.store_hash,
          "api_version": args.api_version, "api_url": args.api_url})
    return 0


async def cmd_add_webhook_secret(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        services = db.services()
        async with transaction(db.sessions) as session:
            shop = await shops.get_by_domain(session, args.domain)
            await shops.add_webhook_secret(session, shop, args.secret, services.secrets)
            kept = len(shop.webhook_secrets)
    emit({"shop": args.domain, "webhook_secrets": kept})
    return 0
