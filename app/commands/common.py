"""What the commands share: JSON lines on stdout, a database for one command, progress on
stderr (stdout stays machine-readable)."""

import argparse
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any, Self, TypeAlias

from app.catalog.snapshot import watch_catalog_writes
from app.container import Services, build_services
from app.crypto.file_modes import private_folder
from app.ids import ShopId
from app.settings import Settings
from app.shops import service as shops
from app.storage.database import create_engine, create_session_factory, transaction

Handler: TypeAlias = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def emit(payload: dict[str, Any]) -> None:
    """One JSON object on its own line of stdout (dates as their ``str``)."""
    sys.stdout.write(json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()


def progress(what: str, done: int, total: int) -> None:
    """A counter on stderr that ends its line when done."""
    sys.stderr.write(f"\r{what}: {done}/{total}" + ("\n" if done >= total else ""))
    sys.stderr.flush()


class Database:
    """An engine and its sessions for the duration of one command."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url)
        self.sessions = create_session_factory(self.engine)
        watch_catalog_writes(self.sessions)  # long imports restamp before they commit

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.engine.dispose()

    def services(self) -> Services:
        """The server's collaborators, for commands that run what a server runs (the
        command line made the process's new files private before parsing)."""
        private_folder(self.settings.data_dir)
        return build_services(self.settings, self.engine, self.sessions)

    async def shop_id(self, domain: str | None) -> ShopId | None:
        """The id of the shop ``domain`` (``None`` for none: every shop)."""
        if domain is None:
            return None
        async with transaction(self.sessions) as session:
            return ShopId((await shops.get_by_domain(session, domain)).id)
