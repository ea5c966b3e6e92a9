"""``affinity kpis``: the KPI rollups. ``rebuild`` drops them and folds every stored served
list, event, order and refund again (after a restore, or a change of attribution windows)."""

import argparse

from app.attribution.credits import AttributionWindows
from app.attribution.rollup import rebuild
from app.commands.common import Commands, Database, emit
from app.settings import Settings
from app.storage.database import transaction


def register(commands: Commands) -> None:
    kpis = commands.add_parser("kpis", help="KPI rollups").add_subparsers(dest="action", required=True)
    again = kpis.add_parser("rebuild", help="drop the KPI rollups and fold every stored row again")
    again.add_argument("--domain", help="only this shop (default: every shop)")
    again.set_defaults(handler=cmd_kpis_rebuild)


async def cmd_kpis_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    windows = AttributionWindows.of_days(settings.attribution_click_window_days,
                                         settings.attribution_view_window_days)
    async with Database(settings) as db:
        shop_id = await db.shop_id(args.domain)
        async with transaction(db.sessions) as session:
            report = await rebuild(session, shop_id, windows)
    emit({"shop": args.domain, "rankings": report.rankings, "events": report.events,
          "orders": report.orders, "refund_lines": report.refund_lines})
    return 0
