"""What a scrape reads when it happens rather than what a request path counted: the
webhook inbox by status, and per active shop the version and age of its current index and
the age of its current model. Read from the database and the data folder, which every
process shares, so any process answers for all of them.

The index age is the age of the catalog snapshot it was built from; the model age is the
time since its current version was installed (a customer scrubbed out of it installs a
rewrite, which counts as new). Both come from the small pointer files, never from loading
an index or a model."""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.index.files import index_folder, read_pointer
from app.ingestion.service import inbox_counts
from app.ranking.artefact import POINTER, shop_folder
from app.shops.models import SHOP_ACTIVE, Shop
from app.storage.database import transaction


@dataclass(frozen=True)
class ScrapeSources:
    sessions: async_sessionmaker[AsyncSession]
    index_dir: Path
    embedding_model: str
    models_dir: Path


@dataclass(frozen=True)
class ShopState:
    domain: str
    index_version: int | None
    index_age_seconds: float | None
    model_age_seconds: float | None


@dataclass(frozen=True)
class ServerState:
    inbox: dict[str, int]
    shops: list[ShopState]


def _shop_state(sources: ScrapeSources, shop_id: int, domain: str, now: datetime) -> ShopState:
    pointer = read_pointer(index_folder(sources.index_dir, shop_id, sources.embedding_model))
    model_pointer = shop_folder(sources.models_dir, shop_id) / POINTER
    try:
        model_age: float | None = now.timestamp() - model_pointer.stat().st_mtime
    except FileNotFoundError:
        model_age = None
    return ShopState(
        domain=domain,
        index_version=None if pointer is None else pointer.version,
        index_age_seconds=None if pointer is None else (now - pointer.snapshot_at).total_seconds(),
        model_age_seconds=model_age)


async def read_state(sources: ScrapeSources, now: datetime) -> ServerState:
    async with transaction(sources.sessions) as session:
        inbox = await inbox_counts(session)
        shops = (await session.execute(select(Shop.id, Shop.domain).where(
            Shop.status == SHOP_ACTIVE).order_by(Shop.id))).all()
    states = await asyncio.to_thread(
        lambda: [_shop_state(sources, shop_id, domain, now) for shop_id, domain in shops])
    return ServerState(inbox=inbox, shops=states)


def state_families(state: ServerState) -> list[Metric]:
    inbox = GaugeMetricFamily("affinity_webhook_inbox_deliveries",
                              "Webhook deliveries in the inbox by status (pending: its depth).",
                              labels=["status"])
    for status, count in sorted(state.inbox.items()):
        inbox.add_metric([status], count)
    version = GaugeMetricFamily("affinity_index_version", "Current index version per shop.",
                                labels=["shop"])
    index_age = GaugeMetricFamily("affinity_index_age_seconds",
                                  "Age of the catalog snapshot the current index was built from.",
                                  labels=["shop"])
    model_age = GaugeMetricFamily("affinity_model_age_seconds",
                                  "Time since the shop's current model was installed.",
                                  labels=["shop"])
    for shop in state.shops:
        if shop.index_version is not None and shop.index_age_seconds is not None:
            version.add_metric([shop.domain], shop.index_version)
            index_age.add_metric([shop.domain], shop.index_age_seconds)
        if shop.model_age_seconds is not None:
            model_age.add_metric([shop.domain], shop.model_age_seconds)
    return [inbox, version, index_age, model_age]


class StateCollector:
    """One scrape's state as gauge families (``None``: it could not be read)."""

    def __init__(self, state: ServerState | None) -> None:
        read = GaugeMetricFamily("affinity_state_read",
                                 "1 when this scrape read the database and data folder, else 0.",
                                 value=0 if state is None else 1)
        self._families = [read, *(state_families(state) if state is not None else [])]

    def collect(self) -> list[Metric]:
        return self._families
