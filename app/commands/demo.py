"""``affinity demo`` (the demo shop, embedded and indexed, ready to serve) and
``affinity demo-data`` (regenerate the bundled demo files from the dataset)."""

import argparse
import json
from pathlib import Path

from app import migrate
from app.commands.catalog import embed_and_build
from app.commands.common import Commands, Database, emit
from app.crypto.secret_box import secret_box_for
from app.ids import ShopId
from app.measurement import MeasurementWorker
from app.settings import Settings

EXAMPLE_QUERY = """{
  similarProducts(productId: "21844", first: 6) {
    recommendationId
    items { score product { id title price currency } reasons { message } }
  }
}"""


def register(commands: Commands) -> None:
    commands.add_parser("demo", help="create the demo shop, embed and index it").set_defaults(handler=cmd_demo)
    data = commands.add_parser("demo-data", help="regenerate the demo data files")
    data.add_argument("--source", required=True)
    data.set_defaults(handler=cmd_demo_data)


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.demo.setup import setup_demo

    await migrate.upgrade(settings.database_url)
    async with Database(settings) as db:
        report = await setup_demo(db.sessions, settings, secret_box_for(settings))
        outcome = await embed_and_build(db, settings, ShopId(report.shop_id), force=False)
        # The order history into the KPI rollups now, not while the first shoppers wait.
        folded = await MeasurementWorker(db.sessions, settings).fold_backlog()
    base = f"http://{settings.host}:{settings.port}"
    made = {"server_key": report.server_key} if report.server_key else {}
    emit({"shop": report.domain, "storefront_key": report.storefront_key,
          "products": report.products, "orders_created": report.orders_created, **outcome,
          "rollup_rows_folded": folded,
          **made, "customer_id": report.customer_id, "customer_token": report.customer_token,
          "serve": "AFFINITY_DEMO_MODE=true affinity serve",
          "open": f"{base}/demo", "graphiql": graphiql_url(base, report.storefront_key)})
    return 0


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
