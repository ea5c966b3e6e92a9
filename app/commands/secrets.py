"""``affinity secrets encrypt``: seal the secrets stored in plain text and prove that the
key opens every stored one (what a server checks as it starts)."""

import argparse

from app.commands.common import Commands, Database, emit
from app.crypto.secret_box import secret_box_for
from app.settings import Settings
from app.storage.database import transaction
from app.sync.credentials import seal_stored_secrets


def register(commands: Commands) -> None:
    secrets = commands.add_parser("secrets", help="secrets stored in the database").add_subparsers(
        dest="action", required=True)
    encrypt = secrets.add_parser(
        "encrypt", help="encrypt secrets stored in plain text and check that the key opens "
                        "every stored one (a server does this as it starts)")
    encrypt.set_defaults(handler=cmd_secrets_encrypt)


async def cmd_secrets_encrypt(_: argparse.Namespace, settings: Settings) -> int:
    async with Database(settings) as db, transaction(db.sessions) as session:
        sealed = await seal_stored_secrets(session, secret_box_for(settings))
    emit({"shops_encrypted": sealed})
    return 0
