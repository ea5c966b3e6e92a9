"""The console over HTTP on a test database: an app with its routes, a signed-in client,
and a month of served lists, events and orders folded into the rollups."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

from app.admin.auth import AdminAuth
from app.admin.routes import admin_routes
from app.console.routes import console_routes
from app.console.sessions import SessionStore
from app.events.models import Event, Ranking
from app.events.types import EventType
from app.experiments import service as experiments
from app.experiments.specs import ExperimentSpec, VariantSpec
from app.ids import ShopId
from app.storage.database import create_session_factory, transaction
from tests.integration.admin.support import settings_for
from tests.integration.attribution.support import buy, fold_all

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN = re.compile(r'name="login_token" value="([^"]+)"')
SEEDED_DAYS = 7
PLACEMENTS = ("HOME", "CART")


@dataclass
class ConsoleClient:
    client: httpx.AsyncClient
    store: SessionStore

    async def log_in(self, token: str) -> httpx.Response:
        page = await self.client.get("/admin/login")
        nonce = LOGIN.search(page.text)
        assert nonce is not None, page.text
        return await self.client.post("/admin/login", data={
            "login_token": nonce.group(1), "token": token})

    async def csrf(self, path: str = "/admin/overview") -> str:
        page = await self.client.get(path)
        found = CSRF.search(page.text)
        assert page.status_code == 200 and found is not None, page.text
        return found.group(1)

    async def post(self, path: str, data: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": await self.csrf(), **data},
                                      headers=headers)


@asynccontextmanager
async def console(engine: AsyncEngine, folder: Path, base_url: str = "http://testserver",
                  **settings: Any) -> AsyncIterator[ConsoleClient]:
    sessions = create_session_factory(engine)
    configured = settings_for(engine, folder, **settings)
    auth = AdminAuth(sessions)
    store = SessionStore()
    # The console's routes first: none of them may shadow ``POST /admin/graphql``.
    app = Starlette(routes=[*console_routes(sessions, configured, auth, store=store),
                            *admin_routes(sessions, configured, auth)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield ConsoleClient(client, store)


async def _event(session: AsyncSession, shop: ShopId, kind: EventType, rec: str, visitor: str,
                 at: datetime, product: str | None = None, personalization: bool = True) -> None:
    session.add(Event(shop_id=shop, event_id=uuid.uuid4().hex, type=kind.value,
                      visitor_id=visitor, product_id=product, recommendation_id=rec,
                      occurred_at=at, personalization=personalization))


async def seed_lists(session: AsyncSession, shop: ShopId, now: datetime,
                     days: int = SEEDED_DAYS) -> None:
    """Each day, each placement: 20 personalized lists and 5 to the holdout, viewed, some
    clicked (more of the personalized ones) and added to a cart, and orders of the carted
    products (revenue on both sides)."""
    for day in range(days):
        at = now - timedelta(days=day, hours=1)
        for placement in PLACEMENTS:
            for n in range(25):
                held_out = n >= 20
                rec = f"{placement}-{day}-{n}-{uuid.uuid4().hex[:8]}"
                visitor = f"v{day}-{n}"
                product = f"p{n % 5}"
                session.add(Ranking(
                    shop_id=shop, recommendation_id=rec, placement=placement, visitor_id=visitor,
                    product_ids=[product, "p9"], reasons=[], model_version="m1", created_at=at,
                    variant="holdout" if held_out else None,
                    latency_ms=12.0 + n + day))
                await _event(session, shop, EventType.RECOMMENDATIONS_VIEWED, rec, visitor,
                             at + timedelta(seconds=5), personalization=n % 7 != 0)
                clicked = n % 3 == 0 if held_out else n % 2 == 0
                if clicked:
                    await _event(session, shop, EventType.PRODUCT_CLICKED, rec, visitor,
                                 at + timedelta(seconds=20), product)
                if clicked and n % 4 == 0:
                    await _event(session, shop, EventType.PRODUCT_ADDED_TO_CART, rec, visitor,
                                 at + timedelta(seconds=40), product)
                    await session.flush()
                    await buy(session, shop, f"o-{rec}", [(product, 20.0 + n, 1)],
                              customer=None, at=at + timedelta(minutes=5),
                              line_recs={product: rec})
    await session.flush()


EXPERIMENT_NAME = "product-page-ranker"


async def seed_experiment(session: AsyncSession, shop: ShopId, now: datetime) -> int:
    """A running experiment on PRODUCT, 60 shoppers a variant over the week; the treatment's
    shoppers click and buy more often."""
    spec = ExperimentSpec(EXPERIMENT_NAME, "PRODUCT", "control", [
        VariantSpec("control", "baseline", 0.5), VariantSpec("treatment", "engine", 0.5)])
    experiment = await experiments.create_experiment(session, shop, spec)
    await experiments.start_experiment(session, shop, experiment.id)
    for n in range(120):
        variant = "treatment" if n % 2 else "control"
        at = now - timedelta(days=n % SEEDED_DAYS, hours=2)
        rec, visitor, product = f"x-{n}-{uuid.uuid4().hex[:8]}", f"x{n}", f"p{n % 5}"
        session.add(Ranking(shop_id=shop, recommendation_id=rec, placement="PRODUCT",
                            visitor_id=visitor, product_ids=[product, "p9"], reasons=[],
                            model_version="m1", created_at=at, experiment_id=experiment.id,
                            variant=variant, latency_ms=20.0 + n % 9))
        await _event(session, shop, EventType.RECOMMENDATIONS_VIEWED, rec, visitor,
                     at + timedelta(seconds=5))
        if n % (3 if variant == "treatment" else 5) == 0 or n % 7 == 1:
            await _event(session, shop, EventType.PRODUCT_CLICKED, rec, visitor,
                         at + timedelta(seconds=20), product)
            if n % 4 in (0, 1):
                await _event(session, shop, EventType.PRODUCT_ADDED_TO_CART, rec, visitor,
                             at + timedelta(seconds=40), product)
                await session.flush()
                await buy(session, shop, f"o-{rec}", [(product, 15.0 + n % 11, 1)],
                          customer=None, at=at + timedelta(minutes=5), line_recs={product: rec})
    await session.flush()
    return experiment.id


async def seed_overview(engine: AsyncEngine, shop: ShopId,
                        now: datetime | None = None) -> None:
    """A week of traffic, with a running experiment's, folded into the rollups the
    overview and the experiment's results read."""
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        await seed_lists(session, shop, now or datetime.now(UTC))
        await seed_experiment(session, shop, now or datetime.now(UTC))
    async with transaction(sessions) as session:
        await fold_all(session)
