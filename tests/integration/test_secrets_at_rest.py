"""Secrets at rest: webhook secrets and platform tokens are stored encrypted on both
databases and still verify deliveries; values of an older install are sealed when a
server starts; a wrong key is a clear error; the files under the data folder are the
owner's only."""

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from app.asgi import create_app
from app.catalog.service import apply_product_changes
from app.crypto.secret_box import SecretBox, SecretKeyError
from app.ids import ShopId
from app.ingestion.context import context_of
from app.orders.changes import OrderChange, OrderLineChange
from app.orders.service import record_orders
from app.shops.models import Shop
from app.shops.service import add_webhook_secret, get_by_domain
from app.storage.database import create_engine, create_session_factory, transaction
from app.sync.credentials import PlatformCredentials, seal_stored_secrets, set_credentials
from tests.conftest import migrated_database
from tests.factories import MUGS_AND_MORE, product
from tests.fakes import HashingEmbedder
from tests.integration.webhooks.support import SECRET, Hooks, hooks_app, payload, settings_for

TOKEN = "shpat_0123456789abcdef"
ROTATED = "shpss_rotated_secret_2"


@pytest.fixture
async def hooks(database_url: str, tmp_path: Path) -> AsyncIterator[Hooks]:
    async with hooks_app(database_url, tmp_path) as h:
        yield h


async def _stored(hooks: Hooks, shop_id: int) -> str:
    """The shop's secret columns exactly as the database holds them."""
    async with hooks.services.engine.connect() as connection:
        row = (await connection.execute(text(
            "SELECT CAST(webhook_secrets AS TEXT), CAST(settings AS TEXT) FROM shops "
            "WHERE id = :id"), {"id": shop_id})).one()
    return f"{row[0]} {row[1]}"


async def _load(hooks: Hooks, shop_id: int) -> Shop:
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        return shop


