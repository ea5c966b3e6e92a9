"""A shop's data health: how much of its catalog, traffic and orders the engine can use.

Each figure is one aggregate query (counts and sums in the database, never rows read into
Python), over the whole catalog or over the last ``WINDOW_DAYS`` of traffic, so that its cost
stays bounded: a shop with 20k products, and in the window 300k events, 100k served lists
and 20k orders, measured about 0.7 s for all the figures, on SQLite and PostgreSQL alike. It
is a page a merchant opens, never the request path. What each figure means is in
docs/data-health.md."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.attribution.models import KpiDaily
from app.catalog.models import Product
from app.embeddings.models import ProductEmbedding
from app.events.models import Event, Ranking
from app.events.types import EventType
from app.health.days import day_of
from app.health.figures import Figure, ceiling, share
from app.ids import ShopId
from app.index.models import IndexBuild
from app.ingestion.models import FAILED, PENDING
from app.ingestion.service import inbox_counts
from app.orders.models import Order, OrderLine
from app.ranking.artefact import POINTER, shop_folder

WINDOW_DAYS = 30
"""Traffic and orders are measured over this many days up to now."""
MAX_INBOX_BACKLOG = 100
MAX_INBOX_FAILURES = 0


@dataclass(frozen=True)
class HealthSources:
    """Where the figures beyond the database live, and how old is too old."""

    models_dir: Path
    embedding_model: str
    model_max_age_hours: float = 48.0
    """Twice the retraining schedule (``AFFINITY_RETRAIN_HOURS``, 24 by default)."""
    index_max_age_hours: float = 168.0


NO_PRODUCTS = "No products yet: import the catalog (`affinity sync` or `affinity catalog import`)."


def _filled(column: SQLColumnExpression[Any]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((and_(column.is_not(None), column != ""), 1), else_=0)), 0)


def _counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def catalog_figures(session: AsyncSession, shop_id: ShopId) -> list[Figure]:
    """Products with an image, a price, a type and a description, among the live catalog."""
    row = (await session.execute(select(
        func.count(), _filled(Product.image_url), _counted(Product.price_min.is_not(None)),
        _filled(Product.product_type), _filled(Product.body_text),
    ).where(Product.shop_id == shop_id, Product.deleted.is_(False)))).one()
    total, image, price, kind, text = (int(n) for n in row)
    return [
        share("catalog_image", "Products with an image", image, total, empty=NO_PRODUCTS,
              advice="Add images to the products without one: carousels show them.",
              good="Nearly every product has an image."),
        share("catalog_price", "Products with a price", price, total, empty=NO_PRODUCTS,
              advice="Give every product a price (variants with prices) so price rules "
                     "and revenue figures see it.",
              good="Nearly every product has a price."),
        share("catalog_type", "Products with a product type", kind, total, empty=NO_PRODUCTS,
              advice="Set a product type on the products without one: diversity caps, "
                     "rules and reasons use it.",
              good="Nearly every product has a type."),
        share("catalog_description", "Products with a description", text, total, empty=NO_PRODUCTS,
              advice="Write descriptions for the products without one: similar products "
                     "are found by their text.",
              good="Nearly every product has a description."),
    ]


async def vector_figures(session: AsyncSession, shop_id: ShopId, sources: HealthSources,
                         now: datetime) -> list[Figure]:
    """Products whose current text is embedded, and of those the ones the served index
    holds (embedded before the last build's snapshot); the index's age."""
    built = (await session.execute(select(func.max(IndexBuild.snapshot_at),
                                          func.max(IndexBuild.built_at)).where(
        IndexBuild.shop_id == shop_id, IndexBuild.model_name == sources.embedding_model))).one()
    snapshot_at, built_at = built
    current = and_(ProductEmbedding.product_key == Product.id,
                   ProductEmbedding.model_name == sources.embedding_model,
                   ProductEmbedding.content_hash == Product.content_hash)
    in_index = (_counted(ProductEmbedding.updated_at <= snapshot_at) if snapshot_at is not None
                else func.coalesce(func.sum(0), 0))
    row = (await session.execute(select(func.count(), func.count(ProductEmbedding.product_key),
                                        in_index)
                                 .select_from(Product).outerjoin(ProductEmbedding, current)
                                 .where(Product.shop_id == shop_id, Product.deleted.is_(False)))).one()
    total, embedded, indexed = (int(n) for n in row)
    age = None if built_at is None else (now - built_at).total_seconds() / 3600
    return [
        share("catalog_embedded", "Catalog embedded", embedded, total, empty=NO_PRODUCTS,
              advice="Products are waiting for their vectors: run the worker (inside "
                     "`affinity serve`, or `affinity worker`) or `affinity index build`.",
              good="The worker keeps the vectors up to date."),
        share("catalog_indexed", "Catalog in the served index", indexed, total, empty=NO_PRODUCTS,
              advice="Many products are served from the exact delta: build a new index "
                     "(`affinity index build`).",
              good="The served index holds nearly the whole catalog."),
        ceiling("index_age", "Index age", age, sources.index_max_age_hours, "hours",
                advice="The index is old: check that the worker runs, or `affinity index build`.",
                good="The index is recent.",
                missing="No index yet: run `affinity index build` (or let the worker build it)."),
    ]


async def _sessions_with_signal(session: AsyncSession, shop_id: ShopId,
                                since: datetime) -> tuple[int, int]:
    """Visitor-days served a list, and those with a stored event too: one grouping over
    both tables' rows of the window. (A join of the two distinct sets ran as a nested loop
    on SQLite: minutes at 100k lists and 300k events; this takes 0.7 s.)"""
    dialect = session.get_bind().dialect.name
    rows = union_all(
        select(Ranking.visitor_id.label("visitor"),
               day_of(Ranking.created_at, dialect).label("day"),
               literal(1).label("served"), literal(0).label("signal"))
        .where(Ranking.shop_id == shop_id, Ranking.created_at >= since,
               Ranking.visitor_id.is_not(None)),
        select(Event.visitor_id, day_of(Event.occurred_at, dialect), literal(0), literal(1))
        .where(Event.shop_id == shop_id, Event.occurred_at >= since,
               Event.type != EventType.RECOMMENDATIONS_VIEWED.value),
    ).subquery()
    days = (select(func.max(rows.c.served).label("served"), func.max(rows.c.signal).label("signal"))
            .group_by(rows.c.visitor, rows.c.day).subquery())
    total, signalled = (await session.execute(
        select(func.count(), func.coalesce(func.sum(days.c.signal), 0))
        .where(days.c.served == 1))).one()
    return int(total), int(signalled)


async def event_figures(session: AsyncSession, shop_id: ShopId, since: datetime) -> list[Figure]:
    """Personalization consent among stored events (only events with analytics consent are
    stored) and visitor-days served a list with at least one stored event of that visitor."""
    total, personal = (int(n) for n in (await session.execute(select(
        func.count(), _counted(Event.personalization.is_(True))).where(
        Event.shop_id == shop_id, Event.occurred_at >= since))).one())
    sessions, signalled = await _sessions_with_signal(session, shop_id, since)
    return [
        share("events_with_consent", "Stored events with personalization consent", personal,
              total, empty="No stored events in 30 days: install the tracking snippet with "
                           "consent (`trackEvents` or /collect).",
              advice="Many shoppers decline personalization: check the consent banner passes "
                     "the shopper's choice (events without consent are not personalized).",
              good="Nearly every stored event may be used for personalization."),
        share("sessions_with_signal", "Sessions with at least one signal", signalled, sessions,
              empty="No lists served in 30 days: add a placement to the storefront.",
              advice="Lists are served to shoppers whose events never arrive: check that the "
                     "snippet tracks views and clicks and forwards consent.",
              good="Nearly every served session sends events."),
    ]


async def order_figures(session: AsyncSession, shop_id: ShopId, since: datetime) -> list[Figure]:
    """Orders naming a customer or carrying a recommended list's id on a line."""
    from_list = select(OrderLine.id).where(OrderLine.order_key == Order.id,
                                          OrderLine.recommendation_id.is_not(None)).exists()
    total, matched = (int(n) for n in (await session.execute(select(
        func.count(), _counted(or_(Order.customer_id.is_not(None), from_list))).where(
        Order.shop_id == shop_id, Order.placed_at >= since))).one())
    return [share(
        "orders_matched", "Orders matched to a customer or visitor", matched, total,
        empty="No orders in 30 days: connect the order webhooks or run `affinity sync`.",
        advice="Many orders are guest checkouts without a list id: make sure the storefront "
               "component writes `_affinity_rec` into the cart.",
        good="Nearly every order can be tied to a shopper.")]


