"""``affinity privacy exports``: the customer data exports a shop's platform asked for."""

import argparse

from app.commands.common import Commands, Database, emit
from app.privacy.service import list_exports
from app.settings import Settings
from app.storage.database import transaction


def register(commands: Commands) -> None:
    privacy = commands.add_parser("privacy", help="customer data requests").add_subparsers(
        dest="action", required=True)
    exports = privacy.add_parser("exports", help="print the customer data exports of a shop")
    exports.add_argument("--shop", required=True)
    exports.set_defaults(handler=cmd_privacy_exports)


async def cmd_privacy_exports(args: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db:
        shop_id = await db.shop_id(args.shop)
        assert shop_id is not None
        async with transaction(db.sessions) as session:
            for export in await list_exports(session, shop_id):
                emit({"request_id": export.request_id, "created_at": export.created_at,
                      **export.payload})
    return 0