async def test_secrets_and_tokens_are_stored_encrypted_and_still_verify(hooks: Hooks) -> None:
    shop_id, domain, _ = await hooks.shop()
    async with transaction(hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        await add_webhook_secret(session, shop, ROTATED, hooks.services.secrets)
        await set_credentials(session, shop, PlatformCredentials(TOKEN, api_version="2025-07"),
                              hooks.services.secrets)

    stored = await _stored(hooks, shop_id)
    assert [s for s in (SECRET, ROTATED, TOKEN) if s in stored] == []
    assert stored.count("enc:v1:") == 3
    body = payload("shopify", "products_create.json")
    assert (await hooks.shopify(domain, "products/create", body)).status_code == 200
    touched = payload("shopify", "products_create_touch.json")
    assert (await hooks.shopify(domain, "products/create", touched, secret=ROTATED)).status_code == 200
    assert (await hooks.shopify(domain, "products/create", body, secret="guess")).status_code == 401
    credentials = context_of(await _load(hooks, shop_id), hooks.services.secrets).credentials
    assert credentials is not None and credentials.access_token == TOKEN


@pytest.fixture
def own_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the same backend holding only this test's shops: sealing and key
    checks cover every shop, and other tests' shops have other keys."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with migrated_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
async def own_hooks(own_database: str, tmp_path: Path) -> AsyncIterator[Hooks]:
    async with hooks_app(own_database, tmp_path / "data") as h:
        yield h


async def _start_and_stop_a_server(database_url: str, data_dir: Path, **settings: str) -> None:
    app = create_app(settings_for(database_url, data_dir, **settings),
                     embedder_factory=lambda: HashingEmbedder())
    async with app.router.lifespan_context(app):
        pass


async def test_plain_secrets_of_an_older_install_verify_and_are_sealed_at_start(
    own_hooks: Hooks, own_database: str, tmp_path: Path,
) -> None:
    shop_id, domain, _ = await own_hooks.shop()
    async with transaction(own_hooks.services.sessions) as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        shop.webhook_secrets = ["plain-old-secret"]
        shop.settings = {"platform_api": {"access_token": TOKEN}}
    body = payload("shopify", "products_create.json")
    response = await own_hooks.shopify(domain, "products/create", body, secret="plain-old-secret")
    assert response.status_code == 200

    await _start_and_stop_a_server(own_database, tmp_path / "data")

    stored = await _stored(own_hooks, shop_id)
    assert "plain-old-secret" not in stored and TOKEN not in stored
    shop = await _load(own_hooks, shop_id)
    assert shop.webhook_secrets[0].startswith("enc:v1:")
    touched = payload("shopify", "products_create_touch.json")
    response = await own_hooks.shopify(domain, "products/create", touched, secret="plain-old-secret")
    assert response.status_code == 200
    credentials = context_of(shop, own_hooks.services.secrets).credentials
    assert credentials is not None and credentials.access_token == TOKEN


async def test_a_wrong_key_is_a_clear_error_at_start_and_on_the_command_line(
    own_hooks: Hooks, own_database: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    await own_hooks.shop()
    async with transaction(own_hooks.services.sessions) as session:
        with pytest.raises(SecretKeyError, match="does not match the secret key") as raised:
            await seal_stored_secrets(session, SecretBox(Fernet.generate_key()))
    assert SECRET not in str(raised.value)
    with pytest.raises(SecretKeyError):
        await _start_and_stop_a_server(own_database, tmp_path / "data", secret_key="not-the-key")

    from app.commands import main

    monkeypatch.setenv("AFFINITY_DATABASE_URL", own_database)
    monkeypatch.setenv("AFFINITY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AFFINITY_SECRET_KEY", "not-the-key")
    assert await asyncio.to_thread(main, ["secrets", "encrypt"]) == 2
    assert "error [UNAVAILABLE]: a stored secret does not match" in capsys.readouterr().err
    monkeypatch.delenv("AFFINITY_SECRET_KEY")  # the data folder's key file: the right one
    assert await asyncio.to_thread(main, ["secrets", "encrypt"]) == 0
    assert '"shops_encrypted": 0' in capsys.readouterr().out


def _loose_modes(data_dir: Path) -> list[str]:
    """Files and folders under ``data_dir`` that anyone but their owner may read or enter."""
    paths = [data_dir, *data_dir.rglob("*")]
    return [f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}" for p in paths
            if stat.S_IMODE(p.stat().st_mode) & 0o077]


async def _catalog_and_orders(url: str, domain: str) -> None:
    engine = create_engine(url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            shop = ShopId((await get_by_domain(session, domain)).id)
            await apply_product_changes(session, shop, [product(p, t) for p, t in MUGS_AND_MORE])
            start = datetime(2026, 1, 1, tzinfo=UTC)
            await record_orders(session, shop, [
                OrderChange(f"o{n}", f"c{n % 3}", start + timedelta(days=n),
                            (OrderLineChange(f"o{n}-1", str(1 + n % 4), None, 1, 5.0),
                             OrderLineChange(f"o{n}-2", str(5 + n % 3), None, 1, 5.0)))
                for n in range(12)])
    finally:
        await engine.dispose()


async def test_the_data_folder_is_private_after_a_demo_like_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """What ``affinity demo`` does, on a small catalog: migrate, a shop with a webhook
    secret (the key file), products and orders, an index, a trained model."""
    from app import commands
    from app.commands import catalog

    data_dir = tmp_path / "var"
    url = f"sqlite+aiosqlite:///{data_dir / 'affinity.db'}"
    monkeypatch.setenv("AFFINITY_DATABASE_URL", url)
    monkeypatch.setenv("AFFINITY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("AFFINITY_EMBEDDING_MODEL", "fake-hashing")
    monkeypatch.setenv("AFFINITY_LOG_LEVEL", "WARNING")
    monkeypatch.setattr(catalog, "build_embedder", lambda _: HashingEmbedder())
    domain = "modes.myshopify.com"
    umask = os.umask(0o022)  # what a login shell usually has
    try:
        for command in (["migrate"], ["shop", "add", domain, "--webhook-secret", "shpss_modes"]):
            assert await asyncio.to_thread(commands.main, command) == 0
        await _catalog_and_orders(url, domain)
        for command in (["index", "build", "--shop", domain], ["model", "train", "--shop", domain]):
            assert await asyncio.to_thread(commands.main, command) == 0
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:  # the -wal and -shm files exist now
                await connection.execute(text("SELECT 1"))
                assert (data_dir / "affinity.db-wal").exists()
                assert _loose_modes(data_dir) == []
        finally:
            await engine.dispose()
    finally:
        os.umask(umask)
    capsys.readouterr()
    assert (data_dir / "secret.key").exists()
    assert list(data_dir.glob("indexes/shop-*/*/v*.ann")) and list(data_dir.glob("models/*/*/*"))
    assert _loose_modes(data_dir) == []