async def attribution_figure(session: AsyncSession, shop_id: ShopId, since: datetime) -> Figure:
    """Events naming a served list the rollups know, among events naming any list."""
    known, unknown = (int(n) for n in (await session.execute(select(
        func.coalesce(func.sum(KpiDaily.impressions + KpiDaily.clicks + KpiDaily.add_to_carts), 0),
        func.coalesce(func.sum(KpiDaily.unattributed_events), 0)).where(
        KpiDaily.shop_id == shop_id, KpiDaily.day >= since.date()))).one())
    return share("events_attributed", "List events attributed to a served list", known,
                 known + unknown,
                 empty="No list events in 30 days: the storefront must echo `recommendationId`.",
                 advice="Events name lists the engine never served (or served longer ago than "
                        "the retention): check the snippet echoes the list's id unchanged.",
                 good="Nearly every list event is attributed.")


async def inbox_figures(session: AsyncSession, shop_id: ShopId) -> list[Figure]:
    counts = await inbox_counts(session, shop_id)
    return [
        ceiling("inbox_backlog", "Webhook deliveries waiting", counts[PENDING],
                MAX_INBOX_BACKLOG, "count",
                advice="Deliveries pile up: check that the inbox processor runs "
                       "(`affinity inbox status`).",
                good="The inbox is drained."),
        ceiling("inbox_failed", "Webhook deliveries failed", counts[FAILED],
                MAX_INBOX_FAILURES, "count",
                advice="Some deliveries failed: read their errors, fix the cause and run "
                       "`affinity inbox retry`.",
                good="No delivery failed."),
    ]


def model_figure(shop_id: ShopId, sources: HealthSources, now: datetime) -> Figure:
    """Hours since the current model artefact was made current (its pointer's write)."""
    pointer = shop_folder(sources.models_dir, shop_id) / POINTER
    try:
        age: float | None = (now.timestamp() - pointer.stat().st_mtime) / 3600
    except OSError:
        age = None
    return ceiling("model_age", "Model age", age, sources.model_max_age_hours, "hours",
                   advice="The model is stale: check the server's retraining schedule or run "
                          "`affinity model train`.",
                   good="The model is recent.",
                   missing="No model yet: it is trained once the shop has orders "
                           "(`affinity model train`).")


async def data_health(session: AsyncSession, shop_id: ShopId, sources: HealthSources,
                      now: datetime) -> list[Figure]:
    since = now - timedelta(days=WINDOW_DAYS)
    return [
        *await vector_figures(session, shop_id, sources, now),
        *await catalog_figures(session, shop_id),
        *await event_figures(session, shop_id, since),
        *await order_figures(session, shop_id, since),
        await attribution_figure(session, shop_id, since),
        *await inbox_figures(session, shop_id),
        model_figure(shop_id, sources, now),
    ]
