"""``affinity migrate``: Alembic upgrades (or a downgrade) of the configured database."""

import argparse

from app import migrate
from app.commands.common import Commands, emit
from app.settings import Settings


def register(commands: Commands) -> None:
    mig = commands.add_parser("migrate", help="apply database migrations")
    mig.add_argument("--revision", default="heads")
    mig.add_argument("--downgrade", metavar="REVISION")
    mig.set_defaults(handler=cmd_migrate)


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    if args.downgrade:
        await migrate.downgrade(settings.database_url, args.downgrade)
    else:
        await migrate.upgrade(settings.database_url, args.revision)
    emit({"migrated": args.downgrade or args.revision})
    return 0
