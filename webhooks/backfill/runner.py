"""``affinity sync``: pull a Shopify shop's collections, catalog and order history.

Every page is applied together with its checkpoint in one transaction, so a run that is
interrupted resumes after the last page it applied; a run over a finished pass starts a
new pass, which reconciles whatever webhooks missed (the upserts are guarded by the
platform's ``updated_at``, so nothing newer is overwritten). A products pass that ran
from the first page to the last also deletes products the shop no longer has."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.models import Product
from app.catalog.service import apply_product_changes, delete_product
from app.ids import ShopId
from app.ingestion.apply import Effects, apply_change, without_suppressed_customer
from app.ingestion.protocol import ShopContext
from app.inventory.service import record_cost
from app.orders.service import record_orders, record_refund
from app.storage.database import transaction, utcnow
from app.sync.service import advance, checkpoint, complete
from webhooks.backfill import mapping
from webhooks.backfill.queries import COUNTS, PAGE_SIZES, PAGES
from webhooks.backfill.shopify_admin import ShopifyAdminClient
from webhooks.payload import Fields

RESOURCES = ("collections", "products", "orders")


class SyncProgress(Protocol):
    def start(self, resource: str, total: int | None, done: int) -> None: ...

    def advance(self, resource: str, count: int) -> None: ...


class NoProgress:
    def start(self, resource: str, total: int | None, done: int) -> None:
        pass

    def advance(self, resource: str, count: int) -> None:
        pass


@dataclass
class SyncReport:
    pulled: dict[str, int] = field(default_factory=dict)
    resumed: dict[str, bool] = field(default_factory=dict)
    deleted: int = 0
    waited_seconds: float = 0.0


@dataclass(frozen=True)
class Page:
    nodes: list[Fields]
    end_cursor: str | None
    has_next: bool


async def _page(client: ShopifyAdminClient, resource: str, cursor: str | None, size: int) -> Page:
    data = await client.query(PAGES[resource], {"first": size, "after": cursor})
    connection = Fields(data).opt_object(resource)
    if connection is None:
        return Page([], None, False)
    info = connection.opt_object("pageInfo")
    return Page(
        nodes=list(connection.objects("nodes")),
        end_cursor=info.opt_text("endCursor") if info is not None else None,
        has_next=bool(info is not None and info.opt_bool("hasNextPage")),
    )


async def _count(client: ShopifyAdminClient, resource: str) -> int | None:
    data: dict[str, Any] = await client.query(COUNTS[resource])
    counted = data.get(f"{resource}Count")
    return int(counted["count"]) if isinstance(counted, dict) and "count" in counted else None


Apply = Callable[[AsyncSession, ShopContext, list[Fields]], Any]


async def _apply_collections(session: AsyncSession, shop: ShopContext, nodes: list[Fields]) -> None:
    for node in nodes:
        await apply_change(session, shop.id, mapping.collection_change(node), [], Effects())


async def _apply_products(session: AsyncSession, shop: ShopContext, nodes: list[Fields]) -> None:
    await apply_product_changes(session, shop.id, [mapping.product_change(n, shop) for n in nodes])
    for node in nodes:
        for cost in mapping.unit_costs(node):
            await record_cost(session, shop.id, cost)


async def _apply_orders(session: AsyncSession, shop: ShopContext, nodes: list[Fields]) -> None:
    orders = [await without_suppressed_customer(session, shop.id, mapping.order_change(n))
              for n in nodes]
    await record_orders(session, shop.id, orders)
    for node in nodes:
        for refund in mapping.refund_changes(node):
            await record_refund(session, shop.id, refund)


APPLY: dict[str, Apply] = {
    "collections": _apply_collections, "products": _apply_products, "orders": _apply_orders,
}


class ShopifySync:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: ShopifyAdminClient,
        shop: ShopContext,
        progress: SyncProgress | None = None,
        page_sizes: dict[str, int] | None = None,
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._shop = shop
        self._progress = progress or NoProgress()
        self._sizes = {**PAGE_SIZES, **(page_sizes or {})}

    async def run(self, resources: Sequence[str] = RESOURCES) -> SyncReport:
        report = SyncReport()
        for resource in resources:
            await self._pull(resource, report)
        report.waited_seconds = self._client.waited
        return report

    async def _pull(self, resource: str, report: SyncReport) -> None:
        async with transaction(self._sessions) as session:
            start = await checkpoint(session, self._shop.id, resource)
            cursor, done = start.cursor, start.items
        from_first_page, started = cursor is None, utcnow()
        report.resumed[resource] = not from_first_page
        self._progress.start(resource, await _count(self._client, resource), done)
        seen: set[str] = set()
        pulled = 0
        while True:
            page = await _page(self._client, resource, cursor, self._sizes[resource])
            async with transaction(self._sessions) as session:
                await APPLY[resource](session, self._shop, page.nodes)
                await advance(session, self._shop.id, resource, page.end_cursor or cursor,
                              len(page.nodes))
            seen.update(mapping.legacy_id(n.opt_text("id")) or "" for n in page.nodes)
            pulled += len(page.nodes)
            self._progress.advance(resource, len(page.nodes))
            if not page.has_next or page.end_cursor is None:
                break
            cursor = page.end_cursor
        async with transaction(self._sessions) as session:
            if resource == "products" and from_first_page:
                report.deleted = await _delete_missing(session, self._shop.id, seen, started)
            await complete(session, self._shop.id, resource)
        report.pulled[resource] = pulled


async def _delete_missing(
    session: AsyncSession, shop_id: ShopId, seen: set[str], started: datetime
) -> int:
    """Products we held before the pass began and that a complete pass did not see were
    deleted on the platform (a product created meanwhile by a webhook is left alone)."""
    stmt = select(Product.platform_id).where(
        Product.shop_id == shop_id, Product.deleted.is_(False), Product.created_at < started
    )
    missing = [pid for pid in (await session.execute(stmt)).scalars() if pid not in seen]
    for platform_id in missing:
        await delete_product(session, shop_id, platform_id)
    return len(missing)
