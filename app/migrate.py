"""Schema changes go through Alembic only; these helpers run it programmatically."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _upgrade(database_url: str, target: str) -> None:
    command.upgrade(alembic_config(database_url), target)


def _downgrade(database_url: str, target: str) -> None:
    command.downgrade(alembic_config(database_url), target)


async def upgrade(database_url: str, target: str = "heads") -> None:
    """Bring the schema up to ``target`` (all heads by default)."""
    await asyncio.to_thread(_upgrade, database_url, target)


async def downgrade(database_url: str, target: str = "base") -> None:
    await asyncio.to_thread(_downgrade, database_url, target)
