"""Real ``affinity`` processes on a database of their own: a fresh SQLite file or
PostgreSQL database per test, the CLI, and servers and background roles that can be
killed with SIGKILL and started again, as a crash or an out-of-memory kill would."""

import json
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import migrate
from app.shops.models import Shop
from app.storage.database import create_engine, create_session_factory, transaction
from tests.e2e.test_demo_server import AFFINITY, Server, _run


def settings_env(**settings: object) -> dict[str, str]:
    """``AFFINITY_*`` variables of the given settings."""
    return {f"AFFINITY_{name.upper()}": str(value) for name, value in settings.items()}


class Affinity(Server):
    """One installation: a database, a data folder, the CLI, and a server that can be
    killed with SIGKILL and started again on the same port."""

    def __init__(self, tmp: Path, database_url: str, **settings: object) -> None:
        super().__init__(tmp)
        self.database_url = database_url
        self.env.update(settings_env(database_url=database_url, **settings))
        self.logs = tmp / "logs"
        self.logs.mkdir(exist_ok=True)

    async def install_shop(self, domain: str, webhook_secret: str) -> str:
        """Migrate the database and add a shop as an operator would; its storefront key."""
        await migrate.upgrade(self.database_url)
        created = self.cli("shop", "add", domain, "--webhook-secret", webhook_secret)
        self.key = str(created[0]["storefront_key"])
        return self.key

    def cli(self, *args: str, **settings: object) -> list[dict[str, Any]]:
        """Run one command to its end; its JSON lines."""
        result = _run({**self.env, **settings_env(**settings)}, *args)
        assert result.returncode == 0, result.stderr[-3000:]
        return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]

    def spawn(self, name: str, *args: str, **settings: object) -> subprocess.Popen[bytes]:
        """Start a command in the background, its stderr kept under ``logs/name``."""
        with open(self.logs / name, "ab") as log:
            return subprocess.Popen([AFFINITY, *args], env={**self.env, **settings_env(**settings)},
                                    stdout=subprocess.DEVNULL, stderr=log)

    def start(self) -> None:
        """Start the server and wait until it answers; its stderr is kept under
        ``logs/serve`` and shown if it never answers."""
        self.process = self.spawn("serve", "serve")
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        kill(self.process)
        raise RuntimeError("the server did not start:\n"
                           + (self.logs / "serve").read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL the server: no shutdown, no flush, no rollback of its own."""
        assert self.process is not None
        kill(self.process)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read of the database from outside the processes, as an operator would."""
        engine = create_engine(self.database_url)
        try:
            async with transaction(create_session_factory(engine)) as session:
                yield session
        finally:
            await engine.dispose()

    async def count(self, model: Any, *where: Any) -> int:
        async with self.session() as session:
            stmt = select(func.count()).select_from(model).where(*where)
            return int((await session.execute(stmt)).scalar_one())

    async def shop_id(self, domain: str) -> int:
        async with self.session() as session:
            return int((await session.execute(
                select(Shop.id).where(Shop.domain == domain))).scalar_one())


def kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=20)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it is still there after a while."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill(process)
